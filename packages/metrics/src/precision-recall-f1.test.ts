import { ConfigError, DTypeError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import {
  f1Score,
  fbetaScore,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  type ZeroDivisionWarning,
} from './index';

// scikit-learn's documentation example.
const yTrue = [0, 1, 2, 0, 1, 2];
const yPred = [0, 2, 1, 0, 0, 1];

describe('precision, recall and F-scores', () => {
  it('default to average binary with posLabel 1', () => {
    expect(precisionScore([0, 1, 1, 0], [0, 1, 0, 0])).toBe(1);
    expect(recallScore([0, 1, 1, 0], [0, 1, 0, 0])).toBe(0.5);
    expect(f1Score([0, 1, 1, 0], [0, 1, 0, 0])).toBeCloseTo(2 / 3, 15);
    expect(precisionScore([0, 1, 1, 0], [0, 1, 0, 0], { posLabel: 0 })).toBeCloseTo(2 / 3, 15);
  });

  it('average per class, macro, micro and weighted as scikit-learn documents', () => {
    expect(precisionScore(yTrue, yPred, { average: null })).toEqual([2 / 3, 0, 0]);
    expect(precisionScore(yTrue, yPred, { average: 'macro' })).toBeCloseTo(0.2222222222222222, 15);
    expect(precisionScore(yTrue, yPred, { average: 'micro' })).toBeCloseTo(1 / 3, 15);
    expect(recallScore(yTrue, yPred, { average: 'weighted' })).toBeCloseTo(1 / 3, 15);
    expect(f1Score(yTrue, yPred, { average: 'macro' })).toBeCloseTo(0.26666666666666666, 15);
    expect(f1Score(yTrue, yPred, { average: null })).toEqual([0.8, 0, 0]);
    expect(fbetaScore(yTrue, yPred, { beta: 0.5, average: 'macro' })).toBeCloseTo(0.23809523809523805, 15);
    const perClass = fbetaScore(yTrue, yPred, { beta: 0.5, average: null });
    expect(perClass[0]).toBeCloseTo(5 / 7, 15);
    expect(perClass.slice(1)).toEqual([0, 0]);
  });

  it('gives recall for beta = Infinity and precision for beta = 0', () => {
    expect(fbetaScore([0, 1, 1, 0], [0, 1, 0, 1], { beta: Number.POSITIVE_INFINITY })).toBe(0.5);
    expect(fbetaScore([0, 1, 1, 1], [0, 1, 0, 0], { beta: 0 })).toBe(1);
  });

  it('scores only the listed labels, counting other labels as errors', () => {
    // Class 0 with label 1 left out: its wrong predictions of 1 still lower recall.
    expect(recallScore([0, 0, 1], [0, 1, 1], { average: null, labels: [0] })).toEqual([0.5]);
    expect(precisionScore([0, 0, 1, 2], [0, 1, 1, 0], { average: 'micro', labels: [0, 1] })).toBeCloseTo(
      2 / 4,
      15,
    );
  });

  it('returns per-class results with labels and support from precisionRecallFscoreSupport', () => {
    const r = precisionRecallFscoreSupport(yTrue, yPred);
    expect(r.labels).toEqual([0, 1, 2]);
    expect(r.support).toEqual([2, 2, 2]);
    const avg = precisionRecallFscoreSupport(yTrue, yPred, { average: 'weighted', beta: 2 });
    expect(avg.support).toBeNull();
    expect(avg.fbetaScore).toBeCloseTo((5 * (2 / 3) * 1) / (4 * (2 / 3) + 1) / 3, 15);
  });
});

describe('zero division', () => {
  it('uses zeroDivision for a class never predicted and reports it', () => {
    const seen: ZeroDivisionWarning[] = [];
    const p = precisionScore([0, 1, 2], [0, 1, 1], { average: null, onZeroDivision: (w) => seen.push(w) });
    expect(p).toEqual([1, 0.5, 0]);
    expect(seen).toEqual([
      {
        op: 'precisionScore',
        metric: 'precision',
        labels: [2],
        value: 0,
        message: 'Precision is ill-defined and being set to 0.0 in labels [2] with no predicted samples',
      },
    ]);
    expect(precisionScore([0, 1, 2], [0, 1, 1], { average: null, zeroDivision: 1 })).toEqual([1, 0.5, 1]);
  });

  it('uses zeroDivision for a class absent from yTrue', () => {
    const seen: ZeroDivisionWarning[] = [];
    expect(
      recallScore([0, 0], [0, 1], { average: null, zeroDivision: 1, onZeroDivision: (w) => seen.push(w) }),
    ).toEqual([0.5, 1]);
    expect(seen.map((w) => [w.metric, w.labels, w.value])).toEqual([['recall', [1], 1]]);
  });

  it('reports only what each function depends on', () => {
    const metrics = (fn: (h: (w: ZeroDivisionWarning) => void) => unknown) => {
      const seen: string[] = [];
      fn((w) => seen.push(w.metric));
      return seen;
    };
    // Class 2 is never predicted, class 3 never true.
    const t = [0, 1, 2];
    const p = [0, 1, 3];
    expect(metrics((h) => precisionScore(t, p, { average: 'macro', onZeroDivision: h }))).toEqual([
      'precision',
    ]);
    expect(metrics((h) => recallScore(t, p, { average: 'macro', onZeroDivision: h }))).toEqual(['recall']);
    expect(metrics((h) => f1Score(t, p, { average: 'macro', onZeroDivision: h }))).toEqual([
      'precision',
      'recall',
    ]);
    expect(metrics((h) => precisionRecallFscoreSupport(t, p, { onZeroDivision: h }))).toEqual([
      'precision',
      'recall',
    ]);
    expect(metrics((h) => f1Score([0, 1], [0, 1], { average: 'macro', onZeroDivision: h }))).toEqual([]);
  });

  it('gives F = zeroDivision only when a class has neither true nor predicted samples', () => {
    // posLabel 1 is absent: no true and no predicted samples.
    expect(f1Score([0, 0], [0, 0], { zeroDivision: 1 })).toBe(1);
    expect(f1Score([0, 0], [0, 0])).toBe(0);
    // Never predicted but present: precision 1 by zeroDivision, recall 0, so F = 0.
    expect(f1Score([0, 1], [0, 0], { zeroDivision: 1 })).toBe(0);
  });

  it('names all pooled classes for average micro', () => {
    const seen: ZeroDivisionWarning[] = [];
    precisionScore([0, 1], [2, 2], { average: 'micro', labels: [0, 1], onZeroDivision: (w) => seen.push(w) });
    expect(seen[0]?.labels).toEqual([0, 1]);
    expect(seen[0]?.message).toMatch(/due to no predicted samples$/);
  });

  it("returns scikit-learn's fixed values for average weighted with no true samples", () => {
    expect(precisionRecallFscoreSupport([0, 1], [0, 1], { average: 'weighted', labels: [5] })).toMatchObject({
      precision: 0,
      recall: 0,
      fbetaScore: 0,
    });
    expect(
      precisionRecallFscoreSupport([0, 1], [0, 1], { average: 'weighted', labels: [5], zeroDivision: 1 }),
    ).toMatchObject({
      precision: 1,
      recall: 1,
      fbetaScore: 1,
    });
    expect(
      precisionRecallFscoreSupport([0, 1], [5, 1], { average: 'weighted', labels: [5], zeroDivision: 1 }),
    ).toMatchObject({
      precision: 0,
      recall: 1,
      fbetaScore: 0,
    });
  });
});

describe('errors', () => {
  it("throws a ConfigError for average 'binary' with more than two labels", () => {
    expect(() => f1Score(yTrue, yPred)).toThrow(
      new ConfigError(
        'f1Score',
        "at most 2 labels for average 'binary'",
        '3 labels [0, 1, 2]',
        "Pass average 'micro', 'macro', 'weighted' or null",
      ),
    );
  });

  it('throws a ConfigError for a posLabel that is not one of two present labels', () => {
    expect(() => precisionScore([-1, 1], [1, 1], { posLabel: 0 })).toThrow(
      new ConfigError('precisionScore', 'posLabel among the labels [-1, 1]', '0'),
    );
    expect(() => precisionScore([0, 1], [1, 1], { posLabel: 0.5 })).toThrow(
      new ConfigError('precisionScore', 'posLabel to be an integer label', '0.5'),
    );
  });

  it("throws a ConfigError for a posLabel other than 1 without average 'binary'", () => {
    expect(() => recallScore(yTrue, yPred, { average: 'macro', posLabel: 2 })).toThrow(
      new ConfigError(
        'recallScore',
        "posLabel only with average 'binary'",
        "posLabel 2 with average 'macro'",
        'Pass labels: [2] to score one class',
      ),
    );
  });

  it('throws a ConfigError for a bad average, zeroDivision, beta, labels or handler', () => {
    expect(() => f1Score(yTrue, yPred, { average: 'samples' as 'macro' })).toThrow(
      new ConfigError('f1Score', "average 'binary', 'micro', 'macro', 'weighted' or null", "'samples'"),
    );
    expect(() => f1Score(yTrue, yPred, { average: 'macro', zeroDivision: 'warn' as unknown as 0 })).toThrow(
      new ConfigError('f1Score', 'zeroDivision 0 or 1', 'warn'),
    );
    expect(() => fbetaScore(yTrue, yPred, { beta: -1, average: 'macro' })).toThrow(
      new ConfigError('fbetaScore', 'beta ≥ 0', '-1'),
    );
    expect(() => fbetaScore(yTrue, yPred, { beta: Number.NaN, average: 'macro' })).toThrow(ConfigError);
    expect(() => f1Score(yTrue, yPred, { average: 'macro', labels: [0, 0] })).toThrow(ConfigError);
    expect(() =>
      f1Score(yTrue, yPred, { average: 'macro', onZeroDivision: 'log' as unknown as () => void }),
    ).toThrow(new ConfigError('f1Score', 'onZeroDivision to be a function', 'string'));
  });

  it('throws a ConfigError for fbetaScore without beta, and for beta on the other scores', () => {
    expect(() => fbetaScore(yTrue, yPred, undefined as unknown as { beta: number })).toThrow(
      new ConfigError('fbetaScore', 'options with beta', 'no options'),
    );
    expect(() => fbetaScore(yTrue, yPred, { average: 'macro' } as unknown as { beta: number })).toThrow(
      ConfigError,
    );
    expect(() => f1Score(yTrue, yPred, { average: 'macro', beta: 2 } as object)).toThrow(ConfigError);
  });

  it('throws a ShapeError for unequal lengths or empty input and a DTypeError for float labels', () => {
    expect(() => precisionRecallFscoreSupport([0, 1], [0])).toThrow(ShapeError);
    expect(() => recallScore([], [])).toThrow(ShapeError);
    expect(() => f1Score([0, 1.5], [0, 1])).toThrow(DTypeError);
  });
});
