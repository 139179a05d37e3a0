import { ConfigError, DTypeError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { accuracyScore, type TensorLike, topKAccuracyScore } from './index';

describe('accuracyScore', () => {
  it('is the fraction, or with normalize false the number, of right predictions', () => {
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3])).toBe(0.5);
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false })).toBe(2);
    expect(accuracyScore([5, 5, 7], [5, 5, 7])).toBe(1);
    expect(accuracyScore([1, 2], [2, 1])).toBe(0);
  });

  it('throws a ShapeError for unequal lengths or no samples', () => {
    expect(() => accuracyScore([0, 1], [0])).toThrow(
      new ShapeError('accuracyScore', 'yTrue and yPred of the same length', 'lengths 2 and 1'),
    );
    expect(() => accuracyScore([], [])).toThrow(ShapeError);
  });

  it('throws a DTypeError for non-integer labels', () => {
    expect(() => accuracyScore([0.5], [0])).toThrow(DTypeError);
  });

  it('throws a ConfigError for a bad normalize or an unknown option', () => {
    expect(() => accuracyScore([0], [0], { normalize: 'yes' as unknown as boolean })).toThrow(
      new ConfigError('accuracyScore', 'normalize to be true or false', 'yes'),
    );
    expect(() => accuracyScore([0], [0], { sampleWeight: [1] } as object)).toThrow(ConfigError);
  });
});

describe('topKAccuracyScore', () => {
  const yScore = [
    [0.5, 0.2, 0.2],
    [0.3, 0.4, 0.2],
    [0.2, 0.4, 0.3],
    [0.7, 0.2, 0.1],
  ];

  it('counts a hit when the true class is among the k highest scores (default k = 2)', () => {
    expect(topKAccuracyScore([0, 1, 2, 2], yScore)).toBe(0.75);
    expect(topKAccuracyScore([0, 1, 2, 2], yScore, { k: 1 })).toBe(0.5);
    expect(topKAccuracyScore([0, 1, 2, 2], yScore, { k: 3 })).toBe(1);
    expect(topKAccuracyScore([0, 1, 2, 2], yScore, { k: 2, normalize: false })).toBe(3);
  });

  it('ranks tied scores with the higher column first, as scikit-learn', () => {
    // All scores tie: the ranking is columns 2, 1, 0.
    const tied = [[0.3, 0.3, 0.3]];
    expect(topKAccuracyScore([2], tied, { k: 1 })).toBe(1);
    expect(topKAccuracyScore([1], tied, { k: 1 })).toBe(0);
    expect(topKAccuracyScore([1], tied, { k: 2 })).toBe(1);
    expect(topKAccuracyScore([0], tied, { k: 2 })).toBe(0);
  });

  it('maps labels to columns and accepts a [N, C] tensor', () => {
    const t: TensorLike = {
      shape: [2, 3],
      toFloat32Array: () => new Float32Array([0.1, 0.8, 0.1, 0.6, 0.3, 0.1]),
    };
    expect(topKAccuracyScore([20, 10], t, { k: 1, labels: [10, 20, 30] })).toBe(1);
    expect(topKAccuracyScore([1, 0], t, { k: 1 })).toBe(1);
  });

  it('works with two columns, which scikit-learn rejects for binary yTrue', () => {
    expect(
      topKAccuracyScore(
        [0, 1],
        [
          [0.9, 0.1],
          [0.6, 0.4],
        ],
        { k: 1 },
      ),
    ).toBe(0.5);
  });

  it('throws a ShapeError for a row count that differs from yTrue or fewer than 2 columns', () => {
    expect(() => topKAccuracyScore([0, 1], [[0.1, 0.9]])).toThrow(
      new ShapeError('topKAccuracyScore', 'yTrue and yScore of the same length', 'lengths 2 and 1'),
    );
    expect(() => topKAccuracyScore([0], [[1]])).toThrow(
      new ShapeError('topKAccuracyScore', 'yScore of shape [N, C] with C ≥ 2', '[1, 1]'),
    );
  });

  it('throws a ConfigError for a bad k or normalize', () => {
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { k: 0 })).toThrow(
      new ConfigError('topKAccuracyScore', 'k to be an integer ≥ 1', '0'),
    );
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { k: 1.5 })).toThrow(ConfigError);
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { normalize: 1 as unknown as boolean })).toThrow(
      ConfigError,
    );
  });

  it('throws a ConfigError for labels of the wrong length, unordered, repeated or non-integer', () => {
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { labels: [0, 1, 2] })).toThrow(
      new ConfigError('topKAccuracyScore', 'labels with one entry per score column (2)', '3'),
    );
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { labels: [1, 0] })).toThrow(
      new ConfigError('topKAccuracyScore', 'distinct labels in ascending order', '[1, 0]'),
    );
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { labels: [0, 0] })).toThrow(ConfigError);
    expect(() => topKAccuracyScore([0], [[0.1, 0.9]], { labels: [0, 0.5] })).toThrow(
      new ConfigError('topKAccuracyScore', 'integer labels', '0.5 in labels'),
    );
  });

  it('throws a ConfigError for a true label with no score column', () => {
    expect(() =>
      topKAccuracyScore(
        [0, 3],
        [
          [0.1, 0.9],
          [0.5, 0.5],
        ],
      ),
    ).toThrow(
      new ConfigError('topKAccuracyScore', 'yTrue labels among [0, 1]', '3 at index 1', 'Pass labels'),
    );
  });
});

describe('arguments that are neither arrays nor tensors', () => {
  it('name the function, what it takes and what was given', () => {
    expect(() => accuracyScore(undefined as unknown as number[], [1])).toThrow(
      new ConfigError('accuracyScore', 'yTrue as an array, typed array or tensor', 'undefined'),
    );
    expect(() => accuracyScore([1], new Map() as unknown as number[])).toThrow(
      new ConfigError('accuracyScore', 'yPred as an array, typed array or tensor', 'a Map of 0 entries'),
    );
    expect(() => accuracyScore({ data: [1] } as unknown as number[], [1])).toThrow(
      'got a plain object with keys data',
    );
  });
});
