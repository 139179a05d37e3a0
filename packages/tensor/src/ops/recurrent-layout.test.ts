// recurrentLayout on every backend against what it replaces (NOTE(layout-bits)): `cat(parts, 1)`,
// then for batch-first rows a transpose of [T, B, D·F] to [B, T, D·F], forward and backward, bit for
// bit, with −0, +0 and NaN among the values and the gradients (cat writes into zeros, so −0
// becomes +0; a transpose alone keeps it; the transpose's gradient was accumulated into zeros).
import { cat, getBackend, listBackends, setBackend, type Tensor, tensor } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recurrentLayout } from './recurrent-layout';

/** The float32 bits of t's values (so that −0 and +0 differ, and NaN equals NaN). */
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(t.data).buffer));

/** [P·Q, F] values with −0, +0, NaN and ordinary numbers in every row, different per `seed`. */
function values(P: number, Q: number, F: number, seed: number): number[][] {
  const specials = [-0, 0, Number.NaN, -1.5, 2.25];
  return Array.from({ length: P * Q }, (_, r) =>
    Array.from({ length: F }, (_, k) => specials[(r * F + k + seed) % specials.length] * (1 + r)),
  );
}
const leaf = (rows: number[][]) => tensor(rows, { requiresGrad: true });

/** The old path: the parts side by side (cat), then (swap) rows (p, q) in (q, p) order. */
function old(parts: Tensor[], P: number, Q: number, swap: boolean): Tensor {
  const side = parts.length === 1 ? parts[0] : cat(parts, 1);
  if (!swap) return side;
  const W = side.shape[1];
  return side
    .reshape([P, Q, W])
    .transpose(0, 1)
    .reshape([P * Q, W]);
}

describe.each(listBackends())('[%s backend] recurrentLayout', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each([
    ['two directions, batch-first', 2, true],
    ['two directions, time-major', 2, false],
    ['one direction, batch-first', 1, true],
  ] as const)('%s: the bits of cat and transpose, forward and backward', (_, D, swap) => {
    const [P, Q, F] = [3, 4, 5]; // T, B, H
    const make = () => Array.from({ length: D }, (_, d) => leaf(values(P, Q, F, d)));
    const ours = make();
    const theirs = make();
    const out = recurrentLayout(ours, P, Q, swap);
    const want = old(theirs, P, Q, swap);
    expect(out.shape).toEqual([P * Q, D * F]);
    expect(bits(out)).toEqual(bits(want));
    // A gradient with −0, +0 and NaN in it reaches every part with the old path's bits.
    const g = tensor(values(Q, P, D * F, 7));
    out.mul(g).sum().backward();
    want.mul(g).sum().backward();
    for (let d = 0; d < D; d++) {
      expect(ours[d].grad?.shape).toEqual([P * Q, F]);
      expect(bits(ours[d].grad as Tensor)).toEqual(bits(theirs[d].grad as Tensor));
    }
  });

  // The node's own backward: what each part receives, against the rule written out.
  test.each([true, false])(
    'swap=%s: each part gets 0 + g after a swap (a transpose’s), else a copy (cat’s)',
    (swap) => {
      const [P, Q, F] = [3, 4, 5];
      const parts = [0, 1].map((d) => leaf(values(P, Q, F, d)));
      const out = recurrentLayout(parts, P, Q, swap);
      const g = tensor(values(P * Q, 1, 2 * F, 3));
      const grads = out._node?.backward([g], [true, true]) as Tensor[];
      for (let d = 0; d < 2; d++) {
        const want = new Float32Array(P * Q * F);
        for (let p = 0; p < P; p++)
          for (let q = 0; q < Q; q++)
            for (let k = 0; k < F; k++) {
              const v = g.data[(swap ? q * P + p : p * Q + q) * 2 * F + d * F + k];
              want[(p * Q + q) * F + k] = swap ? 0 + v : v;
            }
        expect(bits(grads[d])).toEqual(Array.from(new Uint32Array(want.buffer)));
      }
    },
  );

  test('the rows move: row q·P + p of a swap is row p·Q + q of its part', () => {
    const a = tensor([[1], [2], [3], [4], [5], [6]]); // P=2 (t), Q=3 (b)
    const b = tensor([[10], [20], [30], [40], [50], [60]]);
    expect(recurrentLayout([a, b], 2, 3, true).toArray()).toEqual([
      [1, 10],
      [4, 40],
      [2, 20],
      [5, 50],
      [3, 30],
      [6, 60],
    ]);
    expect(recurrentLayout([a, b], 2, 3, false).toArray()).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
      [4, 40],
      [5, 50],
      [6, 60],
    ]);
  });
});
