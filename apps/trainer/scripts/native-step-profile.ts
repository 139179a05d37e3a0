// Where a native training step's time goes, kernel by kernel: the W1/W2/W3 (or W1-packed) step of
// `seqlab bench speed --mode train` (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5),
// Adam) with every function of the native addon wrapped in a wall-clock timer. GEMMs are told apart
// by their transposes (forward input projections and backward dX: A @ Bᵀ / A @ B; weight
// gradients: Aᵀ @ B; --shapes lists them by M x K x N); what no addon call covers is JavaScript (autograd, op checks, allocation)
// and the garbage collector (its main-thread pauses counted apart).
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/native-step-profile.ts [--workload W1] [--steps 10] [--threads 2] [--shapes] [--cpu] [--sites]
//
// --cpu adds the process's CPU time per category (every thread of the pool): a call whose CPU time is
// under twice its wall time on two threads left a core idle for the difference. --sites files the
// ops (elementwise, copies, reductions) under the functions of @seqlab/tensor and @seqlab/layers
// that called them.
// Prints a Markdown table of milliseconds per step (medians over the steps) for tools/bench/PROFILE.md.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { loadNative, registerNative } from '@seqlab/native';
import { clipGradNorm } from '@seqlab/optim';
import { setBackend } from '@seqlab/tensor';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    shapes: { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    sites: { type: 'boolean', default: false },
  },
});

// The CLI's policy (apps/trainer/src/backend.ts): freed arrays stay warm in malloc's heap.
const status = registerNative({ threads: Number(values.threads), retainFreedMemory: true });
if (!status.ok) throw new Error(`native backend unavailable: ${status.reason}`);
setBackend('native');
const load = loadNative();
if (!load.ok) throw new Error(load.reason);
const addon = load.addon as unknown as Record<string, (...args: unknown[]) => unknown>;

// Per-step accumulated milliseconds by category.
let current = new Map<string, number>();
const add = (key: string, ms: number) => current.set(key, (current.get(key) ?? 0) + ms);
// With --cpu: the process's CPU time (every thread) by category as well, in a second column.
let currentCpu = new Map<string, number>();
const addCpu = (key: string, c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  currentCpu.set(key, (currentCpu.get(key) ?? 0) + (c.user + c.system) / 1000);
};

function categoryOf(name: string, args: unknown[]): string {
  if (name === 'gemm') {
    const [transA, transB, m, n, k] = args as [boolean, boolean, number, number, number];
    const kind = transA
      ? 'weight gradients (Aᵀ B)'
      : transB
        ? 'A Bᵀ (forward projections)'
        : 'A B (backward dX)';
    if (values.shapes) return `gemm: ${kind} ${m}x${k}x${n}`;
    return `gemm: ${kind}`;
  }
  if (name === 'recurrentForwardMany' || name === 'recurrentForward') return 'recurrence forward';
  if (name === 'recurrentBackwardMany' || name === 'recurrentBackward') return 'recurrence backward';
  if (name === 'opsAdam') return 'optimizer (Adam kernel)';
  if (name === 'opsSumSquares') return 'clipGradNorm (sum of squares kernel)';
  const op = `ops: ${name.replace(/^ops/, '')}`;
  return values.sites ? `${op} <- ${callerOf()}` : op;
}

// With --sites: the first two functions of @seqlab/tensor or @seqlab/layers under the addon call.
function callerOf(): string {
  return (new Error().stack ?? '')
    .split('\n')
    .filter((l) => /packages\/(tensor|layers)\/src/.test(l))
    .slice(0, 2)
    .map((l) =>
      l
        .trim()
        .replace(/^at /, '')
        .replace(/ \(.*\/src\//, ' (')
        .replace(/:\d+\)$/, ')'),
    )
    .join(' <- ');
}

for (const name of Object.keys(addon)) {
  const fn = addon[name];
  if (typeof fn !== 'function' || name === 'setThreads' || name === 'threads') continue;
  addon[name] = (...args: unknown[]) => {
    const c0 = values.cpu ? process.cpuUsage() : undefined;
    const t0 = performance.now();
    const out = fn(...args);
    const key = categoryOf(name, args);
    add(key, performance.now() - t0);
    if (c0) addCpu(key, c0);
    return out;
  };
}

const name = values.workload ?? 'W1';
const { forward, labels, params, optimizer } = trainingSetup(name);

// Garbage-collector pauses on the main thread, kept with their start times (delivered after the loop).
const pauses: { start: number; ms: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration });
});
observer.observe({ entryTypes: ['gc'] });

const steps: Map<string, number>[] = [];
const cpuSteps: Map<string, number>[] = [];
const total = Number(values.warmup) + Number(values.steps);
let timedFrom = 0;
for (let i = 0; i < total; i++) {
  current = new Map();
  currentCpu = new Map();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (i === Number(values.warmup)) timedFrom = t0;
  optimizer.zeroGrad();
  let phase = process.cpuUsage();
  const f0 = performance.now();
  const loss = crossEntropy(forward(), labels);
  add('= forward pass (all of it)', performance.now() - f0);
  addCpu('= forward pass (all of it)', phase);
  phase = process.cpuUsage();
  const b0 = performance.now();
  loss.backward();
  add('= backward pass (all of it)', performance.now() - b0);
  addCpu('= backward pass (all of it)', phase);
  phase = process.cpuUsage();
  const o0 = performance.now();
  clipGradNorm(params, 5);
  optimizer.step();
  add('= clip + optimizer (all of it)', performance.now() - o0);
  addCpu('= clip + optimizer (all of it)', phase);
  add('= step', performance.now() - t0);
  addCpu('= step', c0);
  loss.item();
  if (i >= Number(values.warmup)) {
    steps.push(current);
    cpuSteps.push(currentCpu);
  }
}

const timedTo = performance.now();
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();
const gcMs =
  pauses.filter((p) => p.start >= timedFrom && p.start < timedTo).reduce((sum, p) => sum + p.ms, 0) /
  Number(values.steps);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const keys = [...new Set(steps.flatMap((s) => [...s.keys()]))].sort();
const med = new Map(keys.map((k) => [k, median(steps.map((s) => s.get(k) ?? 0))]));
const stepMs = med.get('= step') ?? 0;
let inKernels = 0;
console.log(`${name}, ${values.threads} threads, ${values.steps} steps: ms per step (medians)\n`);
const cpuMed = new Map(keys.map((k) => [k, median(cpuSteps.map((s) => s.get(k) ?? 0))]));
const cpuCol = (k: string) => (values.cpu ? ` ${(cpuMed.get(k) ?? 0).toFixed(1)} |` : '');
console.log(
  values.cpu
    ? '| where | ms / step | share | CPU ms / step (every thread) |\n|---|---:|---:|---:|'
    : '| where | ms / step | share |\n|---|---:|---:|',
);
for (const k of keys) {
  const ms = med.get(k) ?? 0;
  if (!k.startsWith('=')) inKernels += ms;
  console.log(`| ${k} | ${ms.toFixed(1)} | ${((100 * ms) / stepMs).toFixed(1)}% |${cpuCol(k)}`);
}
const js = stepMs - inKernels - gcMs;
console.log(
  `| GC pauses on the main thread (mean) | ${gcMs.toFixed(1)} | ${((100 * gcMs) / stepMs).toFixed(1)}% |`,
);
console.log(
  `| JavaScript (step − addon calls − GC) | ${js.toFixed(1)} | ${((100 * js) / stepMs).toFixed(1)}% |`,
);
