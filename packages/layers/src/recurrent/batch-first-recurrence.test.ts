// A one-direction batch-first layer's output written and its gradient read in batch-first order by
// the recurrence itself (NOTE(batch-first-recurrence) in @seqlab/tensor's ops/recurrent.ts), on
// every backend: no layout node when the backend has `recurrentBatchFirst`, and the losses, the
// input's gradient and every parameter's gradient the bits of the layout path (the capability
// switched off), −0 included (NOTE(layout-bits)). Layers the capability leaves alone (two
// directions, time-major, packed input) give the same bits either way.
import { crossEntropy, GRU, Linear, LSTM, RNN, type RNNBase } from '@seqlab/layers';
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

/** The bits of a tensor's values (+0 and −0 differ). */
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
/** The first index where two bit arrays (or lists of them) differ, or −1: a short failure on big arrays. */
const diffAt = (a: unknown[], b: unknown[]): number =>
  a.length !== b.length
    ? -2
    : a.findIndex((v, i) => (Array.isArray(v) ? diffAt(v, b[i] as unknown[]) >= 0 : v !== b[i]));

/** Switches the backend's capability off (defined false) or back to what it was. */
function capability(on: boolean): void {
  const k = backend();
  if (on) {
    if (saved) Object.defineProperty(k, 'recurrentBatchFirst', saved);
    else delete (k as { recurrentBatchFirst?: boolean }).recurrentBatchFirst;
  } else
    Object.defineProperty(k, 'recurrentBatchFirst', { value: false, configurable: true, writable: true });
}
let saved: PropertyDescriptor | undefined;

/** How many nodes of each autograd op lie between `t` and the leaves. */
function opsOf(t: Tensor): Map<string, number> {
  const seen = new Map<string, number>();
  const stack = [t];
  const visited = new Set<unknown>();
  while (stack.length > 0) {
    const node = (stack.pop() as Tensor)._node;
    if (!node || visited.has(node)) continue;
    visited.add(node);
    seen.set(node.op, (seen.get(node.op) ?? 0) + 1);
    stack.push(...node.inputs);
  }
  return seen;
}

interface Result {
  output: Tensor;
  hN: Tensor;
  cN?: Tensor | null;
}
type Read = (r: Result) => Tensor;
/** A classifier's read: the last step (batch-first), squared. */
const lastStep: Read = (r) => {
  const last = r.output.select(1, -1);
  return last.mul(last).sum();
};
/** The whole output times a constant with −0, +0 and ordinary values: dOut holds −0s. */
const signedZeros: Read = (r) => {
  const n = r.output.numel;
  const c = tensor(Array.from({ length: n }, (_, i) => [-0, 0, 0.5, -1.25, -0][i % 5])).reshape(
    r.output.shape,
  );
  return r.output.mul(c).sum();
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
  capability(false);
  const off = step(model, x, read);
  capability(true);
  const on = step(model, x, read);
  return { off, on };
}

function expectSame(off: ReturnType<typeof step>, on: ReturnType<typeof step>, what: string): void {
  expect(on.loss, what).toEqual(off.loss);
  expect(diffAt(on.output, off.output), `${what}: output`).toBe(-1);
  expect(diffAt(on.hN, off.hN), `${what}: hN`).toBe(-1);
  if (off.cN) expect(diffAt(on.cN as number[], off.cN), `${what}: cN`).toBe(-1);
  expect(diffAt(on.grads, off.grads), `${what}: gradients`).toBe(-1);
}

type Options = {
  inputSize: number;
  hiddenSize: number;
  batchFirst: boolean;
  numLayers?: number;
  dropout?: number;
  bidirectional?: boolean;
};
const CELLS: [string, (o: Options) => RNNBase][] = [
  ['LSTM', (o) => new LSTM(o)],
  ['GRU', (o) => new GRU(o)],
  ['RNN tanh', (o) => new RNN(o)],
  ['RNN relu', (o) => new RNN({ ...o, nonlinearity: 'relu' })],
];

describe.each(listBackends())('[%s backend] batch-first recurrence', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    saved = Object.getOwnPropertyDescriptor(backend(), 'recurrentBatchFirst');
  });
  afterEach(() => capability(true));
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
        capability(false);
        manualSeed(9);
        const off = step(m, input, signedZeros);
        capability(true);
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
    capability(false);
    const off = run();
    capability(true);
    expect(run()).toEqual(off);
  });

  test('a classifier trained for a few steps: the same losses and weights', () => {
    const train = (on: boolean) => {
      capability(on);
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
