// The last bidirectional layer's reverse direction in inference (NOTE(deferred-reverse) in
// @seqlab/tensor): on the forward-only path (native, and wasm given it) only its first processed
// step runs in the forward, the rest when first read. Every read gives the bits of the call that
// computes everything at once (setReverseDeferral(false)); reading the last step (or a complete hN
// slot) computes nothing more. The js backend, without that path, computes every step: the same bits.
import { GRU, LSTM, RNN, type RNNBase } from '@seqlab/layers';
import {
  getBackend,
  listBackends,
  manualSeed,
  noGrad,
  packSequence,
  randn,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  setReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

/** The bits of a tensor's values (+0 and −0 differ), read through `.data`. */
const bitsOf = (data: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(data).buffer));
const bits = (t: Tensor) => bitsOf(t.data);
/** Whether the tensor's data is still pending: its own `data` accessor (NOTE(pending-data)). */
const pending = (t: Tensor) => typeof Object.getOwnPropertyDescriptor(t, 'data')?.get === 'function';

interface Result {
  output: Tensor;
  hN: Tensor;
  cN?: Tensor | null;
}

type Options = { inputSize: number; hiddenSize: number; numLayers: number; batchFirst: boolean };
/** Each layer kind, and whether the forward-only path runs it (a projected LSTM it does not). */
const CASES: [string, (o: Options) => RNNBase, boolean][] = [
  ['LSTM', (o) => new LSTM({ ...o, bidirectional: true }), true],
  ['LSTM projSize 5', (o) => new LSTM({ ...o, bidirectional: true, projSize: 5 }), false],
  ['GRU', (o) => new GRU({ ...o, bidirectional: true }), true],
  ['RNN tanh', (o) => new RNN({ ...o, bidirectional: true }), true],
  ['RNN relu', (o) => new RNN({ ...o, bidirectional: true, nonlinearity: 'relu' }), true],
];
/** Whether the active backend has the forward-only path, which defers. */
const forwardOnly = () => backend().recurrentInferInputMany !== undefined;

/** Runs `make()`'s layer on `x` with and without the deferral, from the same weights. */
function both(model: RNNBase, x: Tensor, h0?: Tensor): { eager: Result; deferred: Result } {
  const forward = () => noGrad(() => model.forward(x, h0 ?? null) as Result);
  setReverseDeferral(false);
  const eager = forward();
  setReverseDeferral(true);
  return { eager, deferred: forward() };
}

