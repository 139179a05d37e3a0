// The fused recurrence of one layer-direction on the W1 shapes (../shared/bench/anchors/README.md:
// batch 32, length 50, hidden 256), forward and forward + backward through time, LSTM and GRU, on
// three kernels: the js backend's, the wasm GEMM under the js time loop and gate math (one wasm
// call per step, what the wasm backend ran before recurrent.c) and the wasm backend's (recurrent.c,
// one call per sequence). The input projection is not included (it is one GEMM, see gemm.bench.ts).
// Compare with `/usr/bin/python3 ../shared/bench/anchors/torch_bench.py --threads 1` (whole steps).
// Run: pnpm bench (or: npx vitest bench --run --project tensor)
import { Generator } from '@seqlab/tensor';
import { bench, describe } from 'vitest';
import { RECURRENT_GATES, type RecurrentBackwardArgs, type RecurrentCell } from '../src/backend/backend';
import { recurrentBackward, recurrentForward } from '../src/backend/js/recurrent/loop';
import { loadWasmKernels, stepwiseRecurrent } from '../src/backend/wasm/index';

const B = 32;
const T = 50;
const H = 256;
const g = new Generator(0);
const wasm = loadWasmKernels();

function args(cell: RecurrentCell): RecurrentBackwardArgs {
  const GH = RECURRENT_GATES[cell] * H;
  const N = B * T;
  const F = (n: number, scale = 0) => Float32Array.from({ length: n }, () => scale * (g.uniform() * 2 - 1));
  const lstm = cell === 'lstm';
  return {
    cell,
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: new Int32Array(T).fill(B),
    reverse: false,
    xProj: F(N * GH, 1),
    wHh: F(GH * H, 1 / 16),
    bHh: cell === 'gru' ? F(GH, 1 / 16) : null,
    wHr: null,
    h0: F(B * H, 1),
    c0: lstm ? F(B * H, 1) : null,
    out: F(N * H),
    hN: F(B * H),
    cN: lstm ? F(B * H) : null,
    gates: F(N * GH),
    hPrev: F(N * H),
    cells: lstm ? F(N * H) : null,
    cPrev: lstm ? F(N * H) : null,
    hFull: null,
    hhN: cell === 'gru' ? F(N * H) : null,
    dOut: F(N * H, 1),
    dhN: null,
    dcN: null,
    dxProj: F(N * GH),
    dwHh: F(GH * H),
    dbHh: cell === 'gru' ? F(GH) : null,
    dwHr: null,
    dh0: F(B * H),
    dc0: lstm ? F(B * H) : null,
    dhTrace: null,
    dcTrace: null,
  };
}

type Kernels = {
  recurrentForward(a: RecurrentBackwardArgs): void;
  recurrentBackward(a: RecurrentBackwardArgs): void;
};
const kernels: [string, Kernels][] = [['js backend', { recurrentForward, recurrentBackward }]];
if (wasm.ok) {
  kernels.push(['wasm GEMM per step (js loop)', stepwiseRecurrent(wasm)]);
  kernels.push(['wasm backend (recurrent.c)', wasm]);
}

for (const cell of ['lstm', 'gru'] as const) {
  const a = args(cell);
  describe(`recurrence ${cell} B=${B} T=${T} H=${H}, forward`, () => {
    for (const [name, k] of kernels) bench(name, () => k.recurrentForward(a), { time: 2000 });
  });
  describe(`recurrence ${cell} B=${B} T=${T} H=${H}, forward + backward`, () => {
    for (const [name, k] of kernels)
      bench(
        name,
        () => {
          k.recurrentForward(a);
          k.recurrentBackward(a);
        },
        { time: 2000 },
      );
  });
}
