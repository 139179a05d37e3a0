// A one-direction batch-first layer's output written and its gradient read in batch-first order by
// the recurrence itself (NOTE(batch-first-recurrence) in @seqlab/tensor's ops/recurrent.ts), on
// every backend: no layout node when the backend has `recurrentBatchFirst`, and the losses, the
// input's gradient and every parameter's gradient the bits of the layout path (the capability
// switched off), −0 included (NOTE(layout-bits)). Layers the capability leaves alone (two
// directions, time-major, packed input) give the same bits either way.
import { crossEntropy, Linear, LSTM, type RNNBase } from '@seqlab/layers';
import {
  getBackend,
  listBackends,
  manualSeed,
  packSequence,
  randn,
  setBackend,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import { backend, setTrainingReverseDeferral } from '@seqlab/tensor/backend';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  bits,
  CELLS,
  capabilitySwitch,
  diffAt,
  expectSame,
  opsOf,
  type Read,
  type Result,
  signedZeros,
} from './capability-bits.test-support';

const capability = capabilitySwitch('recurrentBatchFirst');

/** A classifier's read: the last step (batch-first), squared. */
const lastStep: Read = (r) => {
  const last = r.output.select(1, -1);
  return last.mul(last).sum();
};
const finalStates: Read = (r) =>
  r.hN
    .sum()
    .add(r.cN ? r.cN.mul(2).sum() : r.hN.sum())
    .add(lastStep(r));

/** One forward and backward: the loss, x's gradient and each parameter's gradient, as bits; the graph's ops. */
function step(model: RNNBase, x: Tensor, read: Read) {
  for (const p of model.parameters()) p.grad = null;
  x.grad = null;
  const r = model.forward(x) as Result;
  const ops = opsOf(r.output);
  const loss = read(r);
  loss.backward();
  return {
    ops,
    loss: bits(loss),
    output: bits(r.output),
    hN: bits(r.hN),
    cN: r.cN ? bits(r.cN) : null,
    grads: [x, ...model.parameters()].map((p) => bits(p.grad as Tensor)),
  };
}

/** The same step with the capability off (the layout path) and on. */
function both(make: () => RNNBase, x: Tensor, read: Read) {
  manualSeed(5);
  const model = make();
  capability.set(false);
  const off = step(model, x, read);
  capability.set(true);
  const on = step(model, x, read);
  return { off, on };
}

describe.each(listBackends())('[%s backend] batch-first recurrence', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    capability.save();
  });
  afterEach(() => capability.set(true));
  afterAll(() => setBackend(initial));

  test('the backend has the capability', () => {
    expect(backend().recurrentBatchFirst).toBe(true);
  });

  test('W2: LSTM 64 -> 128, B 64, T 100, a classifier on the last step: no layout node, the same bits', () => {
    manualSeed(3);
    const x = randn([64, 100, 64], { requiresGrad: true });
    const { off, on } = both(
      () => new LSTM({ inputSize: 64, hiddenSize: 128, batchFirst: true }),
      x,
      lastStep,
    );
    // The input's rows still go time-major (one layout node); the output's is gone.
    expect(off.ops.get('recurrentLayout')).toBe(2);
    expect(on.ops.get('recurrentLayout')).toBe(1);
    expectSame(off, on, 'W2');
  });

  describe.each(CELLS)('%s', (_, make) => {
    test.each([
      [7, 3, 5],
      [13, 5, 1],
      [9, 1, 4],
    ])('H %i, B %i, T %i: losses, outputs, states and gradients as the layout path', (H, B, T) => {
      manualSeed(4);
      const x = randn([B, T, 6], { requiresGrad: true });
      for (const [what, read] of [
        ['last step', lastStep],
        ['signed zeros', signedZeros],
        ['hN and cN', finalStates],
      ] as const) {
        const { off, on } = both(() => make({ inputSize: 6, hiddenSize: H, batchFirst: true }), x, read);
        expect(on.ops.get('recurrentLayout'), what).toBe(1);
        expect(off.ops.get('recurrentLayout'), what).toBe(2);
        expectSame(off, on, what);
      }
    });

    test('two layers with dropout between them, bidirectional, time-major, packed: the same bits', () => {
      manualSeed(6);
      const x = randn([4, 6, 5], { requiresGrad: true });
      const xt = randn([6, 4, 5], { requiresGrad: true });
      const cases: [string, () => RNNBase, Tensor][] = [
        [
          'stacked, dropout',
          () => make({ inputSize: 5, hiddenSize: 7, batchFirst: true, numLayers: 2, dropout: 0.3 }),
          x,
        ],
        [
          'bidirectional',
          () => make({ inputSize: 5, hiddenSize: 7, batchFirst: true, bidirectional: true }),
          x,
        ],
        ['time-major', () => make({ inputSize: 5, hiddenSize: 7, batchFirst: false }), xt],
      ];
      for (const [what, model, input] of cases) {
        // The dropout masks restart from one seed on both sides.
        manualSeed(8);
        const m = model();
        capability.set(false);
        manualSeed(9);
        const off = step(m, input, signedZeros);
        capability.set(true);
        manualSeed(9);
        const on = step(m, input, signedZeros);
        expectSame(off, on, what);
      }
    });
  });

  test('the reverse direction of a bidirectional layer and its deferral keep working', () => {
    manualSeed(10);
    const x = randn([5, 8, 4], { requiresGrad: true });
    for (const deferral of [true, false]) {
      setTrainingReverseDeferral(deferral);
      const { off, on } = both(
        () => new LSTM({ inputSize: 4, hiddenSize: 6, batchFirst: true, bidirectional: true }),
        x,
        lastStep,
      );
      expectSame(off, on, `deferral ${deferral}`);
    }
    setTrainingReverseDeferral(true);
  });

  test('a packed batch is untouched', () => {
    manualSeed(11);
    const seqs = [randn([5, 3]), randn([3, 3]), randn([2, 3])];
    const packed = packSequence(seqs);
    const read = (r: { output: { data: Tensor }; hN: Tensor }) =>
      r.output.data.mul(r.output.data).sum().add(r.hN.sum());
    const run = () => {
      manualSeed(12);
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, batchFirst: true });
      const r = lstm.forward(packed) as unknown as { output: { data: Tensor }; hN: Tensor };
      read(r).backward();
      return lstm.parameters().map((p) => bits(p.grad as Tensor));
    };
    capability.set(false);
    const off = run();
    capability.set(true);
    expect(run()).toEqual(off);
  });

  test('a classifier trained for a few steps: the same losses and weights', () => {
    const train = (on: boolean) => {
      capability.set(on);
      manualSeed(13);
      const rnn = new LSTM({ inputSize: 8, hiddenSize: 16, batchFirst: true });
      const fc = new Linear(16, 3);
      const params = [...rnn.parameters(), ...fc.parameters()];
      const x = randn([6, 12, 8]);
      const labels = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
      const losses: number[][] = [];
      for (let i = 0; i < 4; i++) {
        for (const p of params) p.grad = null;
        const { output } = rnn.forward(x) as Result;
        const loss = crossEntropy(fc.forward(output.select(1, -1)), labels);
        loss.backward();
        losses.push(bits(loss));
        for (const p of params) {
          const g = (p.grad as Tensor).data;
          for (let k = 0; k < p.data.length; k++) p.data[k] -= 0.1 * g[k];
        }
      }
      return { losses, weights: params.map(bits) };
    };
    const off = train(false);
    const on = train(true);
    expect(on.losses).toEqual(off.losses);
    expect(diffAt(on.weights, off.weights)).toBe(-1);
  });
});
