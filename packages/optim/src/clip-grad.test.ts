// clipGradNorm and clipGradValue against PyTorch 1.13. The golden numbers come from
// `/usr/bin/python3 tools/fixtures/gen_optim.py`, which writes fixtures/optim/clip-grad.json: three
// seeded gradients (shapes [3, 4], [4], [2, 3]), clip_grad_norm_'s total norm and clipped gradients
// for norm types 2, inf and 1.5 with a max_norm that clips (1) and one that does not (100), and
// clip_grad_value_ at 0.5.
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  getBackend,
  listBackends,
  NumericError,
  SeqlabError,
  setBackend,
  type Tensor,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clipGradNorm, clipGradValue } from './index';

interface NormCase {
  normType: number | 'inf';
  maxNorm: number;
  totalNorm: number;
  clipped: boolean;
  grads: number[][];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/optim/clip-grad.json', import.meta.url), 'utf8'),
) as {
  torch: string;
  shapes: number[][];
  grads: number[][];
  clipGradNorm: NormCase[];
  clipGradValue: { clipValue: number; grads: number[][] };
};

/** Parameters whose gradients are the fixture's (fresh copies). */
function withGrads(grads: number[][] = fixture.grads): Tensor[] {
  return fixture.shapes.map((shape, i) => {
    const p = zeros(shape, { requiresGrad: true });
    p.grad = tensor(Float32Array.from(grads[i]), { shape });
    return p;
  });
}

/** The gradient storage of `params[i]`, to plant NaN or Infinity in. */
const gradData = (params: readonly Tensor[], i: number) => ((params[i] as Tensor).grad as Tensor).data;
const gradsOf = (params: readonly Tensor[]): number[] =>
  params.flatMap((p) => Array.from((p.grad as Tensor).data));

describe.each(listBackends())(
  `[%s backend] clipGradNorm matches PyTorch ${fixture.torch} clip_grad_norm_`,
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test('the fixture has a clipping and a non-clipping case for each norm type', () => {
      for (const normType of [2, 'inf', 1.5]) {
        const cases = fixture.clipGradNorm.filter((c) => c.normType === normType);
        expect(cases.map((c) => c.clipped).sort()).toEqual([false, true]);
      }
    });

    test.each(fixture.clipGradNorm.map((c) => [`normType ${c.normType}, maxNorm ${c.maxNorm}`, c] as const))(
      '%s',
      (_name, c) => {
        const params = withGrads();
        const total = clipGradNorm(params, c.maxNorm, {
          normType: c.normType === 'inf' ? Infinity : c.normType,
        });
        expectClose([total], [c.totalNorm], {}, 'total norm');
        expectClose(gradsOf(params), c.grads.flat(), {}, 'clipped grads');
        if (!c.clipped) expect(gradsOf(params)).toEqual(gradsOf(withGrads())); // multiplied by exactly 1
      },
    );
  },
);

