import { ConfigError, DTypeError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { averagePrecisionScore, rocAucScore, type TensorLike, type ZeroDivisionWarning } from './index';

/** ROC AUC by its definition: P(score of a positive > score of a negative), ties counting half. */
function pairwiseAuc(yTrue: number[], yScore: number[]): number {
  let wins = 0;
  let pairs = 0;
  yTrue.forEach((t, i) => {
    if (t !== 1) return;
    yTrue.forEach((u, j) => {
      if (u !== 0) return;
      pairs++;
      const a = yScore[i] as number;
      const b = yScore[j] as number;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAucScore', () => {
  it("matches scikit-learn's documented example", () => {
    expect(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('equals the pairwise definition, ties included', () => {
    const yTrue = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1];
    const yScore = [0.9, 0.1, 0.5, 0.5, 0.5, 0.3, 0.2, 0.2, 0.7, 0.8, 0.5, 0.1];
    expect(rocAucScore(yTrue, yScore)).toBeCloseTo(pairwiseAuc(yTrue, yScore), 15);
    expect(rocAucScore([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('takes the larger label as positive and accepts tensors', () => {
    expect(rocAucScore([-1, -1, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    const scores: TensorLike = { shape: [4], toFloat32Array: () => new Float32Array([0.1, 0.4, 0.35, 0.8]) };
    expect(rocAucScore([3, 3, 7, 7], scores)).toBe(0.75);
  });

  it('throws a ConfigError when yTrue has one class or more than two', () => {
    expect(() => rocAucScore([1, 1], [0.2, 0.3])).toThrow(
      new ConfigError(
        'rocAucScore',
        'both classes in yTrue',
        'only label 1',
        'ROC AUC is undefined with one class',
      ),
    );
    expect(() => rocAucScore([0, 1, 2], [0.2, 0.3, 0.4])).toThrow(
      new ConfigError('rocAucScore', 'binary yTrue (at most 2 labels)', '3 labels [0, 1, 2]'),
    );
  });

  it('throws a ShapeError for a 2-D score tensor or unequal lengths, a DTypeError for float labels', () => {
    const scores: TensorLike = {
      shape: [2, 2],
      toFloat32Array: () => new Float32Array([0.1, 0.9, 0.8, 0.2]),
    };
    expect(() => rocAucScore([0, 1], scores)).toThrow(
      new ShapeError('rocAucScore', 'yScore of rank 1', 'shape [2, 2]', 'Flatten it first'),
    );
    expect(() => rocAucScore([0, 1, 1], [0.1, 0.2])).toThrow(ShapeError);
    expect(() => rocAucScore([0, 0.5], [0.1, 0.2])).toThrow(DTypeError);
  });
});

describe('averagePrecisionScore', () => {
  it("matches scikit-learn's documented example", () => {
    expect(averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333333333333333, 15);
  });

  it('is a step function: tied scores form one step', () => {
    // One threshold holding 1 positive and 1 negative: recall 0 -> 1 at precision 1/2.
    expect(averagePrecisionScore([1, 0], [0.5, 0.5])).toBe(0.5);
    // Broken tie: the positive first gives 1, the negative first gives 1/2.
    expect(averagePrecisionScore([1, 0], [0.6, 0.5])).toBe(1);
    expect(averagePrecisionScore([1, 0], [0.5, 0.6])).toBe(0.5);
  });

  it('uses posLabel as the positive class', () => {
    expect(averagePrecisionScore([2, 0], [0.6, 0.5], { posLabel: 2 })).toBe(1);
    expect(averagePrecisionScore([2, 0], [0.6, 0.5], { posLabel: 0 })).toBe(0.5);
  });

  it('is 0 with a warning when yTrue has no positive sample', () => {
    const seen: ZeroDivisionWarning[] = [];
    expect(averagePrecisionScore([0, 0], [0.1, 0.9], { onZeroDivision: (w) => seen.push(w) })).toBe(0);
    expect(seen.map((w) => [w.op, w.metric, w.labels, w.value])).toEqual([
      ['averagePrecisionScore', 'averagePrecision', [1], 0],
    ]);
    expect(averagePrecisionScore([1, 1], [0.1, 0.9])).toBe(1);
  });

  it('throws a ConfigError for a posLabel not among two labels, more than two labels or bad options', () => {
    expect(() => averagePrecisionScore([0, 2], [0.1, 0.9])).toThrow(
      new ConfigError('averagePrecisionScore', 'posLabel among the labels [0, 2]', '1'),
    );
    expect(() => averagePrecisionScore([0, 1, 2], [0.1, 0.9, 0.5])).toThrow(ConfigError);
    expect(() => averagePrecisionScore([0, 1], [0.1, 0.9], { posLabel: 0.5 })).toThrow(
      new ConfigError('averagePrecisionScore', 'posLabel to be an integer label', '0.5'),
    );
    expect(() => averagePrecisionScore([0, 1], [0.1, 0.9], { average: 'macro' } as object)).toThrow(
      ConfigError,
    );
    expect(() =>
      averagePrecisionScore([0, 1], [0.1, 0.9], { onZeroDivision: 1 as unknown as () => void }),
    ).toThrow(ConfigError);
  });

  it('throws a ShapeError for empty or unequal-length input and a ConfigError for NaN scores', () => {
    expect(() => averagePrecisionScore([], [])).toThrow(ShapeError);
    expect(() => averagePrecisionScore([0, 1], [0.1])).toThrow(ShapeError);
    expect(() => averagePrecisionScore([0, 1], [0.1, Number.NaN])).toThrow(ConfigError);
  });
});
