// tidy (NOTE(tidy) in @seqlab/tensor) around the classifier's inference step: embedding ->
// bidirectional LSTM (its last layer's reverse steps pending, NOTE(deferred-reverse), on the
// forward-only backends) -> linear on output[:, -1]. On every backend the logits are the bits of
// the step without tidy, step after step (each taking back the last one's storage); what the step
// made is disposed, pending or not; a pending output or hN returned from tidy is finished before
// the tensors its work reads are disposed, and equals the eager call's.
import { Embedding, Linear, LSTM } from '@seqlab/layers';
import {
  DisposedError,
  dispose,
  getBackend,
  isDisposed,
  listBackends,
  manualSeed,
  noGrad,
  randint,
  setBackend,
  type Tensor,
  tidy,
} from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  setReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
const pending = (t: Tensor) => typeof Object.getOwnPropertyDescriptor(t, 'data')?.get === 'function';

const [B, T, E, H] = [8, 12, 32, 64];

function model() {
  manualSeed(21);
  const emb = new Embedding(500, E);
  const lstm = new LSTM({ inputSize: E, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst: true });
  const fc = new Linear(2 * H, 5);
  for (const m of [emb, lstm, fc]) m.eval();
  return { emb, lstm, fc };
}
type Model = ReturnType<typeof model>;

function step(m: Model, ids: Tensor, seen?: Tensor[]) {
  const e = m.emb.forward(ids);
  const { output, hN } = m.lstm.forward(e);
  seen?.push(e, output, hN);
  return m.fc.forward(output.select(1, -1));
}

describe.each(listBackends())('[%s backend] tidy around a recurrent classifier step', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
  });
  afterEach(() => setReverseDeferral(true));
  afterAll(() => {
    setWasmLayerInference(null);
    setBackend(initial);
  });

  test('the logits of every step are the bits of the step without tidy; what it made is disposed', () => {
    const m = model();
    const batches = [0, 1, 2, 0].map((s) => {
      manualSeed(100 + s);
      return randint(0, 500, [B, T], { dtype: 'int32' });
    });
    const expected = batches.map((ids) => noGrad(() => bits(step(m, ids))));
    for (const [i, ids] of batches.entries()) {
      const seen: Tensor[] = [];
      const logits = tidy(() => noGrad(() => step(m, ids, seen)));
      expect(bits(logits)).toEqual(expected[i]);
      expect(seen.map(isDisposed)).toEqual([true, true, true]);
      expect(() => seen[1].toArray()).toThrow(/disposed/);
    }
    for (const p of m.lstm.parameters()) expect(isDisposed(p)).toBe(false);
  });

  test('tidy from the first step on: what the deferred layer keeps between calls is not disposed', () => {
    // The deferred reverse direction keeps its weights' copies for the next call
    // (NOTE(deferred-copies)): made inside the first tidy, they must survive it.
    const m = model();
    const ids = [3, 4].map((s) => {
      manualSeed(100 + s);
      return randint(0, 500, [B, T], { dtype: 'int32' });
    });
    const got = ids.map((x) => bits(tidy(() => noGrad(() => step(m, x)))));
    setReverseDeferral(false);
    expect(got).toEqual(ids.map((x) => noGrad(() => bits(step(m, x)))));
  });

  test('a pending output and hN returned from tidy are finished first: the eager call’s bits', () => {
    const m = model();
    manualSeed(7);
    const ids = randint(0, 500, [B, T], { dtype: 'int32' });
    setReverseDeferral(false);
    const eager = noGrad(() => m.lstm.forward(m.emb.forward(ids)));
    setReverseDeferral(true);
    const lazy = noGrad(() => m.lstm.forward(m.emb.forward(ids)));
    // The forward-only path (native, and wasm given it) left the reverse steps pending.
    expect(pending(lazy.output)).toBe(backend().recurrentInferInputMany !== undefined);
    const kept = tidy(() => noGrad(() => m.lstm.forward(m.emb.forward(ids))));
    expect([kept.output, kept.hN, kept.cN].map(pending)).toEqual([false, false, false]);
    expect(bits(kept.output)).toEqual(bits(eager.output));
    expect(bits(kept.hN)).toEqual(bits(eager.hN));
    expect(bits(kept.cN)).toEqual(bits(eager.cN));
    const only = tidy(() => noGrad(() => m.lstm.forward(m.emb.forward(ids)).hN));
    expect(bits(only)).toEqual(bits(eager.hN));
  });

  test('dispose of a pending output: no read of it, not even of its complete rows; hN still the eager bits', () => {
    const m = model();
    manualSeed(8);
    const ids = randint(0, 500, [B, T], { dtype: 'int32' });
    setReverseDeferral(false);
    const eager = noGrad(() => m.lstm.forward(m.emb.forward(ids)));
    setReverseDeferral(true);
    const lazy = noGrad(() => m.lstm.forward(m.emb.forward(ids)));
    dispose(lazy.output);
    expect(() => lazy.output.select(1, -1)).toThrow(DisposedError);
    expect(() => lazy.output.reshape([-1])).toThrow(DisposedError);
    expect(bits(lazy.hN)).toEqual(bits(eager.hN));
    expect(bits(lazy.cN)).toEqual(bits(eager.cN));
  });
});
