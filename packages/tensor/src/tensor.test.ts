import {
  add,
  arange,
  argmax,
  ConfigError,
  div,
  eq,
  eye,
  full,
  Generator,
  manualSeed,
  max,
  narrow,
  ones,
  rand,
  randint,
  randn,
  reshape,
  select,
  sum,
  tensor,
  uniform,
  zeros,
  zerosLike,
} from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

describe('creation', () => {
  test('from nested arrays and from typed arrays', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6]);
    const ids = tensor(new Int32Array([3, 1, 2, 0]), { shape: [2, 2] });
    expect(ids.dtype).toBe('int32');
    expect(ids.toArray()).toEqual([
      [3, 1],
      [2, 0],
    ]);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor(3.5).shape).toEqual([]);
    expect(tensor(3.5).item()).toBe(3.5);
  });

  test('zeros, ones, full, arange, eye', () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 7, { dtype: 'int32' }).toArray()).toEqual([7, 7]);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(zerosLike(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('int32');
  });

  test('manualSeed makes every random op reproducible bit for bit', () => {
    manualSeed(42);
    const a = [rand([5]), randn([5]), randint(0, 10, [5]), uniform([5], -0.1, 0.1)].map((t) =>
      Array.from(t.data),
    );
    manualSeed(42);
    const b = [rand([5]), randn([5]), randint(0, 10, [5]), uniform([5], -0.1, 0.1)].map((t) =>
      Array.from(t.data),
    );
    expect(b).toEqual(a);
    manualSeed(43);
    expect(Array.from(rand([5]).data)).not.toEqual(a[0]);
  });

  test('random distributions have the right moments and ranges', () => {
    const g = new Generator(5);
    const n = 20000;
    const u = rand([n], { generator: g });
    const z = randn([n], { generator: g });
    const k = randint(-3, 4, [n], { generator: g });
    const mean = (t: { data: ArrayLike<number> }) => Array.from(t.data).reduce((s, v) => s + v, 0) / n;
    expect(mean(u)).toBeCloseTo(0.5, 1);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(mean(z)).toBeCloseTo(0, 1);
    const variance = Array.from(z.data).reduce((s, v) => s + v * v, 0) / n;
    expect(variance).toBeCloseTo(1, 1);
    expect(new Set(k.data).size).toBe(7);
    expect(Math.min(...k.data)).toBe(-3);
  });

  test('a generator state can be saved and restored (for resumable runs)', () => {
    const g = new Generator(1);
    g.normal();
    const state = g.getState();
    const next = [g.normal(), g.uniform(), g.nextUint32()];
    const h = new Generator(999);
    h.setState(state);
    expect([h.normal(), h.uniform(), h.nextUint32()]).toEqual(next);
    expect(() => h.setState([1, 2])).toThrow(/Generator.setState: expected the 5 numbers/);
  });
});

describe('views and dtypes', () => {
  test('reshape and first-dim select/narrow share storage (views where they pay)', () => {
    const x = arange(12, undefined, 1, { dtype: 'float32' });
    const m = reshape(x, [3, 4]);
    expect(m.data.buffer).toBe(x.data.buffer);
    const row = select(m, 0, 1);
    expect(row.data.buffer).toBe(x.data.buffer);
    expect(row.toArray()).toEqual([4, 5, 6, 7]);
    const rows = narrow(m, 0, 1, 2);
    x.data[4] = 100;
    expect(rows.toArray()).toEqual([
      [100, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    // A column is not contiguous: it is copied.
    const col = select(m, 1, 0);
    expect(col.data.buffer).not.toBe(x.data.buffer);
    expect(col.toArray()).toEqual([0, 100, 8]);
  });

  test('type promotion: int32 with float32 gives float32; division is true division', () => {
    const i = tensor([1, 2, 3], { dtype: 'int32' });
    expect(add(i, 1).dtype).toBe('int32');
    expect(add(i, 0.5).dtype).toBe('float32');
    expect(add(i, tensor([0.5, 0.5, 0.5])).toArray()).toEqual([1.5, 2.5, 3.5]);
    expect(div(i, 2).toArray()).toEqual([0.5, 1, 1.5]);
    expect(eq(i, 2).dtype).toBe('bool');
    expect(sum(eq(i, 2)).item()).toBe(1);
    expect(sum(eq(i, 2)).dtype).toBe('int32');
  });

  test('argmax and max agree and pick the first of ties', () => {
    const x = tensor([
      [1, 5, 5],
      [7, 2, 7],
    ]);
    expect(argmax(x, 1).toArray()).toEqual([1, 0]);
    expect(argmax(x).item()).toBe(3);
    expect(max(x, 1).toArray()).toEqual([5, 7]);
    expect(max(x).item()).toBe(7);
  });
});

describe("JavaScript's operators on a tensor", () => {
  // PyTorch overloads * and +; JavaScript would turn the tensor into NaN or a string silently.
  const x = tensor([1, 2, 3]);
  test('arithmetic operators throw with the method to call', () => {
    expect(() => (x as unknown as number) * 2).toThrow(
      'Tensor: expected a method call for arithmetic (x.mul(2), x.add(y)), got the tensor used as a primitive (the *, +, - or < operator, or Number(x)). JavaScript has no operator overloading: use x.mul(y), x.add(y), x.lt(y), or x.item() for the number of a one-element tensor',
    );
    expect(() => (x as unknown as string) + (x as unknown as string)).toThrow(ConfigError);
    expect(() => Number(tensor(1.5))).toThrow(ConfigError);
    expect(() => (x as unknown as number) < 2).toThrow(ConfigError);
  });
  test('strings still print the values, as str(tensor) does', () => {
    expect(`${tensor([1.5])}`).toBe('tensor([1.5000], shape=[1], dtype=float32)');
    expect(String(tensor([1.5]))).toBe('tensor([1.5000], shape=[1], dtype=float32)');
    expect([tensor([1])].join()).toBe('tensor([1.], shape=[1], dtype=float32)');
  });
});

test("view, reshape, permute and expand take PyTorch's separate sizes as well as one list", () => {
  const x = arange(6).float();
  expect(x.view(3, 2).shape).toEqual([3, 2]);
  expect(x.view(-1).shape).toEqual([6]);
  expect(x.reshape(2, -1).shape).toEqual([2, 3]);
  expect(x.reshape([2, 3]).permute(1, 0).toArray()).toEqual(x.reshape(2, 3).permute([1, 0]).toArray());
  expect(tensor([[1], [2]]).expand(2, 3).shape).toEqual([2, 3]);
  expect(() => x.view([3, 2] as unknown as number, 1)).toThrow(
    'Tensor.view: expected sizes as numbers or one list of numbers, got [3, 2] and 1',
  );
});
