// The process CPU time of every array kernel of a training step that runs outside the GEMM and the
// fused recurrence (the backend's elementwise ops, strided copies, reductions, index ops, fills),
// by method, op and output length: `seqlab bench speed --mode train`'s step (training-setup.ts:
// zeroGrad, forward, cross-entropy, backward, clipGradNorm(5), Adam) with a copy of the backend
// registered in its place whose methods are timed (`process.cpuUsage`, user + system, around each
// call) and count the minor page faults each call takes.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/step-ops.ts [--workload W1] [--backend wasm] [--steps 6] [--warmup 3] [--tidy on|off] [--rows 15]
//
// Prints, per row, the median over the timed steps of the CPU ms a step, the calls a step, ns per
// element of the largest array argument (the output for `binary`, the source for the others), and
// the page faults a step. The step runs in `tidy` as the bench runs it (NOTE(tidy)); --tidy off:
// without (then the pool misses whatever the step's own tensors hold, and fresh outputs fault).
import { parseArgs } from 'node:util';
import { setBackend, tidy } from '@seqlab/tensor';
import { backend, inferRecurrentLayer, registerBackend, setWasmLayerInference } from '@seqlab/tensor/backend';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '3' },
    tidy: { type: 'string', default: 'on' },
    rows: { type: 'string', default: '15' },
  },
});
if (values.backend === 'native') (await import('@seqlab/native')).registerNative();
setBackend(values.backend);
// The wasm backend's layer hook, as the CLI enables it (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
const own = backend();
const METHODS = ['binary', 'unary', 'unaryBackward', 'where', 'reduce', 'stridedCopy', 'stridedAccumulate'];
METHODS.push('fill', 'indexSelect', 'indexAdd', 'softmax', 'softmaxBackward', 'sumSquares');
/** Methods whose first argument names the op. */
const WITH_OP = new Set(['binary', 'unary', 'unaryBackward', 'reduce']);

interface Row {
  ms: number[];
  calls: number;
  elements: number;
  faults: number;
}
const rows = new Map<string, Row>();
let step = -1;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const wrapped: Record<string, unknown> = { ...own };
for (const method of METHODS) {
  const fn = (own as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  if (typeof fn !== 'function') continue;
  wrapped[method] = function (this: unknown, ...args: unknown[]) {
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = cpu();
    const result = fn.apply(this, args);
    const ms = cpu() - t0;
    if (step >= 0) {
      const faults = process.resourceUsage().minorPageFault - f0;
      const arrays = args.filter((a): a is Float32Array => ArrayBuffer.isView(a));
      const n = Math.max(0, ...arrays.map((a) => a.length));
      const key = `${WITH_OP.has(method) ? `${method} ${args[0]}` : method} ${n}`;
      const row = rows.get(key) ?? { ms: [], calls: 0, elements: n, faults: 0 };
      row.ms[step] = (row.ms[step] ?? 0) + ms;
      row.calls++;
      row.faults += faults;
      rows.set(key, row);
    }
    return result;
  };
}
registerBackend(wrapped as unknown as typeof own);
if ((backend() as unknown) !== wrapped)
  throw new Error('step-ops: the wrapped backend is not the active one');

const { step: train } = trainingSetup(values.workload);
const run = () => (values.tidy === 'off' ? train() : tidy(train));
for (let i = 0; i < Number(values.warmup); i++) run();
const steps = Number(values.steps);
const t0 = cpu();
for (step = 0; step < steps; step++) run();
const stepMs = (cpu() - t0) / steps;
const median = (a: number[]) => {
  const b = Array.from({ length: steps }, (_, i) => a[i] ?? 0).sort((x, y) => x - y);
  return b[b.length >> 1];
};
const load = (await import('node:os')).loadavg()[0].toFixed(1);
console.log(
  `${values.workload} on ${values.backend}, tidy ${values.tidy}: ${stepMs.toFixed(0)} ms of CPU a step (mean of ${steps}), load ${load}`,
);
console.log('| CPU ms / step (median) | calls / step | ns / element | faults / step | method, op, length |');
console.log('|---:|---:|---:|---:|---|');
const sorted = [...rows].map(([k, r]) => [k, r, median(r.ms)] as const).sort((a, b) => b[2] - a[2]);
for (const [key, r, ms] of sorted.slice(0, Number(values.rows))) {
  const perCall = r.calls / steps;
  const ns = r.elements > 0 ? ((ms * 1e6) / (perCall * r.elements)).toFixed(2) : '';
  console.log(`| ${ms.toFixed(2)} | ${perCall} | ${ns} | ${(r.faults / steps).toFixed(0)} | ${key} |`);
}
