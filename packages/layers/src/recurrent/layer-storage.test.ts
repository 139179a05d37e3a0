// A stacked layer's between-layer outputs under no gradient: the forward-only path hands each one
// back to the storage pool once the next layer has read it (the next forward takes it again),
// never an array the caller receives or a backward saved. On every backend (native and wasm have
// the forward-only path; js must give the same results all the same).
import { LSTM } from '@seqlab/layers';
import { getBackend, listBackends, manualSeed, noGrad, randn, setBackend, type Tensor } from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  setReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';

/** The bits of a tensor's values (a copy: the tensor's storage may be reused later). */
const bits = (t: Tensor) => new Uint32Array(Float32Array.from(t.clone().data as Float32Array).buffer);
/** How many elements of each pair differ (a count, not a diff of thousands of numbers). */
const differing = (a: Uint32Array[], b: Uint32Array[]) =>
  a.map((x, i) => x.filter((v, j) => v !== b[i][j]).length);

/** Bidirectional batch-first layers whose outputs [B·T, 2H] are pooled sizes (64 KB). */
function stack(numLayers: number): LSTM {
  manualSeed(5);
  return new LSTM({ inputSize: 4, hiddenSize: 128, numLayers, bidirectional: true, batchFirst: true });
}

/** Every `out` storage the forward-only path gives `recurrentLayer` while `run` runs. */
function inferenceOutputs(run: () => void): Float32Array[] {
  const k = backend();
  const hook = k.layerInference;
  const seen: Float32Array[] = [];
  if (hook)
    k.layerInference = function (list, options) {
      const result = hook.call(this, list, options);
      if (result) seen.push(result.out.data as Float32Array);
      return result;
    };
  try {
    run();
  } finally {
    if (hook) k.layerInference = hook;
  }
  return seen;
}

describe.each(listBackends())('[%s backend] between-layer outputs and the storage pool', (name) => {
  const initial = getBackend().name;
  // The wasm backend runs the forward-only path when given it (NOTE(wasm-layer-inference)).
  beforeAll(() => {
    setBackend(name);
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
  });
  afterAll(() => {
    setWasmLayerInference(null);
    setBackend(initial);
  });

  test('no gradient: what the caller got stays as it was through later forwards; the next forward takes the arrays back', () => {
    // Every layer computed at once: the last layer's deferred reverse direction (NOTE(deferred-reverse))
    // keeps the layer below's output, see deferred-reverse.test.ts.
    const was = setReverseDeferral(false);
    onTestFinished(() => {
      setReverseDeferral(was);
    });
    const lstm = stack(3);
    const [x1, x2] = [randn([4, 16, 4]), randn([4, 16, 4])];
    let kept = { output: x1, hN: x1, cN: x1 as Tensor | null };
    const seen1 = inferenceOutputs(() => {
      kept = noGrad(() => lstm.forward(x1));
    });
    const snapshot = [bits(kept.output), bits(kept.hN), bits(kept.cN as Tensor)];
    const seen2 = inferenceOutputs(() => noGrad(() => lstm.forward(x2)));
    const now = () => [bits(kept.output), bits(kept.hN), bits(kept.cN as Tensor)];
    expect(differing(now(), snapshot)).toEqual([0, 0, 0]);
    const again = noGrad(() => lstm.forward(x1));
    expect(differing(now(), snapshot)).toEqual([0, 0, 0]);
    expect(differing([bits(again.output), bits(again.hN), bits(again.cN as Tensor)], snapshot)).toEqual([
      0, 0, 0,
    ]);
    // The same numbers with a gradient recorded (the recording path, which releases nothing).
    const recorded = lstm.forward(x1);
    expect(recorded.output.requiresGrad).toBe(true);
    expect(differing([bits(recorded.output)], snapshot)).toEqual([0]);
    if (!backend().recurrentInferInputMany) return;
    // Layer 1's output went back after layer 2 read it, and layer 3 took it: the caller's output.
    // (Identity compared as booleans: a failing toBe would print both arrays.)
    expect(seen1).toHaveLength(3);
    expect(seen1[2] === seen1[0]).toBe(true);
    expect(kept.output.data === seen1[0]).toBe(true);
    // Layer 2's went back after layer 3 read it; the next forward's layer 1 took it.
    expect(seen2[0] === seen1[1]).toBe(true);
    expect(seen2.some((s) => s === seen1[0])).toBe(false);
  });

  test('a frozen first layer under a recorded gradient: the output its backward saved is not reused', () => {
    const lstm = stack(2);
    for (const [key, p] of lstm.namedParameters()) if (key.includes('_l0')) p.requiresGrad = false;
    const [x1, x2] = [randn([4, 16, 4]), randn([4, 16, 4])];
    const w = randn([4, 256]);
    const grads = () =>
      lstm
        .parameters()
        .filter((p) => p.requiresGrad)
        .map((p) => {
          const g = bits(p.grad as Tensor);
          p.grad = null;
          return g;
        });
    // The reference: recording the gates keeps every layer on the recording path.
    lstm.recordGates = true;
    const reference = lstm.forward(x1).output;
    reference.select(1, -1).mul(w).sum().backward();
    const expected = [bits(reference), ...grads()];
    lstm.recordGates = false;
    const { output } = lstm.forward(x1);
    lstm.forward(x2);
    lstm.forward(x2);
    output.select(1, -1).mul(w).sum().backward();
    expect(differing([bits(output), ...grads()], expected)).toEqual(expected.map(() => 0));
  });
});
