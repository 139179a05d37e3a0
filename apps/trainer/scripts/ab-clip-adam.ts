// The wasm backend's clip + Adam kernels on a workload's real gradients, in one process, each part
// alternating its sides (in order, then reversed) for `--rounds` rounds of `--steps` passes over
// every parameter, round 0 untimed. Prints the median CPU and wall ms of a pass per side, the
// median of the per-round ratios against the first side, and the load average.
//
// 1. clipGradNorm's sum of squares: "old" is the js kernel (one float64 running sum, the wasm
//    backend's before NOTE(wasm-sum-squares)), "new" the wasm backend's (each block copied into the
//    module's memory, then blocked.c's sum_squares), "kernel" the same export over gradients
//    already in a module's memory (no copy: what the copy costs is new − kernel); and each side's
//    total against the exact sum (a double-double), relative.
// 2. Adam's update: "copies" as the wasm backend runs it through a state memory
//    (NOTE(wasm-adam-state): m and v in place, θ and g copied in and θ out a block at a time),
//    "resident" the same adam_step export over θ, g, m and v all already in its module's memory
//    (what keeping parameters and gradients there would save), each side on its own copy of the
//    parameters and moments from the same start: both must end with the same bits.
// 3. clipGradNorm(params, 5) inside `--steps` · 2 real training steps (zeroGrad, forward, loss,
//    backward, the clip timed alone, Adam; in `tidy`), the backend's sumSquares ("new") or the js
//    kernel ("old") alternating step by step (old new new old …): the gradients as backward leaves
//    them, not warmed by repeated passes. Median CPU ms of the clip per side.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-clip-adam.ts \
//     [--workload W1] [--rounds 21] [--steps 20]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { clipGradNorm } from '@seqlab/optim';
import { setBackend, tidy } from '@seqlab/tensor';
import { backend, jsBackend } from '@seqlab/tensor/backend';
import { loadWasmKernels } from '../../../packages/tensor/src/backend/wasm/index';
import type { WasmModule } from '../../../packages/tensor/src/backend/wasm/module';
import { adamScalars, adamStateViews, trainingSetup } from './training-setup';

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
const { forward, labels, params, optimizer } = trainingSetup(values.workload);
crossEntropy(forward(), labels).backward();
const grads = params.map((p) => {
  const g = p.grad?.data;
  if (!(g instanceof Float32Array)) throw new Error('ab-clip-adam: a parameter without a float32 gradient');
  return g;
});
const floats = grads.reduce((n, g) => n + g.length, 0);
const wasmSum = backend().sumSquares;
if (!wasmSum || wasmSum === jsBackend.sumSquares)
  throw new Error('ab-clip-adam: this build of the wasm backend has no sumSquares kernel of its own');

/** A fresh instance of the kernels (a memory of its own). */
function instance(): WasmModule {
  const load = loadWasmKernels();
  if (!load.ok) throw new Error(`ab-clip-adam: ${load.reason}`);
  return load.module;
}

let sink = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** Runs the sides alternating (in order, then reversed), round 0 untimed: ms a pass per side. */
function alternate(run: Record<string, () => number>) {
  const names = Object.keys(run);
  const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const load0 = loadavg()[0];
  for (let r = 0; r <= rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) sink += (run[name] as () => number)();
      const c = process.cpuUsage(c0);
      if (r > 0) {
        (wall[name] as number[]).push((performance.now() - t0) / steps);
        (cpu[name] as number[]).push((c.user + c.system) / 1000 / steps);
      }
    }
  }
  const base = names[0] as string;
  const ratio = (xs: Record<string, number[]>, name: string) =>
    median((xs[name] as number[]).map((x, i) => x / ((xs[base] as number[])[i] as number))).toFixed(3);
  const line = (name: string) =>
    `CPU ms ${median(cpu[name] as number[]).toFixed(3)} (/${base} ${ratio(cpu, name)}), ` +
    `wall ms ${median(wall[name] as number[]).toFixed(3)} (/${base} ${ratio(wall, name)})`;
  return { line, load: `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}` };
}

