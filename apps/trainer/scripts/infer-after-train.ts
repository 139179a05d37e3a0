// Does training slow the inference that follows it in the same process (issue 13: `seqlab bench
// speed` runs train then infer in one process, and W2's native inference median came out above the
// infer-only run's)? In one process, as `bench speed` seeds them: an untrained model A (and a second
// one, A2) timed in alternating blocks, then a model B trained `--train` steps (zeroGrad + forward +
// cross-entropy + backward + clipGradNorm(5) + Adam(1e-3), train mode), then A and B timed in
// alternating blocks. Prints the median of the block medians of each, the per-round ratios
// trained B / untrained A (the weights' effect) and A after / A before (the process state's effect:
// storage pool, thread pool, V8's compiled code), the denormal floats in B's parameters and LSTM
// outputs, and the fresh (not pooled) storage allocations of an inference step after training.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/infer-after-train.ts \
//     [--workload W2] [--train 45] [--rounds 5] [--steps 20] [--backend native]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { registerNative } from '@seqlab/native';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { noGrad, setBackend, type Tensor, tidy } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { makeBatch } from '../src/commands/bench/speed';
import { WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';
import { type InferenceSetup, inferenceSetup, median } from './inference-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W2' },
    train: { type: 'string', default: '45' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'native' },
  },
});
registerNative();
setBackend(values.backend);
const name = values.workload as WorkloadName;
const rounds = Number(values.rounds);
const steps = Number(values.steps);

// Fresh storage the backend hands out (what the storage pool could not give back).
const k = backend();
const uninitialized = k.uninitializedStorage;
let fresh = 0;
if (uninitialized)
  k.uninitializedStorage = ((dtype, n) => {
    fresh++;
    return uninitialized.call(k, dtype, n);
  }) as typeof uninitialized;

/** The median wall ms of `steps` forwards (noGrad, tidy, as `bench speed --mode infer`) after 3 untimed. */
function block({ model, tokens }: InferenceSetup): number {
  model.eval();
  const times: number[] = [];
  noGrad(() => {
    for (let i = -3; i < steps; i++) {
      const t0 = performance.now();
      tidy(() => model.forward(tokens));
      if (i >= 0) times.push(performance.now() - t0);
    }
  });
  return median(times);
}

const SMALLEST_NORMAL = 1.1754943508222875e-38;
function denormals(tensors: readonly Tensor[]): string {
  let d = 0;
  let n = 0;
  for (const t of tensors)
    for (const x of t.detach().reshape([-1]).toArray() as number[]) {
      n++;
      if (x !== 0 && Math.abs(x) < SMALLEST_NORMAL) d++;
    }
  return `${d} of ${n}`;
}

const a = inferenceSetup(name);
const a2 = inferenceSetup(name);
const before = { a: [] as number[], a2: [] as number[] };
for (let r = 0; r < rounds; r++) {
  before.a.push(block(a));
  before.a2.push(block(a2));
}

// B: the bench's model, seed and batch, trained as `bench speed` trains it before its inference.
const b = inferenceSetup(name);
const { labels } = makeBatch(WORKLOADS[name], 1);
const params = b.model.parameters();
const optimizer = new Adam(params, { lr: 1e-3 });
b.model.train();
for (let i = 0; i < Number(values.train); i++) {
  optimizer.zeroGrad();
  const loss = crossEntropy(b.model.forward(b.tokens), labels);
  loss.backward();
  clipGradNorm(params, 5);
  optimizer.step();
  loss.item();
}

const after = { a: [] as number[], b: [] as number[] };
let freshPerStep = Number.NaN;
for (let r = 0; r < rounds; r++) {
  after.a.push(block(a));
  const f0 = fresh;
  after.b.push(block(b));
  freshPerStep = (fresh - f0) / (steps + 3);
}

const outputs = noGrad(() => b.model.rnn.forward(b.model.emb.forward(b.tokens)).output);
const f = (xs: number[]) => median(xs).toFixed(2);
console.log(
  `${name} ${values.backend}, ${rounds} rounds of ${steps} steps, ${values.train} training steps between`,
);
console.log(`before training: untrained A ${f(before.a)} ms, untrained A2 ${f(before.a2)} ms`);
console.log(`after training:  untrained A ${f(after.a)} ms, trained B ${f(after.b)} ms`);
console.log(
  `trained B / untrained A (after, per round) median ${median(after.b.map((x, i) => x / after.a[i])).toFixed(3)}; ` +
    `A after / A before ${(median(after.a) / median(before.a)).toFixed(3)}`,
);
console.log(
  `denormals: B's parameters ${denormals(b.model.parameters())}, B's LSTM outputs ${denormals([outputs])}; ` +
    `fresh storages per inference step after training ${freshPerStep.toFixed(1)} (load ${loadavg()[0].toFixed(2)})`,
);
