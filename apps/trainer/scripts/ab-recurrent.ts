// Builds of the wasm kernels (kernels.wasm) side by side in one process, on W1's recurrences: the
// fused LSTM's recurrent_forward and recurrent_backward as a W1 training step runs them (B 32,
// H 256, T 50: layer 1 both directions and layer 2 forward over every step, layer 2's reverse
// direction over its one step), each from the zero state the layers make (zeroState set: a build
// without it ignores the slot) and with a gradient on every row of out. The sides run in turn
// (rotated each round) for `--rounds` rounds; prints per side the median process CPU time of the
// forward calls and of the backward calls of one step, the medians of the per-round ratios against
// the first file, the load average, and whether every side gave the first one's bits (out, hN, cN,
// dxProj, dW_hh, dh0 but for a zero state's, dc0).
//
//   git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-recurrent.ts \
//     old.wasm packages/tensor/src/backend/wasm/kernels.wasm [--rounds 15]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { RecurrentBackwardArgs } from '../../../packages/tensor/src/backend/backend';
import { makeWasmGemm } from '../../../packages/tensor/src/backend/wasm/gemm';
import { instantiateKernels } from '../../../packages/tensor/src/backend/wasm/module';
import { makeWasmRecurrent } from '../../../packages/tensor/src/backend/wasm/recurrent';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '15' } },
});
if (positionals.length < 2) throw new Error('ab-recurrent: two or more kernels.wasm files (see the header)');
const rounds = Number(values.rounds);
const B = 32;
const H = 256;
const T = 50;
const GH = 4 * H;

let seed = 1;
const random = (n: number, scale: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = ((seed / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
};

/** One direction's inputs: the same for every side. */
const problems = [
  { T, reverse: false },
  { T, reverse: true },
  { T, reverse: false },
  { T: 1, reverse: true },
].map(({ T, reverse }) => ({
  T,
  reverse,
  xProj: random(T * B * GH, 1),
  wHh: random(GH * H, 0.06),
  dOut: random(T * B * H, 0.01),
}));

function args(p: (typeof problems)[number]): RecurrentBackwardArgs {
  const N = p.T * B;
  const F = (n: number) => new Float32Array(n);
  return {
    cell: 'lstm',
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: new Int32Array(p.T).fill(B),
    reverse: p.reverse,
    xProj: Float32Array.from(p.xProj),
    wHh: p.wHh,
    bHh: null,
    wHr: null,
    h0: F(B * H),
    c0: F(B * H),
    zeroState: true,
    out: F(N * H),
    hN: F(B * H),
    cN: F(B * H),
    gates: F(N * GH),
    hPrev: F(N * H),
    cells: F(N * H),
    cPrev: F(N * H),
    hFull: null,
    hhN: null,
    dOut: p.dOut,
    dhN: null,
    dcN: null,
    dxProj: F(N * GH),
    dwHh: F(GH * H),
    dbHh: null,
    dwHr: null,
    dh0: F(B * H),
    dc0: F(B * H),
    dhTrace: null,
    dcTrace: null,
  };
}

const sides = positionals.map((file) => {
  const load = instantiateKernels(new Uint8Array(readFileSync(file)));
  if (!load.ok) throw new Error(`ab-recurrent: ${file}: ${load.reason}`);
  const kernels = makeWasmRecurrent(load.module, makeWasmGemm(load.module));
  const forward: number[] = [];
  const backward: number[] = [];
  // Allocated once: the steps write the same buffers (dW_hh accumulates over as many steps on every side).
  const all = problems.map(args);
  const step = () => {
    let t0 = process.cpuUsage();
    for (const a of all) kernels.recurrentForward(a);
    let t1 = process.cpuUsage(t0);
    forward.push((t1.user + t1.system) / 1000);
    t0 = process.cpuUsage();
    for (const a of all) kernels.recurrentBackward(a);
    t1 = process.cpuUsage(t0);
    backward.push((t1.user + t1.system) / 1000);
  };
  return { file, step, forward, backward, last: () => all };
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const same = (a: Float32Array | null, b: Float32Array | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

for (const s of sides) s.step(); // warm-up
for (let r = 0; r < rounds; r++) for (let k = 0; k < sides.length; k++) sides[(r + k) % sides.length].step();

const base = sides[0];
const keys = ['out', 'hN', 'cN', 'dxProj', 'dwHh', 'dc0'] as const;
for (const s of sides) {
  const ratio = (mine: number[], theirs: number[]) => median(mine.map((x, i) => x / theirs[i])).toFixed(4);
  const bits = s
    .last()
    .every((a, i) => keys.every((k) => same(a[k] as Float32Array, base.last()[i][k] as Float32Array)));
  console.log(
    `${s.file}: forward ${median(s.forward).toFixed(2)} ms, backward ${median(s.backward).toFixed(2)} ms ` +
      `(ratios to ${base.file}: ${ratio(s.forward, base.forward)}, ${ratio(s.backward, base.backward)}), ` +
      `same bits: ${bits}`,
  );
}
console.log(
  `rounds ${rounds}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
