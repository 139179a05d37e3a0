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

  test('an elementwise product made in backward is pooled once consumed; a pool of NaN arrays gives the same bits', () => {
    const gen = new Generator(7);
    const values = randn([R, C], { generator: gen });
    const c = randn([R, C], { generator: gen });
    const d = randn([C], { generator: gen });
    const grads = () => {
      const x = values.detach();
      x.requiresGrad = true;
      // The second mul's backward makes g ⊙ d (binary's output, from the pool) for the first mul.
      x.mul(c).mul(d).sum().backward();
      return Array.from(x.grad?.data ?? []);
    };
    clearStoragePool();
    const clean = grads();
    expect(storagePoolSize().arrays).toBeGreaterThan(0);
    poison();
    expect(grads()).toEqual(clean);
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

// zeroGrad's set-to-none (`Tensor._dropGrad`) hands a parameter's gradient back to the pool when
// only the engine and the optimizers (`_peekGrad`) touched it, so the next backward's gradient of
// that parameter takes the same storage; a gradient the caller read or set keeps its values.
describe('dropping .grad', () => {
  /** y = x Wᵀ summed with weights `seed`: W's gradient is seedᵀ x, a fresh [C, C] array. */
  const step = (x: Tensor, w: Tensor, seed: Tensor) => linear(x, w).backward(seed);

  test('a gradient nobody read goes back to the pool and the next backward writes into it', () => {
    const gen = new Generator(3);
    const x = randn([R, C], { generator: gen });
    const w = leaf(gen, [C, C]);
    const seeds = [randn([R, C], { generator: gen }), randn([R, C], { generator: gen })];
    clearStoragePool();
    step(x, w, seeds[0]);
    const first = w._peekGrad()?.data as Float32Array;
    w._dropGrad();
    expect(w._peekGrad()).toBeNull();
    expect(isPooled(first)).toBe(true);
    first.fill(Number.NaN); // whatever the pool holds is overwritten before it is read
    step(x, w, seeds[1]);
    const second = w._peekGrad()?.data as Float32Array;
    expect(second).toBe(first);
    expect(isPooled(second)).toBe(false);
    const fresh = leaf(new Generator(4), [C, C]);
    fresh.data.set(w.data);
    step(x, fresh, seeds[1]);
    expect(Array.from(second)).toEqual(Array.from(fresh._peekGrad()?.data ?? []));
  });

  test('a gradient read through .grad keeps its values after it is dropped and the next backward runs', () => {
    const gen = new Generator(5);
    const x = randn([R, C], { generator: gen });
    const w = leaf(gen, [C, C]);
    const seeds = [randn([R, C], { generator: gen }), randn([R, C], { generator: gen })];
    clearStoragePool();
    step(x, w, seeds[0]);
    const kept = w.grad as Tensor;
    const values = Array.from(kept.data);
    w._dropGrad();
    expect(isPooled(kept.data as Float32Array)).toBe(false);
    step(x, w, seeds[1]);
    expect(Array.from(kept.data)).toEqual(values);
    expect(w._peekGrad()?.data).not.toBe(kept.data);
    // The new gradient was not read: it is recycled again.
    const next = w._peekGrad()?.data as Float32Array;
    w._dropGrad();
    expect(isPooled(next)).toBe(true);
  });

  test('a gradient the caller set, or read after backward summed into it, is never pooled', () => {
    const gen = new Generator(6);
    const x = randn([R, C], { generator: gen });
    const w = leaf(gen, [C, C]);
    const seed = randn([R, C], { generator: gen });
    clearStoragePool();
    const mine = randn([C, C], { generator: gen });
    w.grad = mine;
    step(x, w, seed); // summed into the caller's tensor, as PyTorch accumulates into .grad
    w._dropGrad();
    expect(isPooled(mine.data as Float32Array)).toBe(false);
    step(x, w, seed);
    const held = w.grad as Tensor;
    step(x, w, seed); // accumulates into the same tensor: still the one the caller holds
    expect(w.grad).toBe(held);
    w._dropGrad();
    expect(isPooled(held.data as Float32Array)).toBe(false);
  });
});
