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
import { clearStoragePool, isPooled } from '../storage-pool';

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

/** A bidirectional LSTM layer's directions over B=4, T=8, I=512 (x: 64 KB, a pooled size), given as input. */
function pooledLayer(): RecurrentLayerInputs[] {
  const gen = new Generator(5);
  const t = (shape: number[]) => randn(shape, { generator: gen }).detach();
  const x = t([32, 512]);
  return [0, 1].map((d) => ({
    cell: 'lstm' as const,
    input: { x, wIh: t([8, 512]), biases: [t([8]), t([8])] },
    wHh: t([8, 2]),
    bHh: null,
    wHr: null,
    h0: t([4, 2]),
    c0: t([4, 2]),
    batchSizes: Int32Array.from({ length: 8 }, () => 4),
    reverse: d === 1,
  }));
}

const deferring: LayerInferenceOptions = { xBatchFirst: false, outBatchFirst: false, deferReverse: true };

test("deferred reverse direction: its weights' copies are shared between calls while their bits stay the same", () => {
  const { backend, calls } = recording(['recurrentInferInputMany']);
  const list = pooledLayer();
  const rev = list[1];
  const input = rev.input as NonNullable<RecurrentLayerInputs['input']>;
  const pendingArgs = () => {
    const result = inferRecurrentLayer(backend, list, deferring);
    expect(result?.deferred).toBe(true);
    // Finishing runs the reverse direction alone: its arguments are the last call's only entry.
    void result?.out.data;
    return calls[calls.length - 1][1][0] as RecurrentInferInputArgs;
  };
  const a = pendingArgs();
  const b = pendingArgs();
  // Copies, not the parameters (the caller may change them before the read), made once.
  expect(a.wIh).not.toBe(input.wIh.data);
  expect(a.wHh).not.toBe(rev.wHh.data);
  expect(Array.from(a.wIh)).toEqual(Array.from(input.wIh.data));
  for (const k of ['wIh', 'wHh'] as const) expect(b[k]).toBe(a[k]);
  expect(b.xBiases[0]).toBe(a.xBiases[0]);
  expect(b.xBiases[1]).toBe(a.xBiases[1]);
  // W_hh changed in place (one element, then its sign only): a new copy of it alone.
  rev.wHh.data[3] += 1;
  const c = pendingArgs();
  expect(c.wHh).not.toBe(a.wHh);
  expect(Array.from(c.wHh)).toEqual(Array.from(rev.wHh.data));
  expect(c.wIh).toBe(a.wIh);
  expect(Array.from(a.wHh)).not.toEqual(Array.from(rev.wHh.data));
  rev.wHh.data[5] = 0;
  const d = pendingArgs();
  rev.wHh.data[5] = -0;
  const e = pendingArgs();
  expect(e.wHh).not.toBe(d.wHh);
  expect(Object.is(e.wHh[5], -0)).toBe(true);
  expect(Object.is(d.wHh[5], 0)).toBe(true);
  // A parameter replaced by another storage: its own copy.
  const replaced = { ...input, biases: [input.biases[0], input.biases[1].clone()] };
  list[1] = { ...rev, input: replaced };
  const f = pendingArgs();
  expect(f.xBiases[0]).toBe(a.xBiases[0]);
  expect(f.xBiases[1]).not.toBe(a.xBiases[1]);
  expect(Array.from(f.xBiases[1])).toEqual(Array.from(a.xBiases[1]));
});

test("deferred reverse direction: the caller's own input goes back to the storage pool once the pending steps ran", () => {
  const { backend, calls } = recording(['recurrentInferInputMany']);
  for (const internalInput of [true, false]) {
    const list = pooledLayer();
    const x = (list[0].input as NonNullable<RecurrentLayerInputs['input']>).x;
    const result = inferRecurrentLayer(backend, list, { ...deferring, internalInput });
    const before = calls.length;
    // Read complete (the last step): nothing runs, the input is still the pending work's.
    void result?.out.select(0, 31);
    expect(calls.length).toBe(before);
    expect(isPooled(x.data as Float32Array)).toBe(false);
    void result?.directions[1].hN.data;
    expect(calls.length).toBe(before + 1);
    // The caller's own (a stacked layer's input): pooled; else someone else's, left alone.
    expect(isPooled(x.data as Float32Array)).toBe(internalInput);
    // Finished once: later reads run nothing.
    void result?.out.data;
    void result?.directions[1].cN?.data;
    expect(calls.length).toBe(before + 1);
  }
  clearStoragePool();
});
