// clipGradNorm's sum of squares over a workload's real gradients, in one process, alternating
// (A B, then B A) for `--rounds` rounds of `--steps` passes over every gradient: "old" is the js
// kernel (one float64 running sum, the wasm backend's before NOTE(wasm-sum-squares)), "new" the
// wasm backend's (each block copied into the module's memory, then blocked.c's sum_squares), and
// "kernel" the same export over gradients already in the module's memory (no copy: what the copy
// costs is new − kernel). Prints the median CPU and wall ms of a pass per side, the medians of
// the per-round ratios against old, the load average, and each side's total against the exact
// sum (a double-double), relative.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-sum-squares.ts \
//     [--workload W1] [--rounds 21] [--steps 20]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { setBackend } from '@seqlab/tensor';
import { backend, jsBackend } from '@seqlab/tensor/backend';
import { loadWasmKernels } from '../../../packages/tensor/src/backend/wasm/index';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    rounds: { type: 'string', default: '21' },
    steps: { type: 'string', default: '20' },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);

setBackend('wasm');
const { forward, labels, params } = trainingSetup(values.workload);
crossEntropy(forward(), labels).backward();
const grads = params.map((p) => {
  const g = p.grad?.data;
  if (!(g instanceof Float32Array)) throw new Error('ab-sum-squares: a parameter without a float32 gradient');
  return g;
});
const wasmSum = backend().sumSquares;
if (!wasmSum || wasmSum === jsBackend.sumSquares)
  throw new Error('ab-sum-squares: this build of the wasm backend has no sumSquares kernel of its own');

// "kernel": a module of its own with every gradient copied in once, 16-byte aligned.
const load = loadWasmKernels();
if (!load.ok) throw new Error(`ab-sum-squares: ${load.reason}`);
const mod = load.module;
let at = mod.scratch;
const placed = grads.map((g) => {
  const p = at;
  at += (g.length + 3) & ~3;
  return p;
});
mod.reserve(at);
grads.forEach((g, i) => {
  mod.heap().set(g, placed[i]);
});
const sumSq = mod.exports.sum_squares;

let sink = 0;
const sides = {
  old: () => {
    let t = 0;
    for (const g of grads) t = jsBackend.sumSquares(g, t);
    return t;
  },
  new: () => {
    let t = 0;
    for (const g of grads) t = wasmSum(g, t);
    return t;
  },
  kernel: () => {
    let t = 0;
    grads.forEach((g, i) => {
      t = sumSq(g.length, (placed[i] as number) * 4, t);
    });
    return t;
  },
};
type Side = keyof typeof sides;
const names = Object.keys(sides) as Side[];
const wall: Record<Side, number[]> = { old: [], new: [], kernel: [] };
const cpu: Record<Side, number[]> = { old: [], new: [], kernel: [] };
const load0 = loadavg()[0];
for (let r = 0; r <= rounds; r++) {
  for (const name of r % 2 ? [...names].reverse() : names) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) sink += sides[name]();
    const c = process.cpuUsage(c0);
    if (r > 0) {
      wall[name].push((performance.now() - t0) / steps);
      cpu[name].push((c.user + c.system) / 1000 / steps);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ratio = (xs: Record<Side, number[]>, side: Side) =>
  median(xs[side].map((x, i) => x / (xs.old[i] as number))).toFixed(3);

let hi = 0;
let lo = 0;
for (const g of grads) {
  for (let i = 0; i < g.length; i++) {
    const t = g[i] * g[i];
    const s = hi + t;
    const bv = s - hi;
    lo += hi - (s - bv) + (t - bv);
    hi = s;
  }
}
const exact = hi + lo;
const floats = grads.reduce((n, g) => n + g.length, 0);
console.log(
  `${values.workload} sum of squares (${grads.length} gradients, ${floats} floats), ${rounds} rounds x ${steps}, ` +
    `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
);
for (const name of names) {
  const err = (sides[name]() - exact) / exact;
  console.log(
    `  ${name.padEnd(6)} CPU ms ${median(cpu[name]).toFixed(3)} (/old ${ratio(cpu, name)}), ` +
      `wall ms ${median(wall[name]).toFixed(3)} (/old ${ratio(wall, name)}), relative error ${err.toExponential(2)}`,
  );
}
if (Number.isNaN(sink)) console.log('(NaN)');
