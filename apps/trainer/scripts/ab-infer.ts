// W1 and W2 inference on the native backend with and without its inference kernels
// (`recurrentInferMany`, `addBias`), alternating in one process (A B A B), so both sides see the
// same machine load: the median wall time per step, the median process CPU time per step (every
// thread), and the median of the per-round ratios new / old.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-infer.ts [rounds=5]
import { loadavg } from 'node:os';
import { registerNative } from '@seqlab/native';
import { manualSeed, noGrad, setBackend } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { makeBatch } from '../src/commands/bench/speed';
import { SeqClassifier, WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';

registerNative();
setBackend('native');
const k = backend() as { recurrentInferMany?: unknown; addBias?: unknown };
const infer = k.recurrentInferMany;
const addBias = k.addBias;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(process.argv[2] ?? 5);
for (const name of ['W1', 'W2'] as WorkloadName[]) {
  const w = WORKLOADS[name];
  manualSeed(0);
  const model = new SeqClassifier(w);
  model.eval();
  const { tokens } = makeBatch(w, 1);
  const res: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of ['old', 'new']) {
      k.recurrentInferMany = v === 'new' ? infer : undefined;
      k.addBias = v === 'new' ? addBias : undefined;
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
  console.log(
    `${name} CPU ms (all threads): old ${median(cpu.old).toFixed(1)}, new ${median(cpu.new).toFixed(1)}`,
  );
  console.log(
    `${name}: old ${o.toFixed(1)} ms, new ${n.toFixed(1)} ms, new/old median ${median(ratios).toFixed(3)} (load ${loadavg()[0].toFixed(1)})`,
  );
}
