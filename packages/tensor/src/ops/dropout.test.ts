import {
  ConfigError,
  dropout,
  Generator,
  getBackend,
  listBackends,
  randn,
  setBackend,
  TorchGenerator,
  tensor,
} from '@seqlab/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { backend } from '../backend/registry';
import { fillUniforms } from '../random';
import { clearStoragePool, isPooled, releaseStorage, storagePoolSize } from '../storage-pool';

/** dropout as its definition reads: one `uniform()` per element, compared in float64, in order. */
function reference(
  x: Float32Array | Float64Array,
  p: number,
  g: Generator,
): { out: number[]; mask: number[] } {
  const round = x instanceof Float32Array ? Math.fround : (v: number) => v;
  const scale = round(1 / (1 - p));
  const mask = Array.from(x, () => (p < 1 && g.uniform() >= p ? scale : 0));
  return { mask, out: Array.from(x, (v, i) => round(v * mask[i])) };
}

/** A generator that is neither seqlab's nor PyTorch's: draws that are not multiples of 2^-24. */
class OddGenerator extends Generator {
  #i = 0;
  override uniform(): number {
    this.#i++;
    // Right around p = 0.3: a float32 copy of these would round onto or off the threshold.
    return this.#i % 2 === 0 ? 0.3 - 1e-12 : 0.3 + 1e-12 * (this.#i % 3);
  }
}

describe('dropout draws its mask', () => {
  test.each(['float32', 'float64'] as const)(
    'as one uniform() per element in order, for Generator and TorchGenerator (%s, [7, 13, 5])',
    (dtype) => {
      for (const make of [(s: number) => new Generator(s), (s: number) => new TorchGenerator(s)]) {
        const x = randn([7, 13, 5], { dtype, generator: new Generator(3) });
        const g = make(11);
        const want = reference(x.data as Float32Array, 0.3, make(11));
        const out = dropout(x, 0.3, { generator: g });
        expect(Array.from(out.data)).toEqual(want.out);
        // The generator moved on by exactly one draw per element.
        const next = make(11);
        for (let i = 0; i < x.numel; i++) next.uniform();
        expect(g.uniform()).toBe(next.uniform());
      }
    },
  );

  test('from any other generator, compared as it returns its numbers', () => {
    const x = tensor(Array.from({ length: 12 }, (_, i) => i + 1));
    const out = dropout(x, 0.3, { generator: new OddGenerator() });
    const want = reference(x.data as Float32Array, 0.3, new OddGenerator());
    expect(Array.from(out.data)).toEqual(want.out);
    // Both sides of the threshold occur, so a float32 round trip of the draws would show.
    expect(new Set(want.mask).size).toBe(2);
  });

  test('p = 1 zeroes every element and draws nothing', () => {
    const g = new Generator(5);
    const out = dropout(tensor([1, 2, 3]), 1, { generator: g });
    expect(Array.from(out.data)).toEqual([0, 0, 0]);
    expect(g.uniform()).toBe(new Generator(5).uniform());
  });
});

describe('fillUniforms', () => {
  test.each([
    ['Generator', (s: number) => new Generator(s)],
    ['TorchGenerator', (s: number) => new TorchGenerator(s)],
    ['a subclass', (s: number) => new (class extends Generator {})(s)],
  ] as const)('fills what a uniform() loop draws, and leaves %s where the loop does', (_, make) => {
    for (const out of [new Float32Array(1031), new Float64Array(17)]) {
      const g = make(42);
      const want = make(42);
      fillUniforms(g, out);
      expect(Array.from(out)).toEqual(Array.from(out, () => want.uniform()));
      expect(g.getState()).toEqual(want.getState());
    }
  });
});