// 1. The sum of squares. "kernel": every gradient copied once into a module of its own.
const mod = instance();
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
const sumSides = {
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
const sums = alternate(sumSides);
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
console.log(
  `${values.workload} sum of squares (${grads.length} gradients, ${floats} floats), ${rounds} rounds x ${steps}, ${sums.load}`,
);
for (const name of Object.keys(sumSides) as (keyof typeof sumSides)[]) {
  const err = (sumSides[name]() - exact) / exact;
  console.log(`  ${name.padEnd(8)} ${sums.line(name)}, relative error ${err.toExponential(2)}`);
}

// 2. Adam. "copies": m and v views of a state memory, θ a plain array (a copy of the parameter).
const { memory, state: copied } = adamStateViews(instance(), params);
// "resident": [7 float64 scalars (16 slots)] then [θ][g][m][v] of each parameter in one memory.
const res = instance();
const S = res.scratch;
let top = S + 16;
const slots = params.map((p) => {
  const n4 = (p.numel + 3) & ~3;
  const four = [0, 1, 2, 3].map((k) => top + k * n4) as [number, number, number, number];
  top += 4 * n4;
  return four;
});
res.reserve(top);
params.forEach((p, i) => {
  const [X, G] = slots[i] as [number, number, number, number];
  res.heap().set(p.data as Float32Array, X);
  res.heap().set(grads[i] as Float32Array, G);
});
const t = { copies: 0, resident: 0 };
const adamSides = {
  copies: () => {
    const sc = adamScalars(++t.copies);
    copied.forEach((s, i) => {
      memory.adamStep({ ...s, grad: grads[i] as Float32Array, ...sc });
    });
    return 0;
  },
  resident: () => {
    const sc = adamScalars(++t.resident);
    new Float64Array(res.heap().buffer, S * 4, 7).set([
      sc.beta1,
      sc.beta2,
      sc.eps,
      sc.stepSize,
      sc.bias2Sqrt,
      0,
      1,
    ]);
    params.forEach((p, i) => {
      const [X, G, M, V] = slots[i] as [number, number, number, number];
      res.exports.adam_step(p.numel, X * 4, G * 4, M * 4, V * 4, 0, S * 4, 0);
    });
    return 0;
  },
};
const adam = alternate(adamSides);
let same = t.copies === t.resident;
params.forEach((p, i) => {
  const [X, , M, V] = slots[i] as [number, number, number, number];
  const heap = res.heap();
  const s = copied[i] as (typeof copied)[number];
  const pairs: [Float32Array, number][] = [
    [s.param, X],
    [s.expAvg, M],
    [s.expAvgSq, V],
  ];
  for (const [a, o] of pairs)
    for (let j = 0; j < p.numel; j++) if (!Object.is(a[j], heap[o + j])) same = false;
});
console.log(
  `${values.workload} Adam step (${params.length} tensors, ${floats} floats), ${rounds} rounds x ${steps}, ${adam.load}; ` +
    `same bits: ${same ? 'yes' : 'NO'}`,
);
for (const name of Object.keys(adamSides)) console.log(`  ${name.padEnd(8)} ${adam.line(name)}`);

// 3. The clip inside real steps.
const wasmBackend = backend();
const inStep: Record<string, number[]> = { old: [], new: [] };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const load3 = loadavg()[0];
for (let i = 0; i < 4 + 2 * steps; i++) {
  const side = (i >> 1) % 2 === i % 2 ? 'old' : 'new';
  tidy(() => {
    optimizer.zeroGrad();
    crossEntropy(forward(), labels).backward();
    wasmBackend.sumSquares = side === 'new' ? wasmSum : undefined;
    const c0 = cpuMs();
    sink += clipGradNorm(params, 5);
    if (i >= 4) (inStep[side] as number[]).push(cpuMs() - c0);
    optimizer.step();
  });
}
wasmBackend.sumSquares = wasmSum;
console.log(
  `${values.workload} clipGradNorm inside ${2 * steps} training steps, load ${load3.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
    `CPU ms old ${median(inStep.old as number[]).toFixed(2)}, new ${median(inStep.new as number[]).toFixed(2)}`,
);
if (Number.isNaN(sink)) console.log('(NaN)');
if (!same) process.exitCode = 1;
