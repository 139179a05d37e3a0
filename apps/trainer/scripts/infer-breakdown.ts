// Where a W1/W2 inference step (`seqlab bench speed --mode infer`) goes on a backend: the model of
// the speed benchmark, run under `noGrad` in eval mode, with every kernel of the active backend
// wrapped in a timer (wall time per step, by kernel), the rest being JavaScript (op checks,
// allocation, GC, the strided copies of the embedding and the last step).
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/infer-breakdown.ts \
//     [--backend native] [--workloads W1,W2] [--steps 20] [--warmup 3]
//
// Prints one table per workload: kernel, calls per step, ms per step (median over steps), share of
// the step. On a shared machine read the shares, not the milliseconds.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registerNative } from '@seqlab/native';
import { noGrad, setBackend } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import type { WorkloadName } from '../src/commands/bench/workloads';
import { inferenceSetup, median } from './inference-setup';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    workloads: { type: 'string', default: 'W1,W2' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
  },
});
registerNative();
setBackend(values.backend);
const kernels = backend() as unknown as Record<string, unknown>;
const spent = new Map<string, number[]>();
let step = -1;
for (const [name, fn] of Object.entries(kernels)) {
  // layerInference is not a kernel: it calls the inference kernels (timed) through `this`.
  if (typeof fn !== 'function' || ['isa', 'threads', 'layerInference'].includes(name)) continue;
  kernels[name] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      if (step >= 0) {
        const row = spent.get(name) ?? [];
        row[step] = (row[step] ?? 0) + performance.now() - t0;
        (row as unknown as { calls: number }).calls = ((row as unknown as { calls?: number }).calls ?? 0) + 1;
        spent.set(name, row);
      }
    }
  };
}
const steps = Number(values.steps);
const warmup = Number(values.warmup);
console.log(
  `backend ${values.backend}, ${steps} steps after ${warmup} warm-up, load average ${loadavg()[0].toFixed(2)}`,
);
for (const name of values.workloads.split(',') as WorkloadName[]) {
  const { model, tokens } = inferenceSetup(name);
  spent.clear();
  const totals: number[] = [];
  for (let i = -warmup; i < steps; i++) {
    step = i;
    const t0 = performance.now();
    noGrad(() => model.forward(tokens));
    if (i >= 0) totals[i] = performance.now() - t0;
  }
  step = -1;
  const total = median(totals);
  console.log(`\n${name}: ${total.toFixed(1)} ms per step (median)`);
  console.log('| where | calls / step | ms / step | share |\n|---|---:|---:|---:|');
  let kernelSum = 0;
  const rows = [...spent].map(([k, v]) => {
    const ms = median(Array.from({ length: steps }, (_, s) => v[s] ?? 0));
    kernelSum += ms;
    return [k, (v as unknown as { calls: number }).calls / steps, ms] as const;
  });
  for (const [k, calls, ms] of rows.sort((a, b) => b[2] - a[2]))
    console.log(`| ${k} | ${calls} | ${ms.toFixed(2)} | ${((100 * ms) / total).toFixed(1)}% |`);
  console.log(
    `| JavaScript around the kernels | | ${(total - kernelSum).toFixed(2)} | ${((100 * (total - kernelSum)) / total).toFixed(1)}% |`,
  );
}
