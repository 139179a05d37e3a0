// The last bidirectional layer's reverse direction under a gradient (NOTE(deferred-reverse-training)
// in @seqlab/tensor): where the backend has the `layerInference` hook (native, and wasm given it)
// only its first processed step runs in the forward; a read of the rest runs the whole direction
// with its saved activations. Losses, every parameter's gradient and the outputs are the bits of
// the call that computes everything at once (setTrainingReverseDeferral(false)); the js backend
// computes every step.
import { crossEntropy, GRU, Linear, LSTM, RNN, type RNNBase } from '@seqlab/layers';
import {
  getBackend,
  listBackends,
  manualSeed,
  NumericError,
  noGrad,
  packSequence,
  randn,
  recordOp,
  setBackend,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import {
  inferRecurrentLayer,
  setReverseDeferral,
  setTrainingReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

/** The bits of a tensor's values (+0 and −0 differ). */
const bitsOf = (data: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(data).buffer));
const bits = (t: Tensor) => bitsOf(t.data);
/** Whether the tensor's data is still pending: its own `data` accessor (NOTE(pending-data)). */
/** The first index where two bit arrays (or lists of them) differ, or −1: a short failure on big arrays. */
const diffAt = (a: unknown[], b: unknown[]): number =>
  a.length !== b.length
    ? -2
    : a.findIndex((v, i) => (Array.isArray(v) ? diffAt(v, b[i] as unknown[]) >= 0 : v !== b[i]));
const pending = (t: Tensor) => typeof Object.getOwnPropertyDescriptor(t, 'data')?.get === 'function';

interface Result {
  output: Tensor;
  hN: Tensor;
  cN?: Tensor | null;
}
type Options = { inputSize: number; hiddenSize: number; numLayers: number; batchFirst: boolean };
const CASES: [string, (o: Options) => RNNBase][] = [
  ['LSTM', (o) => new LSTM({ ...o, bidirectional: true })],
  ['GRU', (o) => new GRU({ ...o, bidirectional: true })],
  ['RNN tanh', (o) => new RNN({ ...o, bidirectional: true })],
  ['RNN relu', (o) => new RNN({ ...o, bidirectional: true, nonlinearity: 'relu' })],
];

/** What a loss reads of the layer's result. */
type Read = (r: Result, batchFirst: boolean) => Tensor;
const lastStep: Read = (r, bf) =>
  r.output
    .select(bf ? 1 : 0, -1)
    .mul(r.output.select(bf ? 1 : 0, -1))
    .sum();
const wholeOutput: Read = (r) => r.output.mul(r.output).sum();
const finalStates: Read = (r, bf) =>
  r.hN
    .sum()
    .add(r.cN ? r.cN.mul(2).sum() : r.hN.sum())
    .add(lastStep(r, bf));

/** One forward + backward: the loss's bits, each parameter's gradient's bits, whether the output was pending. */
function step(model: RNNBase, x: Tensor, read: Read, batchFirst: boolean, between?: () => void) {
  for (const p of model.parameters()) p.grad = null;
  const r = model.forward(x) as Result;
  const wasPending = pending(r.output);
  between?.();
  const loss = read(r, batchFirst);
  loss.backward();
  return {
    wasPending,
    loss: bits(loss),
    grads: model.parameters().map((p) => bits(p.grad as Tensor)),
    output: r.output,
    hN: r.hN,
    cN: r.cN ?? null,
  };
}

describe.each(listBackends())('[%s backend] deferred reverse direction in training', (name) => {
  const initial = getBackend().name;
  // The backends with the `layerInference` hook (wasm once given it) defer.
  const defers = name !== 'js';
  beforeAll(() => {
    setBackend(name);
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
  });
  afterEach(() => {
    setTrainingReverseDeferral(true);
    setReverseDeferral(true);
    setBackend(name);
  });
  afterAll(() => {
    setWasmLayerInference(null);
    setBackend(initial);
  });

  describe.each(CASES)('%s', (_, make) => {
    test.each([
      [1, true],
      [2, true],
      [1, false],
      [2, false],
    ])('numLayers %i, batchFirst %s: losses and gradients as the eager call', (L, batchFirst) => {
      manualSeed(21);
      const model = make({ inputSize: 5, hiddenSize: 7, numLayers: L, batchFirst });
      const [T, B] = [6, 3];
      const x = randn(batchFirst ? [B, T, 5] : [T, B, 5]);
      for (const [what, read] of [
        ['last step', lastStep],
        ['whole output', wholeOutput],
        ['hN and cN', finalStates],
      ] as const) {
        setTrainingReverseDeferral(false);
        const eager = step(model, x, read, batchFirst);
        setTrainingReverseDeferral(true);
        const deferred = step(model, x, read, batchFirst);
        expect(eager.wasPending, what).toBe(false);
        expect(deferred.wasPending, what).toBe(defers);
        // A loss on the last step alone leaves the rest pending through the backward.
        if (read === lastStep) expect(pending(deferred.output), what).toBe(defers);
        expect(deferred.loss, what).toEqual(eager.loss);
        expect(deferred.grads, what).toEqual(eager.grads);
        // Read after the backward (the node's saved buffers are back in the pool): the eager bits.
        expect(bits(deferred.output), what).toEqual(bits(eager.output));
        expect(bits(deferred.hN), what).toEqual(bits(eager.hN));
        if (deferred.cN) expect(bits(deferred.cN), what).toEqual(bits(eager.cN as Tensor));
      }
    });
  });

  test('weights and input changed between the forward and the read: the values the call saw', () => {
    for (const [L, batchFirst] of [
      [1, false],
      [2, true],
    ] as const) {
      manualSeed(22);
      const model = new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: L, bidirectional: true, batchFirst });
      const x = randn(batchFirst ? [3, 5, 4] : [5, 3, 4]);
      const before = model.parameters().map((p) => p.data.slice());
      const xs = x.data.slice();
      const mutate = () => {
        for (const p of model.parameters()) p.data.fill(0.25);
        x.data.fill(-1);
      };
      const restore = () => {
        model.parameters().forEach((p, i) => {
          p.data.set(before[i]);
        });
        x.data.set(xs);
      };
      setTrainingReverseDeferral(false);
      const eager = step(model, x, wholeOutput, batchFirst, mutate);
      restore();
      setTrainingReverseDeferral(true);
      const deferred = step(model, x, wholeOutput, batchFirst, mutate);
      restore();
      expect(deferred.wasPending).toBe(defers);
      expect(deferred.loss).toEqual(eager.loss);
      expect(deferred.grads).toEqual(eager.grads);
    }
  });

  test('a classifier on the last step, several optimizer steps with dropout between layers', () => {
    const train = (deferral: boolean) => {
      setTrainingReverseDeferral(deferral);
      manualSeed(23);
      const rnn = new LSTM({
        inputSize: 8,
        hiddenSize: 16,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        dropout: 0.3,
      });
      const fc = new Linear(32, 3);
      const params = [...rnn.parameters(), ...fc.parameters()];
      const x = randn([6, 12, 8]);
      const labels = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
      const losses: number[][] = [];
      const flags: boolean[] = [];
      for (let i = 0; i < 4; i++) {
        for (const p of params) p.grad = null;
        const { output } = rnn.forward(x) as Result;
        const loss = crossEntropy(fc.forward(output.select(1, -1)), labels);
        loss.backward();
        flags.push(pending(output));
        losses.push(bits(loss));
        // Plain SGD with momentum-free steps, written into the weights.
        noGrad(() => {
          for (const p of params) {
            const g = (p.grad as Tensor).data;
            for (let k = 0; k < p.data.length; k++) p.data[k] -= 0.1 * g[k];
          }
        });
      }
      return { losses, flags, weights: params.map((p) => bits(p)) };
    };
    const eager = train(false);
    const deferred = train(true);
    expect(eager.flags).toEqual([false, false, false, false]);
    expect(deferred.flags).toEqual([defers, defers, defers, defers]);
    expect(deferred.losses).toEqual(eager.losses);
    expect(deferred.weights).toEqual(eager.weights);
  });

  test('pooled sizes: a read after the backward, while a later step holds the pooled buffers', () => {
    // [B·T, H] = [64, 256] float32 arrays (64 KB) go through the storage pool: the first step's
    // saved buffers, released after its backward, are the second step's, unzeroed.
    manualSeed(26);
    const model = new LSTM({ inputSize: 4, hiddenSize: 256, bidirectional: true, batchFirst: true });
    const [x1, x2] = [randn([4, 16, 4]), randn([4, 16, 4])];
    const run = (deferral: boolean) => {
      setTrainingReverseDeferral(deferral);
      const first = step(model, x1, lastStep, true);
      for (const p of model.parameters()) p.grad = null;
      const second = model.forward(x2) as Result;
      // The first step's rest, read now: its saved buffers are the second step's.
      const output = bits(first.output);
      const hN = bits(first.hN);
      lastStep(second, true).backward();
      const grads = model.parameters().map((p) => bits(p.grad as Tensor));
      return { first, output, hN, grads, second: bits(second.output), wasPending: pending(second.output) };
    };
    const eager = run(false);
    const deferred = run(true);
    expect(deferred.first.wasPending).toBe(defers);
    expect(diffAt(deferred.first.grads, eager.first.grads)).toBe(-1);
    expect(diffAt(deferred.output, eager.output)).toBe(-1);
    expect(diffAt(deferred.hN, eager.hN)).toBe(-1);
    expect(diffAt(deferred.grads, eager.grads)).toBe(-1);
    expect(diffAt(deferred.second, eager.second)).toBe(-1);
  });

  test('a nonzero gradient on an unfinished step is a NumericError, never a silent wrong gradient', () => {
    manualSeed(24);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: true });
    const { output } = lstm.forward(randn([4, 2, 3])) as Result;
    // An op that gives every element a gradient without reading it (the pending data stays pending).
    const [y] = recordOp('giveAll', [output], [randn([1])], ([g]) => [
      g ? randn(output.shape as number[]) : null,
    ]);
    if (defers) {
      expect(pending(output)).toBe(true);
      expect(() => y.sum().backward()).toThrow(NumericError);
    } else y.sum().backward();
  });

  test('not deferred: one step, a packed batch, a projection, or switched off (either switch)', () => {
    manualSeed(25);
    const lstm = new LSTM({ inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true });
    expect(pending((lstm.forward(randn([1, 3, 4])) as Result).output)).toBe(false);
    const packed = lstm.forward(packSequence([randn([5, 4]), randn([3, 4])]));
    expect(pending(packed.hN)).toBe(false);
    const projected = new LSTM({ inputSize: 4, hiddenSize: 8, bidirectional: true, projSize: 3 });
    expect(pending((projected.forward(randn([5, 3, 4])) as Result).output)).toBe(false);
    setTrainingReverseDeferral(false);
    expect(pending((lstm.forward(randn([5, 3, 4])) as Result).output)).toBe(false);
    setTrainingReverseDeferral(true);
    setReverseDeferral(false);
    expect(pending((lstm.forward(randn([5, 3, 4])) as Result).output)).toBe(false);
    setReverseDeferral(true);
    expect(pending((lstm.forward(randn([5, 3, 4])) as Result).output)).toBe(defers);
  });
});
