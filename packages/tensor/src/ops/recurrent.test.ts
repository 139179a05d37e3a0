// The fused recurrence against finite differences (float64), for every cell, both directions,
// packed batch sizes and a projected LSTM; and its trace of dL/dh_t against retainGrad on a loop.
// The fused input projection against matmul + add and finite differences; several sequences in
// one node (recurrentSequences) against one node each.

import {
  Generator,
  RECURRENT_GATES,
  type RecurrentCell,
  randn,
  recurrentSequence,
  recurrentSequences,
  type Tensor,
} from '@seqlab/tensor';
import { gradcheck } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

const g = new Generator(2024);
const r = (shape: number[], scale = 0.5) => {
  const t = randn(shape, { generator: g, dtype: 'float64' }).mul(scale).detach();
  t.requiresGrad = true;
  return t;
};

describe.each<[RecurrentCell, boolean, number[], number]>([
  ['lstm', false, [3, 3, 2, 1], 0],
  ['lstm', true, [3, 2, 2, 1], 0],
  ['lstm', true, [3, 2, 1], 2], // projected: O = 2 < H = 3
  ['gru', false, [3, 2, 2], 0],
  ['gru', true, [2, 2, 1, 1], 0],
  ['rnn_tanh', true, [3, 1], 0],
  ['rnn_relu', false, [2, 2, 1], 0],
])('recurrentSequence %s reverse=%s batchSizes=%j proj=%i', (cell, reverse, sizes, proj) => {
  const H = 3;
  const I = RECURRENT_GATES[cell] * H;
  const O = proj || H;
  const B = sizes[0];
  const N = sizes.reduce((a, b) => a + b, 0);
  const batchSizes = Int32Array.from(sizes);

  test('gradcheck of out, hN, cN w.r.t. every input', () => {
    const inputs = [
      r([N, I]),
      r([I, O]),
      cell === 'gru' ? r([I]) : null,
      proj ? r([O, H]) : null,
      r([B, O]),
      cell === 'lstm' ? r([B, H]) : null,
    ];
    const present = inputs.filter((t): t is Tensor => t !== null);
    const fn = (...xs: Tensor[]) => {
      const it = xs[Symbol.iterator]();
      const pick = (t: Tensor | null): Tensor | null => (t ? (it.next().value as Tensor) : null);
      const [xProj, wHh, bHh, wHr, h0, c0] = inputs.map(pick);
      const res = recurrentSequence({
        cell,
        xProj: xProj!,
        wHh: wHh!,
        bHh,
        wHr,
        h0: h0!,
        c0,
        batchSizes,
        reverse,
      });
      return res.cN ? [res.out, res.hN, res.cN] : [res.out, res.hN];
    };
    expect(gradcheck(fn, present)).toBe(true);
  });
});

test('gate activations are recorded on request and lie in their ranges', () => {
  const H = 4;
  const res = recurrentSequence({
    cell: 'lstm',
    xProj: randn([6, 4 * H], { generator: g }),
    wHh: randn([4 * H, H], { generator: g }),
    bHh: null,
    wHr: null,
    h0: randn([2, H], { generator: g }),
    c0: randn([2, H], { generator: g }),
    batchSizes: Int32Array.from([2, 2, 2]),
    reverse: false,
    recordGates: true,
  });
  const gates = res.gates!;
  expect(gates.shape).toEqual([6, 4 * H]);
  expect(res.cells!.shape).toEqual([6, H]);
  for (let row = 0; row < 6; row++) {
    for (let k = 0; k < 4 * H; k++) {
      const v = gates.data[row * 4 * H + k];
      const isG = k >= 2 * H && k < 3 * H; // g = tanh, the others sigmoid
      expect(v).toBeGreaterThanOrEqual(isG ? -1 : 0);
      expect(v).toBeLessThanOrEqual(1);
    }
  }
});

test('recurrentSequences gives what recurrentSequence gives per sequence, values and gradients', () => {
  const H = 3;
  const make = () => {
    const gen = new Generator(7);
    const t = (shape: number[]) => {
      const v = randn(shape, { generator: gen, dtype: 'float64' }).mul(0.5).detach();
      v.requiresGrad = true;
      return v;
    };
    return [false, true].map((reverse) => ({
      cell: 'lstm' as const,
      xProj: t([5, 4 * H]),
      wHh: t([4 * H, H]),
      bHh: null,
      wHr: null,
      h0: t([2, H]),
      c0: t([2, H]),
      batchSizes: Int32Array.of(2, 2, 1),
      reverse,
    }));
  };
  const one = make();
  const many = make();
  const a = one.map((i) => recurrentSequence(i));
  const b = recurrentSequences(many);
  const loss = (outs: typeof a) =>
    outs.reduce((s, o) => s.add(o.out.mul(o.out).sum()).add(o.hN.sum()), randn([]).mul(0));
  loss(a).backward();
  loss(b).backward();
  a.forEach((o, i) => {
    expect(Array.from(b[i].out.data)).toEqual(Array.from(o.out.data));
  });
  one.forEach((inp, i) => {
    for (const key of ['xProj', 'wHh', 'h0', 'c0'] as const) {
      expect(Array.from(many[i][key].grad?.data ?? []), `${key} of sequence ${i}`).toEqual(
        Array.from(inp[key].grad?.data ?? []),
      );
    }
  });
});
