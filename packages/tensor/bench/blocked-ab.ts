// The wasm backend's array kernels outside the GEMM (blocked.c: adamStep, addBias, the bias
// gradients' reduce) against the js kernels they replace, on one W1 training step's worth
// of calls, alternating in one process round by round (the order flips every round):
// - adamStep over W1's 3,648,514 parameters (the embedding, two bidirectional LSTM layers, fc);
// - addBias: the two biases of each of the 4 input projections, [1600, 1024] (linear's js path:
//   both biases in one loop);
// - reduce: the 4 bias gradients, a sum over the 1600 rows of [1600, 1024].
//
//   pnpm --filter @seqlab/tensor bench:blocked [--reps 9]
//
// Per kernel: the median over `reps` rounds of process CPU ms per step (wasm runs on one thread, so
// CPU time is the work, and holds on a shared machine better than wall time), the median and range
// of the per-round ratios wasm / js, and whether both gave the same bits.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { AdamStepArgs, Backend } from '../src/backend/backend';
import { jsBackend } from '../src/backend/js/index';
import { createWasmBackend, loadWasmKernels } from '../src/backend/wasm/index';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '9' } } });
const reps = Number(values.reps);
const kernels = loadWasmKernels();
if (!kernels.ok) {
  console.error(`bench:blocked: the wasm kernels did not load: ${kernels.reason}`);
  process.exit(1);
}
const wasm = createWasmBackend(kernels);

const fill = (n: number, seed: number, scale = 0.1) =>
  Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i * 12.9898 + seed));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpuMs = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

// W1's parameters: embedding 10000 × 128; per layer and direction W_ih, W_hh, b_ih, b_hh; fc 512 → 2.
const PARAMS = [
  1280000,
  ...[128, 512].flatMap((I) => [0, 1].flatMap(() => [1024 * I, 1024 * 256, 1024, 1024])),
  2 * 512,
  2,
];

/** One kernel's two sides: each call runs a step's worth on fresh copies and returns the outputs. */
interface Case {
  name: string;
  run(b: Backend): Float32Array[];
}

const adamState = PARAMS.map((n, i) => ({
  x: fill(n, i),
  g: fill(n, i + 100, 0.01),
  m: fill(n, i + 200, 0.001),
  v: fill(n, i + 300, 0.001).map((a) => a * a),
}));
const adamScalars = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  stepSize: 1e-3 / (1 - 0.9 ** 3),
  bias2Sqrt: Math.sqrt(1 - 0.999 ** 3),
  l2: 0,
  decay: 1,
  maximize: false,
  maxExpAvgSq: null,
} satisfies Partial<AdamStepArgs>;

const ROWS = 1600;
const GH = 1024;
const proj = [0, 1, 2, 3].map((i) => fill(ROWS * GH, 400 + i));
const biases = [0, 1, 2, 3].map((i) => [fill(GH, 500 + i), fill(GH, 600 + i)]);

const cases: Case[] = [
  {
    name: 'adamStep',
    run(b) {
      const copies = adamState.map((s) => ({ x: s.x.slice(), m: s.m.slice(), v: s.v.slice(), g: s.g }));
      const adam = b.adamStep ?? jsBackend.adamStep;
      times.push(
        cpuMs(() => {
          for (const c of copies) adam({ param: c.x, grad: c.g, expAvg: c.m, expAvgSq: c.v, ...adamScalars });
        }),
      );
      return copies.flatMap((c) => [c.x, c.m, c.v]);
    },
  },
  {
    name: 'addBias',
    run(b) {
      const ys = proj.map((p) => p.slice());
      times.push(
        cpuMs(() => {
          ys.forEach((y, i) => {
            const [v, w] = biases[i];
            if (b.addBias) {
              b.addBias(y, ROWS, GH, v);
              b.addBias(y, ROWS, GH, w);
            } else {
              for (let r = 0; r < ROWS; r++) {
                const o = r * GH;
                for (let j = 0; j < GH; j++) y[o + j] = Math.fround(y[o + j] + v[j]) + w[j];
              }
            }
          });
        }),
      );
      return ys;
    },
  },
  {
    name: 'reduce',
    run(b) {
      const outs = proj.map(() => new Float32Array(GH));
      times.push(
        cpuMs(() => {
          for (let i = 0; i < proj.length; i++) b.reduce('sum', proj[i], [ROWS, GH], [true, false], outs[i]);
        }),
      );
      return outs;
    },
  },
];

let times: number[] = [];
// The js backend has no addBias: its side runs linear's own loop (both biases in one pass).
const jsSide: Backend = jsBackend;
const load0 = loadavg()[0];
console.log('| kernel | js ms CPU | wasm ms CPU | wasm / js (range) | same bits |');
console.log('|---|---:|---:|---:|---|');
for (const c of cases) {
  const js: number[] = [];
  const w: number[] = [];
  let same = true;
  for (let r = 0; r < reps; r++) {
    const order: [Backend, number[]][] =
      r % 2 === 0
        ? [
            [jsSide, js],
            [wasm, w],
          ]
        : [
            [wasm, w],
            [jsSide, js],
          ];
    const outs: Float32Array[][] = [];
    for (const [b, into] of order) {
      times = into;
      outs.push(c.run(b));
    }
    same &&= outs[0].every((a, i) => sameBits(a, outs[1][i]));
  }
  const ratios = w.map((t, i) => t / js[i]).sort((a, b) => a - b);
  console.log(
    `| ${c.name} | ${median(js).toFixed(1)} | ${median(w).toFixed(1)} | ${median(ratios).toFixed(2)} (${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}) | ${same ? 'yes' : 'NO'} |`,
  );
}
console.log(`\n1-minute load ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; ${reps} rounds`);