describe('clipGradNorm', () => {
  test('after clipping, the norm is maxNorm (up to the 1e-6 in the denominator)', () => {
    const params = withGrads();
    clipGradNorm(params, 1);
    expect(clipGradNorm(params, Infinity)).toBeCloseTo(1, 5);
  });

  test('takes a single tensor, skips parameters without gradients, and returns 0 with none', () => {
    const [a, b] = withGrads();
    const bare = zeros([2], { requiresGrad: true });
    const alone = clipGradNorm(a as Tensor, 1e9);
    expect(clipGradNorm([a as Tensor, bare], 1e9)).toBe(alone);
    expect(bare.grad).toBeNull();
    expect(clipGradNorm([bare], 1)).toBe(0);
    expect(clipGradNorm([b as Tensor, bare], 1e9)).toBeGreaterThan(0);
  });

  test('a NaN or infinite norm is scaled into the gradients, as in PyTorch', () => {
    const nan = withGrads();
    gradData(nan, 0)[3] = Number.NaN;
    expect(clipGradNorm(nan, 1)).toBeNaN();
    expect(gradsOf(nan).every(Number.isNaN)).toBe(true);
    const inf = withGrads();
    gradData(inf, 1)[0] = Infinity;
    expect(clipGradNorm(inf, 1)).toBe(Infinity);
    expect(gradsOf(inf).filter((v) => v !== 0 && !Number.isNaN(v))).toEqual([]); // c = 0, and ∞·0 = NaN
  });

  test.each([
    ['NaN', Number.NaN, 2],
    ['Infinity', Infinity, 2],
    ['Infinity (inf norm)', Infinity, Infinity],
  ])(
    'errorIfNonfinite throws a NumericError naming a %s norm and the first non-finite gradient, and leaves the gradients alone',
    (name, bad, normType) => {
      const params = withGrads();
      gradData(params, 2)[1] = bad;
      const before = gradsOf(params);
      const call = () => clipGradNorm(params, 1, { normType, errorIfNonfinite: true });
      expect(call).toThrow(NumericError);
      expect(call).toThrow(SeqlabError);
      expect(call).toThrow(
        `clipGradNorm: expected a finite total norm of order ${normType} of the gradients, got ${name.split(' ')[0]}; the first non-finite gradient is params[2] (element 1 is ${bad})`,
      );
      expect(gradsOf(params)).toEqual(before);
    },
  );

  test('errorIfNonfinite counts parameters without a gradient when it names the first non-finite one', () => {
    const params = withGrads();
    gradData(params, 1)[0] = Number.NaN;
    const call = () => clipGradNorm([zeros([3]), ...params], 1, { errorIfNonfinite: true });
    expect(call).toThrow('the first non-finite gradient is params[2] (element 0 is NaN)');
  });

  test('errorIfNonfinite does not fire on a finite norm', () => {
    expect(clipGradNorm(withGrads(), 1, { errorIfNonfinite: true })).toBeGreaterThan(1);
  });

  test.each([
    ['maxNorm', -1, {}, 'clipGradNorm: expected maxNorm ≥ 0, got -1'],
    ['maxNorm', Number.NaN, {}, 'clipGradNorm: expected maxNorm ≥ 0, got NaN'],
    [
      'maxNorm',
      { max_norm: 1 } as unknown as number,
      {},
      'clipGradNorm: expected maxNorm ≥ 0, got a plain object with keys max_norm. maxNorm is positional: clipGradNorm(params, 1.0)',
    ],
    ['normType', 1, { normType: 0 }, 'clipGradNorm: expected normType > 0 (or Infinity), got 0'],
    ['normType', 1, { normType: -2 }, 'clipGradNorm: expected normType > 0 (or Infinity), got -2'],
  ])('a bad %s throws a ConfigError', (_what, maxNorm, options, message) => {
    expect(() => clipGradNorm(withGrads(), maxNorm, options)).toThrow(ConfigError);
    expect(() => clipGradNorm(withGrads(), maxNorm, options)).toThrow(message);
  });

  test('a non-tensor in the list throws a ConfigError', () => {
    expect(() => clipGradNorm([1 as unknown as Tensor], 1)).toThrow(
      'clipGradNorm: expected a Tensor at params[0], got number',
    );
  });
});

describe.each(listBackends())(
  `[%s backend] clipGradValue matches PyTorch ${fixture.torch} clip_grad_value_`,
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test('clamps every element', () => {
      const params = withGrads();
      clipGradValue(params, fixture.clipGradValue.clipValue);
      expect(gradsOf(params)).toEqual(fixture.clipGradValue.grads.flat().map(Math.fround));
      expect(gradsOf(params).some((v) => Math.abs(v) === 0.5)).toBe(true);
    });

    test('keeps NaN, skips parameters without gradients', () => {
      const params = withGrads();
      gradData(params, 0)[0] = Number.NaN;
      const bare = zeros([2], { requiresGrad: true });
      clipGradValue([...params, bare], 0.1);
      expect(gradsOf(params)[0]).toBeNaN();
      expect(bare.grad).toBeNull();
    });

    test('a negative or NaN clipValue throws a ConfigError', () => {
      expect(() => clipGradValue(withGrads(), -0.5)).toThrow(
        'clipGradValue: expected clipValue ≥ 0, got -0.5',
      );
      expect(() => clipGradValue(withGrads(), Number.NaN)).toThrow(ConfigError);
    });
  },
);
