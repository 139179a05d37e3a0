// The engine hands back to the storage pool the gradients it owns once they are consumed (see
// storage-pool.ts), and nothing else: a gradient passed on as a view, the gradient given to
// backward(), a leaf's .grad. Shapes are large enough to be pooled ([64, 512] floats, 128 KB); the
// pool is filled with NaN arrays first, so that a buffer handed out while still in use (or handed
// out unwritten) shows in the gradients.

import { Generator, linear, randn, type Tensor } from '@seqlab/tensor';
import { afterEach, describe, expect, test } from 'vitest';
import { clearStoragePool, isPooled, releaseStorage, storagePoolSize } from '../storage-pool';

const R = 64;
const C = 512;

function poison(): void {
  clearStoragePool();
  for (let k = 0; k < 8; k++) releaseStorage(new Float32Array(R * C).fill(Number.NaN));
}

const leaf = (gen: Generator, shape: number[]) => {
  const t = randn(shape, { generator: gen }).detach();
  t.requiresGrad = true;
  return t;
};

afterEach(() => clearStoragePool());

describe('engine and storage pool', () => {
  test('a gradient passed on as a view is not recycled before its view is consumed', () => {
    const gen = new Generator(1);
    const x = leaf(gen, [R, C]);
    const c = randn([C * R], { generator: gen });
    poison();
    // mul's gradient (fresh) reaches reshape, which passes a view of it to transpose's backward,
    // whose zeroed dx would be that very buffer if it had gone back to the pool.
    x.transpose(0, 1)
      .reshape([C * R])
      .mul(c)
      .sum()
      .backward();
    const g = x.grad?.data ?? new Float32Array();
    const want = new Float32Array(R * C);
    for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) want[i * C + j] = c.data[j * R + i];
    expect(Array.from(g)).toEqual(Array.from(want));
    // Consumed: mul's gradient went back (a fresh [R, C] array sits in the pool again).
    expect(storagePoolSize().arrays).toBeGreaterThan(0);
  });

  test('the gradient given to backward() and the leaves’ .grad are never pooled', () => {
    const gen = new Generator(2);
    const x = leaf(gen, [R, C]);
    const w = leaf(gen, [C, C]);
    const seed = randn([R, C], { generator: gen });
    poison();
    const y = linear(x, w);
    y.backward(seed);
    y.backward(seed, { retainGraph: true });
    // The second backward's fresh gradients, added into .grad, went back to the pool.
    expect(storagePoolSize().arrays).toBeGreaterThan(0);
    // A leaf as the root: the seed is added into its .grad, twice.
    x.backward(seed);
    x.backward(seed);
    for (const t of [seed, x.grad, w.grad] as Tensor[]) expect(isPooled(t.data as Float32Array)).toBe(false);
    const expected = linear(seed.detach(), w.detach().transpose(0, 1));
    const xg = Array.from(x.grad?.data ?? []);
    // dx of y = x Wᵀ twice, then the seed twice.
    const twice = Array.from(expected.data, (v) => Math.fround(v + v));
    expect(xg).toEqual(twice.map((v, i) => Math.fround(Math.fround(v + seed.data[i]) + seed.data[i])));
  });
});
