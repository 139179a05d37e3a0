// The fused recurrence of one layer-direction on the W1 shapes (../shared/bench/anchors/README.md:
// batch 32, length 50, hidden 256), forward and forward + backward through time, LSTM and GRU, on
// three kernels: the js backend's, the wasm GEMM under the js time loop and gate math (one wasm
// call per step, what the wasm backend ran before recurrent.c) and the wasm backend's (recurrent.c,
// one call per sequence). The input projection is not included (it is one GEMM, see gemm.bench.ts).
// Compare with `/usr/bin/python3 ../shared/bench/anchors/torch_bench.py --threads 1` (whole steps).
// Run: pnpm bench (or: npx vitest bench --run --project tensor)
import { Generator } from '@seqlab/tensor';
import { bench, describe } from 'vitest';
import type { RecurrentBackwardArgs, RecurrentCell } from '../src/backend/backend';
import { recurrentBackward, recurrentForward } from '../src/backend/js/recurrent/loop';
import { loadWasmKernels, stepwiseRecurrent } from '../src/backend/wasm/index';
import { recurrentBenchArgs } from './recurrent-args';

const B = 32;
const T = 50;
const H = 256;
const g = new Generator(0);
const wasm = loadWasmKernels();

// Noise from the seeded generator, the same on every run (H = 256: W_hh scaled by 1/16).
const args = (cell: RecurrentCell) => recurrentBenchArgs(cell, B, T, H, () => g.uniform() * 2 - 1);

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
