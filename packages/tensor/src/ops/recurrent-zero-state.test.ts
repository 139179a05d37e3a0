// NOTE(zero-state-step) on every backend: from `recurrentZeroState` (no initial state given), the
// kernels skip the first visited step's product h0 W_hhᵀ, the backward's dh0 product and that step's
// hPrev rows in dW_hh. The results must be the bits of the same zeros given as an ordinary tensor:
// out, hN, cN and every gradient compared with Object.is (−0 and +0 apart), every cell, both
// directions, packed batch sizes, with exact zeros and −0 among the inputs.

import {
  Generator,
  getBackend,
  listBackends,
  RECURRENT_GATES,
  type RecurrentCell,
  randn,
  recurrentSequence,
  recurrentZeroState,
  setBackend,
  Tensor,
} from '@seqlab/tensor';
import { backend, type RecurrentForwardArgs } from '@seqlab/tensor/backend';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const H = 32;
const SIZES = [8, 8, 8, 7, 7, 5, 5, 5, 3, 2, 2, 1];

/** How many elements differ in bits (Object.is: −0 and +0 apart). */
function bitDiffs(a: Tensor | null, b: Tensor | null): number {
  expect(a === null, 'both null or neither').toBe(b === null);
  if (!a || !b) return 0;
  expect(a.shape).toEqual(b.shape);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) n++;
  return n;
}

/** A leaf with zeros every 5th element and −0 every 11th, as ReLU or dropout outputs and their gradients hold. */
function leaf(g: Generator, shape: number[], scale: number): Tensor {
  const t = randn(shape, { generator: g }).mul(scale).detach();
  for (let i = 0; i < t.data.length; i += 5) t.data[i] = 0;
  for (let i = 3; i < t.data.length; i += 11) t.data[i] = -0;
  t.requiresGrad = true;
  return t;
}

describe.each(listBackends())('[%s backend] the recurrence from its own zero state', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  // W1's LSTM layers (B 32, T 50, H 256), and its last layer's reverse direction: one step.
  const W1 = new Array<number>(50).fill(32);
  test.each<[RecurrentCell, boolean, boolean, number, number[]]>([
    ['lstm', false, false, H, SIZES],
    ['lstm', true, false, H, SIZES],
    ['gru', false, true, H, SIZES],
    ['gru', true, false, H, SIZES],
    ['rnn_tanh', false, false, H, SIZES],
    ['rnn_relu', true, false, H, SIZES],
    ['lstm', false, false, 256, W1],
    ['lstm', true, false, 256, W1],
    ['lstm', true, false, 256, [32]],
  ])(
    '%s reverse=%s bHh=%s H=%i: the bits of the same zeros given as a tensor',
    (cell, reverse, withBHh, H, SIZES) => {
      const g = new Generator(31);
      const GH = RECURRENT_GATES[cell] * H;
      const N = SIZES.reduce((a, b) => a + b, 0);
      const B = SIZES[0];
      const xProj = leaf(g, [N, GH], 1);
      const wHh = leaf(g, [GH, H], 0.3);
      const bHh = cell === 'gru' && withBHh ? leaf(g, [GH], 0.5) : null;
      const w = randn([N, H], { generator: g });
      const lstm = cell === 'lstm';
      const seen: (boolean | undefined)[] = [];
      const k = backend();
      const forward = k.recurrentForward;
      k.recurrentForward = (a: RecurrentForwardArgs) => {
        seen.push(a.zeroState);
        forward.call(k, a);
      };
      const run = (zero: boolean) => {
        const state = (size: number) =>
          zero ? recurrentZeroState(B, size) : new Tensor(new Float32Array(B * size), [B, size], 'float32');
        for (const t of [xProj, wHh, bHh]) if (t) t.grad = null;
        const r = recurrentSequence({
          cell,
          xProj,
          wHh,
          bHh,
          wHr: null,
          h0: state(H),
          c0: lstm ? state(H) : null,
          batchSizes: Int32Array.from(SIZES),
          reverse,
        });
        let loss = r.out.mul(w).sum().add(r.hN.sum());
        if (r.cN) loss = loss.add(r.cN.mul(0.5).sum());
        loss.backward();
        return [r.out, r.hN, r.cN, xProj.grad, wHh.grad, bHh?.grad ?? null];
      };
      try {
        const plain = run(false);
        const zero = run(true);
        expect(seen).toEqual([undefined, true]);
        const names = ['out', 'hN', 'cN', 'dxProj', 'dwHh', 'dbHh'];
        const diffs = Object.fromEntries(names.map((n, i) => [n, bitDiffs(zero[i], plain[i])]));
        expect(diffs).toEqual(Object.fromEntries(names.map((n) => [n, 0])));
      } finally {
        k.recurrentForward = forward;
      }
    },
  );

  test('a zero state that requires a gradient is read as given, and gets its gradient', () => {
    const g = new Generator(3);
    const N = SIZES.reduce((a, b) => a + b, 0);
    const B = SIZES[0];
    const xProj = leaf(g, [N, 4 * H], 1);
    const wHh = leaf(g, [4 * H, H], 0.3);
    const grads = [true, false].map((zero) => {
      const h0 = zero ? recurrentZeroState(B, H) : new Tensor(new Float32Array(B * H), [B, H], 'float32');
      h0.requiresGrad = true;
      const c0 = zero ? recurrentZeroState(B, H) : new Tensor(new Float32Array(B * H), [B, H], 'float32');
      const r = recurrentSequence({
        cell: 'lstm',
        xProj,
        wHh,
        bHh: null,
        wHr: null,
        h0,
        c0,
        batchSizes: Int32Array.from(SIZES),
        reverse: false,
      });
      r.out.sum().backward();
      return h0.grad;
    });
    expect(grads[0]?.abs().sum().item()).toBeGreaterThan(0);
    expect(bitDiffs(grads[0], grads[1])).toBe(0);
  });
});
