// A bidirectional layer's directions written straight into their columns of the layer's output,
// and their gradients read there (NOTE(layer-columns) in @seqlab/tensor's ops/recurrent.ts), on
// every backend: no layout node for the output when the backend has `recurrentOutStride`, and the
// losses, outputs, final states, the input's gradient and every parameter's gradient the bits of
// the layout path (the capability switched off), −0 included (NOTE(layout-bits)): W1's shapes,
// every cell, projected LSTM, packed, reverse, batch-first and time-major rows, one and two
// directions, the deferred reverse direction, and parts that need no gradient.
import { GRU, LSTM, RNN, type RNNBase } from '@seqlab/layers';
import {
  getBackend,
  isPackedSequence,
  listBackends,
  manualSeed,
  type PackedSequence,
  packSequence,
  randn,
  setBackend,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  setTrainingReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

/** The bits of a tensor's values (+0 and −0 differ). */
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
/** The first index where two bit arrays (or lists of them) differ, or −1: a short failure on big arrays. */
const diffAt = (a: unknown[], b: unknown[]): number =>
  a.length !== b.length
    ? -2
    : a.findIndex((v, i) => (Array.isArray(v) ? diffAt(v, b[i] as unknown[]) >= 0 : v !== b[i]));

let saved: PropertyDescriptor | undefined;
/** Switches the backend's capability off (defined false) or back to what it was. */
function capability(on: boolean): void {
  const k = backend();
  if (on) {
    if (saved) Object.defineProperty(k, 'recurrentOutStride', saved);
    else delete (k as { recurrentOutStride?: boolean }).recurrentOutStride;
  } else Object.defineProperty(k, 'recurrentOutStride', { value: false, configurable: true, writable: true });
}

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
/** A classifier's read: the last step (batch-first dim 1, time-major dim 0), squared. */
const lastStep =
  (batchFirst: boolean): Read =>
  (r) => {
    const last = r.output.select(batchFirst ? 1 : 0, -1);
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
    .add(signedZeros(r));

/** One forward and backward (seeded: dropout draws the same masks): the bits of everything; the graph's ops. */
function step(model: RNNBase, input: Tensor | PackedSequence, read: Read, x: Tensor) {
  for (const p of model.parameters()) p.grad = null;
  x.grad = null;
  manualSeed(9);
  const r = model.forward(input as Tensor) as unknown as Omit<Result, 'output'> & {
    output: Tensor | PackedSequence;
  };
  const output = isPackedSequence(r.output) ? r.output.data : r.output;
  const ops = opsOf(output);
  read({ ...r, output }).backward();
  const grads = [x, ...model.parameters()].map((p) => (p.grad ? bits(p.grad) : null));
  return { ops, output: bits(output), hN: bits(r.hN), cN: r.cN ? bits(r.cN) : null, grads };
}

/** The same model and input with the capability off (the layout path), then on. */
function both(make: () => RNNBase, input: Tensor | PackedSequence, read: Read, x: Tensor) {
  manualSeed(5);
  const model = make();
  capability(false);
  const off = step(model, input, read, x);
  capability(true);
  const on = step(model, input, read, x);
  return { off, on };
}

function expectSame(off: ReturnType<typeof step>, on: ReturnType<typeof step>, what: string): void {
  expect(diffAt(on.output, off.output), `${what}: output`).toBe(-1);
  expect(diffAt(on.hN, off.hN), `${what}: hN`).toBe(-1);
  if (off.cN) expect(diffAt(on.cN as number[], off.cN), `${what}: cN`).toBe(-1);
  expect(diffAt(on.grads as unknown[], off.grads as unknown[]), `${what}: gradients`).toBe(-1);
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
  ['projected LSTM', (o) => new LSTM({ ...o, projSize: 3 })],
  ['GRU', (o) => new GRU(o)],
  ['RNN tanh', (o) => new RNN(o)],
  ['RNN relu', (o) => new RNN({ ...o, nonlinearity: 'relu' })],
];

describe.each(listBackends())('[%s backend] a layer writing its columns', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    saved = Object.getOwnPropertyDescriptor(backend(), 'recurrentOutStride');
  });
  afterEach(() => {
    capability(true);
    setTrainingReverseDeferral(true);
    setWasmLayerInference(null);
  });
  afterAll(() => setBackend(initial));

  test('the backend has the capability', () => {
    expect(backend().recurrentOutStride).toBe(true);
  });

  test("W1's recurrence: LSTM 128 -> 256, 2 layers, bidirectional, dropout 0.3, B 32, T 10, last step", () => {
    // The CLI's layer hook on wasm (native has its own): the last layer's reverse direction deferred.
    if (name === 'wasm') setWasmLayerInference(inferRecurrentLayer);
    manualSeed(3);
    // W1's batch and sizes over 10 of its 50 steps (the whole sequence takes minutes on js).
    const x = randn([32, 10, 128], { requiresGrad: true });
    const make = () =>
      new LSTM({
        inputSize: 128,
        hiddenSize: 256,
        numLayers: 2,
        bidirectional: true,
        dropout: 0.3,
        batchFirst: true,
      });
    const { off, on } = both(make, x, lastStep(true), x);
    // The layout path: the input's rows to time-major, each layer's directions side by side.
    expect(off.ops.get('recurrentLayout')).toBe(3);
    expect(on.ops.get('recurrentLayout')).toBe(1);
    expectSame(off, on, 'W1');
  });

  describe.each(CELLS)('%s', (_, make) => {
    test.each([
      ['batch-first, 2 layers, dropout', true, 2, 0.3],
      ['time-major, 2 layers, dropout', false, 2, 0.3],
      ['batch-first, 1 layer', true, 1, 0],
      ['time-major, 1 layer', false, 1, 0],
    ] as const)('bidirectional, %s: the bits of the layout path', (what, batchFirst, numLayers, dropout) => {
      manualSeed(4);
      const x = randn(batchFirst ? [3, 5, 6] : [5, 3, 6], { requiresGrad: true });
      const options = { inputSize: 6, hiddenSize: 7, batchFirst, numLayers, dropout, bidirectional: true };
      for (const [how, read] of [
        ['last step', lastStep(batchFirst)],
        ['signed zeros', signedZeros],
        ['hN and cN', finalStates],
      ] as const) {
        for (const deferral of [true, false]) {
          setTrainingReverseDeferral(deferral);
          const { off, on } = both(() => make(options), x, read, x);
          expect(on.ops.get('recurrentLayout') ?? 0, how).toBe(batchFirst ? 1 : 0);
          expect(off.ops.get('recurrentLayout'), how).toBe(numLayers + (batchFirst ? 1 : 0));
          expectSame(off, on, `${what}, ${how}, deferral ${deferral}`);
        }
      }
    });

    test('a packed batch, two directions and one: the bits of the layout path', () => {
      manualSeed(11);
      const x = randn([10, 6], { requiresGrad: true });
      const packed = packSequence([x.narrow(0, 0, 5), x.narrow(0, 5, 2), x.narrow(0, 7, 3)], {
        enforceSorted: false,
      });
      for (const bidirectional of [true, false]) {
        const options = { inputSize: 6, hiddenSize: 5, batchFirst: false, numLayers: 2, bidirectional };
        const { off, on } = both(() => make(options), packed, finalStates, x);
        expect(on.ops.get('recurrentLayout') ?? 0).toBe(0);
        expect(off.ops.get('recurrentLayout') ?? 0).toBe(bidirectional ? 2 : 0);
        expectSame(off, on, `packed, bidirectional ${bidirectional}`);
      }
    });

    test('parts that need no gradient: an input without one, a frozen reverse direction', () => {
      manualSeed(12);
      const x = randn([4, 6, 6]);
      const frozen = () => {
        const m = make({ inputSize: 6, hiddenSize: 5, batchFirst: true, numLayers: 2, bidirectional: true });
        for (const [n, p] of m.namedParameters()) if (n.endsWith('_l0_reverse')) p.requiresGrad = false;
        return m;
      };
      const { off, on } = both(frozen, x, signedZeros, x);
      expect(on.grads[0]).toBeNull();
      expectSame(off, on, 'frozen');
    });
  });

  test('−0 outputs go into the layer output as +0 (the concatenation into zeros), as before', () => {
    // A GRU whose update gate is 1 (z pre-activation 100) and candidate −tanh(5): h_t = 0·n + 1·h_{t−1}
    // = −0 + −0 from h0 = −0 at every step. One direction's output keeps −0 (a copy); two
    // directions' layer output holds 0 + h = +0, with the capability as without it.
    const H = 4;
    const make = (bidirectional: boolean) => {
      const gru = new GRU({ inputSize: 2, hiddenSize: H, bidirectional, batchFirst: true });
      for (const [n, p] of gru.namedParameters()) {
        const d = p.data as Float32Array;
        d.fill(0);
        if (n.startsWith('bias_ih')) for (let k = 0; k < H; k++) [d[H + k], d[2 * H + k]] = [100, -5];
      }
      return gru;
    };
    const x = randn([3, 4, 2], { requiresGrad: true });
    const h0 = (D: number) =>
      tensor(Array.from({ length: D }, () => Array.from({ length: 3 }, () => new Array(H).fill(-0))));
    const run = (on: boolean, bidirectional: boolean) => {
      capability(on);
      x.grad = null;
      const gru = make(bidirectional);
      const r = gru.forward(x, h0(bidirectional ? 2 : 1)) as Result;
      signedZeros(r).backward();
      return { output: r.output, grads: [x, ...gru.parameters()].map((p) => bits(p.grad as Tensor)) };
    };
    const one = run(true, false);
    expect(Array.from(one.output.data).every((v) => Object.is(v, -0))).toBe(true);
    const off = run(false, true);
    const on = run(true, true);
    expect(Array.from(on.output.data).every((v) => Object.is(v, 0))).toBe(true);
    expect(bits(on.output)).toEqual(bits(off.output));
    expect(diffAt(on.grads, off.grads)).toBe(-1);
  });
});
