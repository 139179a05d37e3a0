// recurrentLayer's `layerInference` hook (a backend's way into the forward-only path, which lives in
// @seqlab/tensor/backend): its result is returned as is, null falls back to the recording path, and
// the js backend has none. inferRecurrentLayer over a backend's inference kernels: which kernel it
// calls with which rows, and when it declines. The native backend's numbers through it:
// packages/native/src/recurrent-infer.test.ts and ops/recurrent.test.ts on every backend.
import {
  Generator,
  getBackend,
  linear,
  noGrad,
  type RecurrentLayerInputs,
  type RecurrentLayerOutputs,
  randn,
  recurrentLayer,
  setBackend,
} from '@seqlab/tensor';
import {
  type Backend,
  inferRecurrentLayer,
  jsBackend,
  type LayerInferenceOptions,
  type RecurrentInferArgs,
  type RecurrentInferInputArgs,
  registerBackend,
} from '@seqlab/tensor/backend';
import { afterEach, expect, test } from 'vitest';

const initial = getBackend().name;
afterEach(() => setBackend(initial));

/** An LSTM layer's directions over a padded batch of B=3, T=4 (I=5, H=2), given as input. */
function lstmLayer(D: number, requiresGrad = false): RecurrentLayerInputs[] {
  const gen = new Generator(3);
  const t = (shape: number[]) => {
    const v = randn(shape, { generator: gen }).mul(0.5).detach();
    v.requiresGrad = requiresGrad;
    return v;
  };
  const x = t([12, 5]);
  return Array.from({ length: D }, (_, d) => ({
    cell: 'lstm' as const,
    input: { x, wIh: t([8, 5]), biases: [t([8]), t([8])] },
    wHh: t([8, 2]),
    bHh: null,
    wHr: null,
    h0: t([3, 2]),
    c0: t([3, 2]),
    batchSizes: Int32Array.of(3, 3, 3, 3),
    reverse: d === 1,
  }));
}

test('the js backend has no layerInference hook: the forward-only path is not in the main entry', () => {
  expect('layerInference' in jsBackend).toBe(false);
});

test("recurrentLayer returns a backend's layerInference result, with the row orders it checked", () => {
  const calls: LayerInferenceOptions[] = [];
  const sentinel = { out: randn([12, 4]), directions: [] } as RecurrentLayerOutputs;
  registerBackend({
    ...jsBackend,
    name: 'hook-answers',
    layerInference(list, options) {
      expect(list).toHaveLength(2);
      calls.push(options);
      return sentinel;
    },
  });
  setBackend('hook-answers');
  expect(recurrentLayer(lstmLayer(2))).toBe(sentinel);
  expect(recurrentLayer(lstmLayer(2), { batchFirst: true })).toBe(sentinel);
  expect(calls).toEqual([
    { xBatchFirst: false, outBatchFirst: false },
    { xBatchFirst: false, outBatchFirst: true },
  ]);
});

test('a layerInference hook that declines (null): the recording path, bit for bit', () => {
  let asked = 0;
  registerBackend({
    ...jsBackend,
    name: 'hook-declines',
    layerInference() {
      asked++;
      return null;
    },
  });
  setBackend('hook-declines');
  const got = noGrad(() => recurrentLayer(lstmLayer(2)));
  setBackend('js');
  const want = noGrad(() => recurrentLayer(lstmLayer(2)));
  expect(asked).toBe(1);
  expect(Array.from(got.out.data)).toEqual(Array.from(want.out.data));
  expect(Array.from(got.directions[1].hN.data)).toEqual(Array.from(want.directions[1].hN.data));
});

/** A backend whose inference kernels record their arguments (and write nothing). */
function recording(kernels: ('recurrentInferMany' | 'recurrentInferInputMany')[]): {
  backend: Backend;
  calls: [string, readonly (RecurrentInferArgs | RecurrentInferInputArgs)[]][];
} {
  const calls: [string, readonly (RecurrentInferArgs | RecurrentInferInputArgs)[]][] = [];
  const backend: Backend = { ...jsBackend, name: 'recording' };
  for (const k of kernels) backend[k] = (list) => void calls.push([k, list]);
  return { backend, calls };
}

test('inferRecurrentLayer: recurrentInferInputMany on the inputs, each direction in its columns of one out', () => {
  const { backend, calls } = recording(['recurrentInferMany', 'recurrentInferInputMany']);
  const list = lstmLayer(2);
  const result = inferRecurrentLayer(backend, list, { xBatchFirst: true, outBatchFirst: true });
  expect(result?.out.shape).toEqual([12, 4]);
  expect(calls.map(([k]) => k)).toEqual(['recurrentInferInputMany']);
  const [a, b] = calls[0][1] as RecurrentInferInputArgs[];
  expect([a.outOffset, b.outOffset, a.outStride, a.inputSize, a.xBatchFirst, a.outBatchFirst]).toEqual([
    0,
    2,
    4,
    5,
    true,
    true,
  ]);
  expect(a.x).toBe(list[0].input?.x.data);
  expect(a.out).toBe(result?.out.data);
});

test('inferRecurrentLayer: without the fused kernel, linear then recurrentInferMany on the projection of linear', () => {
  const { backend, calls } = recording(['recurrentInferMany']);
  const list = lstmLayer(1);
  const result = inferRecurrentLayer(backend, list, { xBatchFirst: false, outBatchFirst: false });
  expect(result?.out.shape).toEqual([12, 2]);
  const [a] = calls[0][1] as RecurrentInferArgs[];
  expect(calls[0][0]).toBe('recurrentInferMany');
  const input = list[0].input;
  if (!input) throw new Error('input expected');
  const want = noGrad(() => linear(input.x, input.wIh, input.biases));
  expect(Array.from(a.xProj)).toEqual(Array.from(want.data));
});

test('inferRecurrentLayer declines (null) when a gradient is needed, gates are recorded, or the backend has no kernel', () => {
  const { backend, calls } = recording(['recurrentInferMany', 'recurrentInferInputMany']);
  const options = { xBatchFirst: false, outBatchFirst: false };
  expect(inferRecurrentLayer(backend, lstmLayer(2, true), options)).toBeNull();
  expect(inferRecurrentLayer(backend, [{ ...lstmLayer(1)[0], recordGates: true }], options)).toBeNull();
  expect(inferRecurrentLayer(jsBackend, lstmLayer(2), options)).toBeNull();
  expect(calls).toEqual([]);
  // Under noGrad the gradient no longer matters.
  expect(noGrad(() => inferRecurrentLayer(backend, lstmLayer(2, true), options))).not.toBeNull();
});
