import { ConfigError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { LabelPairCounts } from './confusion-matrix';
import { confusionMatrix } from './index';

describe('confusionMatrix', () => {
  const yTrue = [2, 0, 2, 2, 0, 1];
  const yPred = [0, 0, 2, 2, 0, 2];

  it('has true labels on rows and predictions on columns', () => {
    expect(confusionMatrix(yTrue, yPred)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });

  it('orders rows by labels and drops samples outside them', () => {
    expect(confusionMatrix(yTrue, yPred, { labels: [2, 0] })).toEqual([
      [2, 1],
      [0, 2],
    ]);
    // A listed label with no samples gets an empty row and column.
    expect(confusionMatrix([0, 1], [0, 1], { labels: [0, 1, 7] })).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('normalizes over rows, columns or everything, with 0/0 as 0', () => {
    expect(confusionMatrix([0, 0, 1], [0, 1, 1], { normalize: 'true' })).toEqual([
      [0.5, 0.5],
      [0, 1],
    ]);
    expect(confusionMatrix([0, 0, 1], [0, 1, 1], { normalize: 'pred' })).toEqual([
      [1, 0.5],
      [0, 0.5],
    ]);
    expect(confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], { normalize: 'all' })).toEqual([
      [0.25, 0.25],
      [0, 0.5],
    ]);
    // Label 1 is never true: its row of the 'true' normalization is 0, not NaN.
    expect(confusionMatrix([0, 0], [0, 1], { normalize: 'true' })).toEqual([
      [0.5, 0.5],
      [0, 0],
    ]);
  });

  it('throws a ConfigError for a bad normalize, bad labels or labels absent from yTrue', () => {
    expect(() => confusionMatrix([0], [0], { normalize: 'rows' as 'true' })).toThrow(
      new ConfigError('confusionMatrix', "normalize 'true', 'pred' or 'all'", "'rows'"),
    );
    expect(() => confusionMatrix([0], [0], { labels: [] })).toThrow(ConfigError);
    expect(() => confusionMatrix([0, 1], [2, 2], { labels: [2] })).toThrow(
      new ConfigError('confusionMatrix', 'at least one of labels to occur in yTrue', 'labels [2]'),
    );
    expect(() => confusionMatrix([0], [0], { sampleWeight: [1] } as object)).toThrow(ConfigError);
  });

  it('throws a ShapeError for unequal lengths or empty input', () => {
    expect(() => confusionMatrix([0, 1], [0])).toThrow(ShapeError);
    expect(() => confusionMatrix([], [])).toThrow(ShapeError);
  });
});

describe('LabelPairCounts', () => {
  it('counts pairs, supports and predictions across batches', () => {
    const counts = new LabelPairCounts();
    counts.add(Float64Array.from([3, 1, 3]), Float64Array.from([3, 3, 1]));
    counts.add(Float64Array.from([-2]), Float64Array.from([-2]));
    expect(counts.labels()).toEqual([-2, 1, 3]);
    expect([counts.total, counts.correct]).toEqual([4, 2]);
    expect([counts.count(1, 3), counts.count(3, 1), counts.count(3, 3), counts.count(1, 1)]).toEqual([
      1, 1, 1, 0,
    ]);
    expect([counts.trueCount(3), counts.predCount(3), counts.trueCount(9)]).toEqual([2, 2, 0]);
  });
});
