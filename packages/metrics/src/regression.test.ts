import { ConfigError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { meanAbsoluteError, meanSquaredError, r2Score, type ZeroDivisionWarning } from './index';

// scikit-learn's documentation example.
const yTrue = [3, -0.5, 2, 7];
const yPred = [2.5, 0.0, 2, 8];

describe('meanSquaredError and meanAbsoluteError', () => {
  it("match scikit-learn's documented examples", () => {
    expect(meanSquaredError(yTrue, yPred)).toBe(0.375);
    expect(meanSquaredError(yTrue, yPred, { squared: false })).toBe(Math.sqrt(0.375));
    expect(meanAbsoluteError(yTrue, yPred)).toBe(0.5);
    expect(meanSquaredError(new Float32Array([1, 2]), [1, 2])).toBe(0);
  });

  it('throw a ShapeError for unequal lengths or empty input and a ConfigError for NaN or a bad option', () => {
    expect(() => meanSquaredError([1, 2], [1])).toThrow(
      new ShapeError('meanSquaredError', 'yTrue and yPred of the same length', 'lengths 2 and 1'),
    );
    expect(() => meanAbsoluteError([], [])).toThrow(ShapeError);
    expect(() => meanAbsoluteError([1, Number.NaN], [1, 2])).toThrow(ConfigError);
    expect(() => meanSquaredError([1], [1], { squared: 'no' as unknown as boolean })).toThrow(
      new ConfigError('meanSquaredError', 'squared to be true or false', 'no'),
    );
    expect(() => meanSquaredError([1], [1], { multioutput: 'raw_values' } as object)).toThrow(ConfigError);
  });
});

describe('r2Score', () => {
  it("matches scikit-learn's documented example and can be negative", () => {
    expect(r2Score(yTrue, yPred)).toBeCloseTo(0.9486081370449679, 15);
    expect(r2Score([1, 2, 3], [3, 2, 1])).toBe(-3);
  });

  it('is 1 for perfect and 0 for imperfect predictions of a constant, with a warning', () => {
    const seen: ZeroDivisionWarning[] = [];
    expect(r2Score([2, 2, 2], [2, 2, 2], { onZeroDivision: (w) => seen.push(w) })).toBe(1);
    expect(r2Score([2, 2, 2], [2, 3, 2], { onZeroDivision: (w) => seen.push(w) })).toBe(0);
    expect(seen.map((w) => [w.metric, w.value])).toEqual([
      ['r2', 1],
      ['r2', 0],
    ]);
    expect(r2Score([1, 2], [1, 2], { onZeroDivision: (w) => seen.push(w) })).toBe(1);
    expect(seen).toHaveLength(2);
  });

  it('treats a constant yTrue as constant even when its mean rounds', () => {
    // mean([0.1, 0.1, 0.1]) = 0.10000000000000002, so Σ(y - ȳ)² is about 1e-33, not 0.
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.2, 0.1])).toBe(0);
  });

  it('throws a ShapeError for fewer than two samples and a ConfigError for a bad handler', () => {
    expect(() => r2Score([1], [1])).toThrow(new ShapeError('r2Score', 'at least 2 samples for R²', '1'));
    expect(() => r2Score([1, 2], [1, 2], { onZeroDivision: true as unknown as () => void })).toThrow(
      ConfigError,
    );
  });
});
