// The model, batch and optimizer of `seqlab bench speed --mode train` for one workload (W1/W2/W3 or
// W1-packed), seeded as the bench seeds them: what the step-profiling scripts train.

import { crossEntropy } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { manualSeed, type Tensor } from '@seqlab/tensor';
import type { AdamStepArgs, StateMemory } from '../../../packages/tensor/src/backend/backend';
import { makeStateMemory } from '../../../packages/tensor/src/backend/wasm/blocked';
import type { WasmModule } from '../../../packages/tensor/src/backend/wasm/module';
import { makePackedBatch, PACKED_WORKLOADS, PackedClassifier } from '../src/commands/bench/packed';
import { makeBatch } from '../src/commands/bench/speed';
import { SeqClassifier, WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';

export interface TrainingSetup {
  /** The model's logits for the fixed batch (train mode). */
  forward: () => Tensor;
  labels: Tensor;
  params: Tensor[];
  optimizer: Adam;
  /**
   * One training step as `bench speed --mode train` runs it (zeroGrad, forward, cross-entropy,
   * backward, clipGradNorm(5), Adam), without its `tidy`: the loss.
   */
  step: () => number;
}

export function trainingSetup(name: string): TrainingSetup {
  manualSeed(0);
  let forward: () => Tensor;
  let labels: Tensor;
  let params: Tensor[];
  if (name === 'W1-packed') {
    const w = PACKED_WORKLOADS['W1-packed'];
    const model = new PackedClassifier(w);
    const batch = makePackedBatch(w, 1);
    forward = () => model.forwardPacked(batch.tokens, batch.lengths);
    labels = batch.labels;
    params = model.parameters();
    model.train();
  } else {
    const w = WORKLOADS[name as WorkloadName];
    const model = new SeqClassifier(w);
    const batch = makeBatch(w, 1);
    forward = () => model.forward(batch.tokens);
    labels = batch.labels;
    params = model.parameters();
    model.train();
  }
  const optimizer = new Adam(params, { lr: 1e-3 });
  const step = () => {
    optimizer.zeroGrad();
    const loss = crossEntropy(forward(), labels);
    loss.backward();
    clipGradNorm(params, 5);
    optimizer.step();
    return loss.item();
  };
  return { forward, labels, params, optimizer, step };
}

/**
 * Adam's state for `params` as the wasm backend keeps it (NOTE(wasm-adam-state)): m and v views of
 * a state memory in `module`, θ a copy of each parameter; for the scripts that time adam_step.
 */
export function adamStateViews(module: WasmModule, params: readonly Tensor[]) {
  const bytes = params.reduce((n, p) => n + ((p.numel + 3) & ~3) * 4 * 2, 0);
  const memory = makeStateMemory(module, bytes) as StateMemory;
  let next = memory.start;
  const view = (n: number) => {
    const v = new Float32Array(memory.buffer, next, n);
    next += ((n + 3) & ~3) * 4;
    return v;
  };
  const state = params.map((p) => ({
    param: Float32Array.from(p.data as Float32Array),
    expAvg: view(p.numel),
    expAvgSq: view(p.numel),
  }));
  return { memory, state };
}

/** adam_step's scalars at step t (β 0.9, 0.999, lr 1e-3, eps 1e-8, no weight decay): Adam's defaults. */
export function adamScalars(t: number) {
  const [beta1, beta2, lr] = [0.9, 0.999, 1e-3];
  return {
    beta1,
    beta2,
    eps: 1e-8,
    stepSize: lr / (1 - beta1 ** t),
    bias2Sqrt: Math.sqrt(1 - beta2 ** t),
    l2: 0,
    decay: 1,
    maximize: false,
    maxExpAvgSq: null,
  } satisfies Partial<AdamStepArgs>;
}
