import { dropout, Generator, randn, TorchGenerator, tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { fillUniforms } from '../random';

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
