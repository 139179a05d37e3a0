// W1 and W2 inference on the native backend with and without some of its optional inference kernels
// (by default `recurrentInferInputMany`, the input projection fused into the recurrence: without it
// the layers run `linear` and then `recurrentInferMany`), alternating in one process (A B A B), so
// both sides see the same machine load: the median wall time per step, the median process CPU time
// per step (every thread), and the median of the per-round ratios new / old.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-infer.ts \
//     [--rounds 5] [--threads 1] [--off recurrentInferInputMany,recurrentInferMany,addBias] [--workloads W1,W2]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registerNative, setNativeThreads } from '@seqlab/native';
import { manualSeed, noGrad, setBackend } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { makeBatch } from '../src/commands/bench/speed';
import { SeqClassifier, WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string' },
    off: { type: 'string', default: 'recurrentInferInputMany' },
    workloads: { type: 'string', default: 'W1,W2' },
  },
});
registerNative();
setBackend('native');
if (values.threads) setNativeThreads(Number(values.threads));
const k = backend() as unknown as Record<string, unknown>;
const off = values.off.split(',');
const kept = Object.fromEntries(off.map((name) => [name, k[name]]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(values.rounds);
console.log(`old: without ${off.join(', ')}; new: the backend as it is`);
for (const name of values.workloads.split(',') as WorkloadName[]) {
  const w = WORKLOADS[name];
  manualSeed(0);
  const model = new SeqClassifier(w);
  model.eval();
  const { tokens } = makeBatch(w, 1);
  const res: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of ['old', 'new']) {
      for (const kernel of off) k[kernel] = v === 'new' ? kept[kernel] : undefined;
      const ts: number[] = [];
      const cs: number[] = [];
      for (let i = 0; i < 8; i++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        noGrad(() => model.forward(tokens));
        const c = process.cpuUsage(c0);
        if (i >= 2) {
          ts.push(performance.now() - t0);
          cs.push((c.user + c.system) / 1000);
        }
      }
      res[v].push(median(ts));
      cpu[v].push(median(cs));
    }
  }
  const o = median(res.old),
    n = median(res.new);
  const ratios = res.new.map((x, i) => x / res.old[i]);
  const cpuRatios = cpu.new.map((x, i) => x / cpu.old[i]);
  console.log(
    `${name} CPU ms (all threads): old ${median(cpu.old).toFixed(1)}, new ${median(cpu.new).toFixed(1)}, new/old median ${median(cpuRatios).toFixed(3)}`,
  );
  console.log(
    `${name}: old ${o.toFixed(1)} ms, new ${n.toFixed(1)} ms, new/old median ${median(ratios).toFixed(3)} (load ${loadavg()[0].toFixed(1)})`,
  );
}