describe.each(listBackends())('[%s backend] deferred reverse direction', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
  });
  afterEach(() => {
    setReverseDeferral(true);
    setBackend(name);
  });
  afterAll(() => {
    setWasmLayerInference(null);
    setBackend(initial);
  });

  describe.each(CASES)('%s', (_, make, inferable) => {
    test.each([
      [1, true],
      [2, true],
      [1, false],
      [2, false],
    ])(
      'numLayers %i, batchFirst %s: the last step without finishing, then every read as the eager call',
      (L, batchFirst) => {
        manualSeed(3);
        const model = make({ inputSize: 6, hiddenSize: 12, numLayers: L, batchFirst });
        const [T, B] = [9, 4];
        const x = randn(batchFirst ? [B, T, 6] : [T, B, 6]);
        // Some exact zeros (a relu's), whose sign must survive: −0 vs +0 is compared by the bits.
        x.data.set([-0, 0, -0], 0);
        const { eager, deferred } = both(model, x);
        const step = batchFirst ? 1 : 0;
        const defers = forwardOnly() && inferable;
        expect(pending(deferred.output)).toBe(defers);
        expect(bits(deferred.output.select(step, -1))).toEqual(bits(eager.output.select(step, -1)));
        // Complete hN slots (every one but the last layer's reverse direction).
        for (let k = 0; k < 2 * L - 1; k++) {
          expect(bits(deferred.hN.select(0, k))).toEqual(bits(eager.hN.select(0, k)));
          if (deferred.cN)
            expect(bits(deferred.cN.select(0, k))).toEqual(bits((eager.cN as Tensor).select(0, k)));
        }
        expect([deferred.output, deferred.hN, deferred.cN ?? deferred.hN].map(pending)).toEqual([
          defers,
          defers,
          defers,
        ]);
        // A whole-storage view carries the pending work with it.
        const flat = deferred.output.flatten();
        expect(pending(flat)).toBe(defers);
        expect(bits(deferred.hN.select(0, 2 * L - 1))).toEqual(bits(eager.hN.select(0, 2 * L - 1)));
        // The read of the last slot finished the layer: output and cN are complete now.
        expect(bits(flat)).toEqual(bits(eager.output.flatten()));
        const O = deferred.output.shape[2] / 2;
        expect(bits(deferred.output.narrow(2, O, O))).toEqual(bits(eager.output.narrow(2, O, O)));
        expect(bits(deferred.output)).toEqual(bits(eager.output));
        expect(bits(deferred.hN)).toEqual(bits(eager.hN));
        if (deferred.cN) expect(bits(deferred.cN)).toEqual(bits(eager.cN as Tensor));
        expect([deferred.output, deferred.hN].map(pending)).toEqual([false, false]);
      },
    );

    test('unbatched input: the last step, then everything', () => {
      manualSeed(4);
      const model = make({ inputSize: 6, hiddenSize: 12, numLayers: 2, batchFirst: true });
      const { eager, deferred } = both(model, randn([7, 6]));
      expect(pending(deferred.output)).toBe(forwardOnly() && inferable);
      expect(bits(deferred.output.select(0, -1))).toEqual(bits(eager.output.select(0, -1)));
      expect(pending(deferred.output)).toBe(forwardOnly() && inferable);
      expect(deferred.output.toArray()).toEqual(eager.output.toArray());
      expect(bits(deferred.hN)).toEqual(bits(eager.hN));
      if (deferred.cN) expect(bits(deferred.cN)).toEqual(bits(eager.cN as Tensor));
    });
  });

  test('a classifier-sized stack (B 32, T 50, H 128, 2 layers, batch-first): the same bits', () => {
    manualSeed(11);
    const lstm = new LSTM({
      inputSize: 64,
      hiddenSize: 128,
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
    });
    const { eager, deferred } = both(lstm, randn([32, 50, 64]));
    expect(pending(deferred.output)).toBe(forwardOnly());
    expect(bits(deferred.output.select(1, -1))).toEqual(bits(eager.output.select(1, -1)));
    expect(pending(deferred.output)).toBe(forwardOnly());
    expect(bits(deferred.output)).toEqual(bits(eager.output));
    expect(bits(deferred.hN)).toEqual(bits(eager.hN));
    expect(bits(deferred.cN as Tensor)).toEqual(bits(eager.cN as Tensor));
  });

  test('−0 outputs: the same signs as the eager call (whose layout may turn −0 into +0)', () => {
    for (const batchFirst of [false, true]) {
      // Weights 0, the g gate's b_ih −2⁻¹⁴⁹ and c0 = −0: g·i underflows to −0, so every c_t and
      // h_t = o·tanh(c_t) is −0.
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst });
      for (const [key, p] of lstm.namedParameters()) {
        p.data.fill(0);
        if (key.startsWith('bias_ih')) p.data.fill(-(2 ** -149), 8, 12);
      }
      const x = randn(batchFirst ? [2, 5, 3] : [5, 2, 3]);
      const c0 = randn([4, 2, 4]);
      c0.data.fill(-0);
      const forward = () => noGrad(() => lstm.forward(x, [c0.mul(0), c0]));
      setReverseDeferral(false);
      const eager = forward();
      setReverseDeferral(true);
      const deferred = forward();
      // Every h_t is −0; the eager output has +0 where its layout adds the directions into zeros.
      expect(eager.output.data.every((v) => v === 0)).toBe(true);
      // The forward-only path (native, wasm here) writes each direction's −0 as it is.
      if (name !== 'js') expect(eager.output.data.some((v) => Object.is(v, -0))).toBe(true);
      const step = batchFirst ? 1 : 0;
      expect(bits(deferred.output.select(step, -1))).toEqual(bits(eager.output.select(step, -1)));
      expect(bits(deferred.output)).toEqual(bits(eager.output));
      expect(bits(deferred.hN)).toEqual(bits(eager.hN));
      expect(bits(deferred.cN)).toEqual(bits(eager.cN));
    }
  });

  test('weights, input and h0 changed after the forward: the pending rows use the values the call saw', () => {
    for (const L of [1, 2]) {
      manualSeed(6);
      const model = new LSTM({
        inputSize: 8,
        hiddenSize: 16,
        numLayers: L,
        bidirectional: true,
        batchFirst: true,
      });
      const x = randn([3, 10, 8]);
      const h0 = randn([2 * L, 3, 16]);
      const c0 = randn([2 * L, 3, 16]);
      setReverseDeferral(false);
      const eager = noGrad(() => model.forward(x, [h0, c0]));
      setReverseDeferral(true);
      const deferred = noGrad(() => model.forward(x, [h0, c0]));
      for (const p of model.parameters()) p.data.fill(0.5);
      for (const t of [x, h0, c0]) t.data.fill(-2);
      expect(bits(deferred.output)).toEqual(bits(eager.output));
      expect(bits(deferred.hN)).toEqual(bits(eager.hN));
      expect(bits(deferred.cN)).toEqual(bits(eager.cN));
    }
  });

  test('forwards left pending, the weights changed in place between them: each read uses the weights its call saw', () => {
    // The weights' copies are shared between calls while their bits stay the same (NOTE(deferred-copies)).
    manualSeed(11);
    const model = new LSTM({
      inputSize: 8,
      hiddenSize: 16,
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
    });
    const x = randn([3, 10, 8]);
    const weights = model.parameters();
    const eager = () => {
      setReverseDeferral(false);
      const r = noGrad(() => model.forward(x));
      setReverseDeferral(true);
      return r;
    };
    const deferred = () => noGrad(() => model.forward(x));
    const before = eager();
    const [a, b] = [deferred(), deferred()];
    // The last layer's reverse W_hh and a bias, one element each (then a sign only).
    for (const p of weights.slice(-8)) p.data[1] += 0.25;
    const changed = eager();
    const c = deferred();
    weights[weights.length - 1].data[2] = 0;
    const zero = eager();
    const d = deferred();
    weights[weights.length - 1].data[2] = -0;
    const e = deferred();
    for (const p of weights) p.data.fill(0.5);
    for (const [r, want] of [
      [a, before],
      [b, before],
      [c, changed],
      [d, zero],
      [e, zero],
    ] as const) {
      expect(pending(r.output)).toBe(forwardOnly());
      expect(bits(r.output)).toEqual(bits(want.output));
      expect(bits(r.hN)).toEqual(bits(want.hN));
      expect(bits(r.cN)).toEqual(bits(want.cN));
    }
    expect(bits(changed.output)).not.toEqual(bits(before.output));
  });

  test('the backend changed between the forward and the read: the pending rows run on the forward one', () => {
    const other = listBackends().find((n) => n !== name) as string;
    manualSeed(7);
    const model = new GRU({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true });
    const x = randn([10, 3, 8]);
    const { eager, deferred } = both(model, x);
    expect(pending(deferred.output)).toBe(forwardOnly());
    if (!forwardOnly()) return;
    const kernels = backend();
    const calls = { n: 0 };
    const spied = (['recurrentForward', 'recurrentInferMany', 'recurrentInferInputMany'] as const).filter(
      (k) => kernels[k],
    );
    const saved = spied.map((k) => kernels[k]);
    spied.forEach((k, i) => {
      const fn = saved[i] as (...a: unknown[]) => void;
      (kernels as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
        calls.n++;
        fn(...a);
      };
    });
    try {
      setBackend(other);
      expect(bits(deferred.output)).toEqual(bits(eager.output));
      expect(calls.n).toBeGreaterThan(0);
    } finally {
      spied.forEach((k, i) => {
        (kernels as unknown as Record<string, unknown>)[k] = saved[i];
      });
    }
  });

  test('not deferred: one step, a packed batch, recorded gates, or switched off', () => {
    manualSeed(8);
    const lstm = new LSTM({ inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true });
    const run = (input: Parameters<LSTM['forward']>[0]) => noGrad(() => lstm.forward(input) as Result);
    expect(pending(run(randn([1, 3, 4])).output)).toBe(false);
    const packed = run(packSequence([randn([5, 4]), randn([3, 4])]));
    expect(pending(packed.hN)).toBe(false);
    lstm.recordGates = true;
    expect(pending(run(randn([5, 3, 4])).output)).toBe(false);
    lstm.recordGates = false;
    // Under a gradient too (NOTE(deferred-reverse-training); deferred-reverse-training.test.ts).
    const graded = lstm.forward(randn([5, 3, 4]));
    expect(graded.output.requiresGrad).toBe(true);
    expect(pending(graded.output)).toBe(forwardOnly());
    setReverseDeferral(false);
    expect(pending(lstm.forward(randn([5, 3, 4])).output)).toBe(false);
    setReverseDeferral(false);
    expect(pending(run(randn([5, 3, 4])).output)).toBe(false);
    setReverseDeferral(true);
    expect(pending(run(randn([5, 3, 4])).output)).toBe(forwardOnly());
  });

  test('the storage pool never hands out a pending storage: later forwards leave it alone', () => {
    // Outputs [B·T, 2H] of pooled sizes (64 KB), 3 layers: the pool recycles between-layer outputs.
    manualSeed(9);
    const lstm = new LSTM({
      inputSize: 4,
      hiddenSize: 128,
      numLayers: 3,
      bidirectional: true,
      batchFirst: true,
    });
    const [x1, x2] = [randn([4, 16, 4]), randn([4, 16, 4])];
    const { eager, deferred } = both(lstm, x1);
    const last = bits(deferred.output.select(1, -1));
    for (let i = 0; i < 4; i++) {
      const again = noGrad(() => lstm.forward(x2));
      if (i % 2) bits(again.output);
    }
    expect(pending(deferred.output)).toBe(forwardOnly());
    expect(bits(deferred.output.select(1, -1))).toEqual(last);
    expect(bits(deferred.output)).toEqual(bits(eager.output));
    expect(bits(deferred.cN as Tensor)).toEqual(bits(eager.cN as Tensor));
  });

  test('toEqual, Object.keys and the structured clone (a Worker message) read finished data', () => {
    manualSeed(10);
    const rnn = new RNN({ inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([2, 6, 4]);
    const a = both(rnn, x);
    const b = both(rnn, x);
    expect(Object.keys(a.deferred.output)).toEqual(Object.keys(a.eager.output));
    expect(bitsOf(structuredClone(a.deferred.output).data)).toEqual(bits(a.eager.output));
    expect(pending(b.deferred.hN)).toBe(forwardOnly());
    expect(b.deferred.hN).toEqual(b.eager.hN);
  });
});
