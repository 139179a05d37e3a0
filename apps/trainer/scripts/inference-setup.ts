// The model and batch of `seqlab bench speed --mode infer` for one workload (seeded as the bench
// seeds them, eval mode), and the timing the inference scripts share: the median wall and process
// CPU milliseconds of a forward under `noGrad`.
import { manualSeed, noGrad, type Tensor } from '@seqlab/tensor';
import { makeBatch } from '../src/commands/bench/speed';
import { SeqClassifier, WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';

export interface InferenceSetup {
  model: SeqClassifier;
  tokens: Tensor;
}

export function inferenceSetup(name: WorkloadName): InferenceSetup {
  manualSeed(0);
  const model = new SeqClassifier(WORKLOADS[name]);
  model.eval();
  return { model, tokens: makeBatch(WORKLOADS[name], 1).tokens };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median wall and process CPU ms (every thread) of `steps` forwards after `warmup` untimed ones. */
export function timeInference({ model, tokens }: InferenceSetup, steps: number, warmup: number) {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = -warmup; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    noGrad(() => model.forward(tokens));
    const c = process.cpuUsage(c0);
    if (i >= 0) {
      wall.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}
