// A bidirectional layer's directions written straight into their columns of the layer's output,
// and their gradients read there (NOTE(layer-columns) in @seqlab/tensor's ops/recurrent.ts), on
// every backend: no layout node for the output when the backend has `recurrentOutStride`, and the
// losses, outputs, final states, the input's gradient and every parameter's gradient the bits of
// the layout path (the capability switched off), −0 included (NOTE(layout-bits)): W1's shapes,
// every cell, projected LSTM, packed, reverse, batch-first and time-major rows, one and two
// directions, the deferred reverse direction, and parts that need no gradient.
import { GRU, LSTM, type RNNBase } from '@seqlab/layers';
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

const capability = capabilitySwitch('recurrentOutStride');
/** Every cell, and an LSTM with a projection (proj_size). */
const CELLS_AND_PROJECTED: typeof CELLS = [
  CELLS[0],
  ['projected LSTM', (o) => new LSTM({ ...o, projSize: 3 })],
  ...CELLS.slice(1),
];

/** A classifier's read: the last step (batch-first dim 1, time-major dim 0), squared. */
const lastStep =
  (batchFirst: boolean): Read =>
  (r) => {
    const last = r.output.select(batchFirst ? 1 : 0, -1);
    return last.mul(last).sum();
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
  capability.set(false);
  const off = step(model, input, read, x);
  capability.set(true);
  const on = step(model, input, read, x);
  return { off, on };
}

describe.each(listBackends())('[%s backend] a layer writing its columns', (name) => {
  const initial = getBackend().name;
  beforeAll(() => {
    setBackend(name);
    capability.save();
  });
  afterEach(() => {
    capability.set(true);
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

  describe.each(CELLS_AND_PROJECTED)('%s', (_, make) => {
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
      capability.set(on);
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