describe.each(listBackends())('[%s backend] dropout storage', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));
  afterEach(() => clearStoragePool());
  // W1's dropout between its layers, at a tenth of the batch: [32, 5, 512] floats (320 KB, pooled).
  const shape = [32, 5, 512];

  test('its mask goes back to the storage pool once backward has run, and not before', () => {
    const x = randn(shape, { requiresGrad: true, generator: new Generator(1) });
    const out = dropout(x, 0.3, { generator: new Generator(2) });
    const mask = out._node?.inputs[1];
    if (!mask) throw new Error('dropout recorded no mask');
    expect(isPooled(mask.data as Float32Array)).toBe(false);
    out.sum().backward();
    expect(isPooled(mask.data as Float32Array)).toBe(true);
    // Its saved mask is gone: a second backward is an error, as in PyTorch.
    expect(() => out.sum().backward()).toThrow(ConfigError);
  });

  test('with retainGraph the mask stays, and a second backward gives the same gradient', () => {
    const x = randn(shape, { requiresGrad: true, generator: new Generator(1) });
    const out = dropout(x, 0.3, { generator: new Generator(2) });
    const mask = out._node?.inputs[1];
    out.sum().backward(undefined, { retainGraph: true });
    expect(isPooled(mask?.data as Float32Array)).toBe(false);
    const first = Array.from(x.grad?.data ?? []);
    expect(first.length).toBe(x.numel);
    out.sum().backward();
    expect(isPooled(mask?.data as Float32Array)).toBe(true);
    // The second gradient added to the first: twice each (exact in float32).
    expect(Array.from(x.grad?.data ?? [])).toEqual(first.map((v) => 2 * v));
  });

  test('its mask and output are taken from the pool (every element written, stale values gone)', () => {
    const n = shape.reduce((a, b) => a * b);
    const stale = [new Float32Array(n).fill(Number.NaN), new Float32Array(n).fill(Number.NaN)];
    for (const a of stale) releaseStorage(a);
    const x = randn(shape, { generator: new Generator(1) });
    const out = dropout(x, 0.3, { generator: new Generator(2) });
    expect(storagePoolSize().arrays).toBe(0);
    expect(stale).toContain(out.data);
    const want = reference(x.data as Float32Array, 0.3, new Generator(2));
    expect(Array.from(out.data)).toEqual(want.out);
  });
});

describe.each(listBackends())('[%s backend] dropout’s numbers', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  /** The float32 bits of an array's values (−0 and +0 differ, NaN equals NaN). */
  const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

  // Every element: ordinary values of both signs, −0, +0, NaN and ±Infinity (a dropped NaN or
  // Infinity is NaN, a dropped negative is −0); a tenth of W1’s [32, 50, 512] between its layers, and an odd length.
  test.each([
    [[32, 5, 512], 0.3],
    [[7, 13, 5], 0.5],
    [[1031], 0.9],
    [[1031], 1e-7],
    [[3, 4], 0.999999],
  ])(
    '%j, p = %f: the reference mask and output bit for bit, and the generator where it leaves it',
    (shape, p) => {
      const n = (shape as number[]).reduce((a, b) => a * b);
      const specials = [-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      const values = randn([n], { generator: new Generator(3) }).data as Float32Array;
      for (let i = 0; i < n; i += 97) values[i] = specials[(i / 97) % specials.length];
      const x = tensor(Array.from(values), { requiresGrad: true }).reshape(shape as number[]);
      for (const make of [(s: number) => new Generator(s), (s: number) => new TorchGenerator(s)]) {
        const g = make(11);
        const want = reference(values, p, make(11));
        const calls = countDropoutCalls(() => {
          const out = dropout(x, p, { generator: g });
          expect(bits(out.data)).toEqual(bits(want.out));
          expect(bits(out._node?.inputs[1].data ?? [])).toEqual(bits(want.mask));
        });
        // The backend's kernel runs for seqlab's own generator only.
        const hook = backend().dropout !== undefined && make(0).constructor === Generator;
        expect(calls).toBe(hook ? 1 : 0);
        const next = make(11);
        for (let i = 0; i < n; i++) next.uniform();
        expect(g.getState()).toEqual(next.getState());
      }
    },
  );

  /** How many times `fn` called the backend's dropout kernel. */
  function countDropoutCalls(fn: () => void): number {
    const k = backend();
    const own = k.dropout;
    if (!own) {
      fn();
      return 0;
    }
    let calls = 0;
    k.dropout = (...args) => {
      calls++;
      own.apply(k, args);
    };
    try {
      fn();
    } finally {
      k.dropout = own;
    }
    return calls;
  }
});
