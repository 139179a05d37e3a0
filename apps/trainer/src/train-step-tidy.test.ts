// A training step in `tidy` (NOTE(tidy) in @seqlab/tensor) on the bench's LSTM classifier
// (embedding -> 2-layer bidirectional LSTM with dropout 0.3 -> linear on output[:, -1]), with
// zeroGrad, cross-entropy, backward, clipGradNorm and Adam, as `seqlab bench speed --mode train` and
// the trainer run it, on every backend (native when its addon loads; wasm with its layer-inference
// hook, so the deferred reverse direction runs there too). Step after step the losses,
// parameters, gradients and Adam's state are the bits of the same steps without tidy, and
// readable after each; what a step made is disposed; from the second step on the step takes all
// its storage from the pool (without tidy it allocates afresh).
import { crossEntropy } from '@seqlab/layers';
import { registerNative } from '@seqlab/native';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  DisposedError,
  getBackend,
  isDisposed,
  listBackends,
  manualSeed,
  setBackend,
  type Tensor,
  tidy,
} from '@seqlab/tensor';
import { inferRecurrentLayer, setWasmLayerInference } from '@seqlab/tensor/backend';
import { storagePoolStats } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeBatch } from './commands/bench/speed';
import { SeqClassifier, type Workload } from './commands/bench/workloads';

registerNative({ default: false });

// Big enough for the storage pool (16 KiB and up): the layers' outputs are 16 × 24 × 256 floats.
const W: Workload = {
  vocab: 400,
  emb: 32,
  cell: 'lstm',
  hidden: 128,
  layers: 2,
  bidirectional: true,
  dropout: 0.3,
  batch: 16,
  seq: 24,
  classes: 5,
};

/** A float32 tensor's bytes, copied (+0 and −0 differ, as every NaN payload). */
const bytes = (t: Tensor) => Buffer.from(Float32Array.from(t.data).buffer);

function setup() {
  manualSeed(3);
  const model = new SeqClassifier(W);
  model.train();
  const params = model.parameters();
  return { model, params, optimizer: new Adam(params, { lr: 1e-2 }) };
}
type Setup = ReturnType<typeof setup>;
const batches = [1, 2, 3, 4].map((seed) => makeBatch(W, seed));

/** One step, as the bench and the trainer run it; `seen` gets the step's logits. */
function step({ model, params, optimizer }: Setup, i: number, seen?: Tensor[]): number {
  const { tokens, labels } = batches[i % batches.length];
  optimizer.zeroGrad();
  const logits = model.forward(tokens);
  seen?.push(logits);
  const loss = crossEntropy(logits, labels);
  loss.backward();
  clipGradNorm(params, 0.5);
  optimizer.step();
  return loss.item();
}

/** What a user reads after a step: parameters, their gradients, Adam's state, as one byte string. */
function snapshot(s: Setup): Buffer {
  const state = s.optimizer.stateDict().state as Record<string, Record<string, unknown>>;
  const buffers = Object.values(state).flatMap((e) =>
    ['exp_avg', 'exp_avg_sq'].map((k) => bytes(e[k] as Tensor)),
  );
  return Buffer.concat([...s.params.map(bytes), ...s.params.map((p) => bytes(p.grad as Tensor)), ...buffers]);
}

describe.each(listBackends())('[%s backend] a training step in tidy', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
  });
  afterAll(() => {
    setWasmLayerInference(null);
    setBackend(initial);
  });

  test('losses, parameters, gradients and Adam state: the bits of the steps without tidy', () => {
    // One run after the other: dropout draws from the global generator that setup() seeds.
    const plain = setup();
    const expected = [0, 1, 2, 3].map((i) => ({ loss: step(plain, i), state: snapshot(plain) }));
    const tidied = setup();
    for (let i = 0; i < 4; i++) {
      const seen: Tensor[] = [];
      const loss = tidy(() => step(tidied, i, seen));
      expect(loss, `step ${i}`).toBe(expected[i].loss);
      const state = snapshot(tidied);
      expect(state.length).toBe(expected[i].state.length);
      expect(state.equals(expected[i].state), `step ${i}: the same bits`).toBe(true);
      // The step's own tensors are gone; reading one throws instead of showing recycled numbers.
      expect(isDisposed(seen[0])).toBe(true);
      expect(() => seen[0].toArray()).toThrow(DisposedError);
      for (const p of tidied.params) {
        expect(isDisposed(p)).toBe(false);
        expect(isDisposed(p.grad as Tensor)).toBe(false);
      }
    }
  });

  test('from the second step on, a step in tidy takes all its storage from the pool', () => {
    const count = (wrap: <T>(f: () => T) => T) => {
      const s = setup();
      const misses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const before = storagePoolStats();
        wrap(() => step(s, i));
        misses.push(storagePoolStats().misses - before.misses);
      }
      return misses;
    };
    const plain = count((f) => f());
    const tidied = count(tidy);
    // Without tidy the forward's storage is garbage every step: new arrays every step.
    expect(plain.slice(1).every((m) => m > 0)).toBe(true);
    expect(tidied.slice(1)).toEqual([0, 0, 0]);
  });
});
