import { afterEach, describe, expect, it } from 'vitest';
import { crossEntropy, Embedding, GRU, Linear, LSTM } from '../../packages/layers/src/index.ts';
import {
  backend,
  inferRecurrentLayer,
  jsBackend,
  registerBackend,
  setWasmLayerInference,
} from '../../packages/tensor/src/backend/index.ts';
import { Generator, manualSeed, randint, setBackend } from '../../packages/tensor/src/index.ts';
import {
  callFlops,
  countingBackend,
  gemmFlops,
  recurrentBackwardFlops,
  recurrentForwardFlops,
  recurrentInferInputFlops,
} from './wasm-flops.mjs';

describe('the flop formulas', () => {
  it('count 2·m·n·k per product and the recurrence per step', () => {
    expect(gemmFlops(3, 4, 5)).toBe(120);
    expect(callFlops('gemm', [false, true, 3, 4, 5])).toBe(120);
    expect(callFlops('gemmBias', [3, 4, 5])).toBe(120);
    expect(callFlops('addBias', [])).toBeNull();
    // A packed LSTM sequence: steps of 3, 2, 1 rows (N = 6), H = 5, G·H = 20.
    const lstm = { cell: 'lstm', hidden: 5, outSize: 5, batchSizes: Int32Array.from([3, 2, 1]), wHr: null };
    expect(recurrentForwardFlops(lstm)).toBe(2 * 6 * 20 * 5);
    expect(recurrentBackwardFlops(lstm)).toBe(2 * 2 * 6 * 20 * 5);
    // Projected (O = 2): h W_hrᵀ per row forward, dh W_hr and dW_hr backward.
    const proj = { ...lstm, outSize: 2, wHr: new Float32Array(10) };
    expect(recurrentForwardFlops(proj)).toBe(2 * 6 * 20 * 2 + 2 * 6 * 2 * 5);
    expect(recurrentBackwardFlops(proj)).toBe(2 * (2 * 6 * 20 * 2) + 2 * (2 * 6 * 2 * 5));
    const gru = { cell: 'gru', hidden: 4, batchSizes: Int32Array.from([2, 2]), inputSize: 7 };
    expect(recurrentInferInputFlops(gru)).toBe(2 * 4 * 12 * 4 + 2 * 4 * 12 * 7);
    expect(callFlops('recurrentForwardMany', [[lstm, lstm]])).toBe(2 * recurrentForwardFlops(lstm));
    expect(() => recurrentForwardFlops({ ...lstm, cell: 'mgu' })).toThrow(/unknown recurrent cell 'mgu'/);
  });

  it('counts and times only the outermost call of a method that runs another', () => {
    let t = 0;
    const inner = { name: 'x', gemm: () => {}, fill: () => {} };
    const base = { fill: inner.fill };
    const c = countingBackend(
      {
        ...inner,
        // A Many that runs the one-sequence call per sequence, as a backend without threads may.
        recurrentForwardMany(list) {
          t += 5;
          for (const a of list) this.recurrentForward(a);
        },
        recurrentForward() {
          t += 1;
        },
      },
      base,
      () => t,
    );
    const a = { cell: 'rnn_tanh', hidden: 2, outSize: 2, batchSizes: Int32Array.from([1, 1]), wHr: null };
    c.backend.recurrentForwardMany([a, a]);
    c.backend.gemm(false, false, 2, 3, 4, null, 0, null, 0, null, 0, false);
    c.backend.fill(null, 0); // the base's own: not wrapped
    expect(c.stats.flops).toBe(2 * recurrentForwardFlops(a) + 48);
    expect(c.stats.calls).toBe(2);
    expect(c.stats.ms).toBe(7);
    expect(c.stats.byMethod.recurrentForward).toBeUndefined();
    expect(c.backend.fill).toBe(inner.fill);
    c.reset();
    expect(c.stats).toEqual({ flops: 0, calls: 0, ms: 0, byMethod: {} });
  });
});

// A small W1: Embedding -> 2-layer bidirectional LSTM (batchFirst) -> fc on output[:, -1], one
// forward and backward, counted against a hand count. B = 3, T = 4, E = 5, H = 6, C = 3.
const B = 3;
const T = 4;
const E = 5;
const H = 6;
const C = 3;
const BT = B * T;

/**
 * The hand count. Per direction, forward: x W_ihᵀ (2·rows·G·H·in) and h W_hhᵀ (2·rows·G·H·H);
 * backward: twice each (dX and dW; dh and dW_hh). The last layer's reverse direction: its backward
 * runs its first processed step alone (NOTE(zero-gradient-steps)), B rows of the recurrence and of
 * the projection's two products; its forward covers B rows too when deferred
 * (NOTE(deferred-reverse-training)), else all B·T.
 */
function handCount(G, deferred) {
  const proj = (rows, inp) => 2 * rows * G * H * inp;
  const rec = (rows) => 2 * rows * G * H * H;
  const layer1 = 2 * (proj(BT, E) + rec(BT)) * 3; // both directions, forward + backward (×2)
  const layer2Forward = (proj(BT, 2 * H) + rec(BT)) * 3;
  const reverseRows = deferred ? B : BT;
  const layer2Reverse = proj(reverseRows, 2 * H) + 2 * proj(B, 2 * H) + rec(reverseRows) + 2 * rec(B);
  const fc = 2 * B * C * 2 * H * 3; // forward, dX, dW
  return layer1 + layer2Forward + layer2Reverse + fc;
}

function countStep(Cell) {
  manualSeed(0);
  const emb = new Embedding(11, E);
  const rnn = new Cell({ inputSize: E, hiddenSize: H, numLayers: 2, batchFirst: true, bidirectional: true });
  const fc = new Linear(2 * H, C);
  const generator = new Generator(1);
  const tokens = randint(0, 11, [B, T], { generator });
  const labels = randint(0, C, [B], { generator });
  const counter = countingBackend(backend(), jsBackend);
  const original = backend();
  registerBackend(counter.backend);
  try {
    const { output } = rnn.forward(emb.forward(tokens));
    crossEntropy(fc.forward(output.select(1, -1)), labels).backward();
  } finally {
    registerBackend(original);
  }
  expect(fc.weight.grad).not.toBeNull();
  expect(emb.weight.grad).not.toBeNull();
  return counter.stats;
}

describe.each([
  // js: no layer hook, so every reverse step runs forward.
  { name: 'js', hook: false, deferred: false },
  // wasm as `seqlab bench speed` runs it: the CLI's hook, the reverse direction deferred.
  { name: 'wasm', hook: true, deferred: true },
  { name: 'wasm', hook: false, deferred: false },
])('a small W1 step on $name (layer hook: $hook)', ({ name, hook, deferred }) => {
  afterEach(() => setWasmLayerInference(null));

  it.each([
    ['LSTM', LSTM, 4],
    ['GRU', GRU, 3],
  ])('%s: the counted flops are the hand count', (_, Cell, G) => {
    setBackend(name);
    if (hook) setWasmLayerInference(inferRecurrentLayer);
    const stats = countStep(Cell);
    expect(stats.flops).toBe(handCount(G, deferred));
    expect(
      stats.byMethod.recurrentForward.calls + (stats.byMethod.recurrentForwardMany?.calls ?? 0),
    ).toBeGreaterThan(0);
    expect(stats.ms).toBeGreaterThan(0);
  });
});
