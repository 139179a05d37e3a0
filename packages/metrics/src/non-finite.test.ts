// A NaN or an infinity in a metric's input is an error, never a sample quietly left out, counted as
// wrong, or a NaN score: a model that diverged must not get a plausible-looking accuracy of 0.
import { ConfigError, tensor } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  averagePrecisionScore,
  ClassificationAccumulator,
  ConfusionMatrixAccumulator,
  classificationReport,
  confusionMatrix,
  f1Score,
  fbetaScore,
  MeanAccumulator,
  meanAbsoluteError,
  meanSquaredError,
  perplexity,
  precisionRecallFscoreSupport,
  precisionScore,
  RegressionAccumulator,
  r2Score,
  recallScore,
  rocAucScore,
  topKAccuracyScore,
} from './index';

const yTrue = [0, 1, 2, 1];
const labelMetrics: [string, (t: ArrayLike<number>, p: ArrayLike<number>) => unknown][] = [
  ['accuracyScore', (t, p) => accuracyScore(t, p)],
  ['confusionMatrix', (t, p) => confusionMatrix(t, p, { labels: [0, 1, 2] })],
  ['f1Score', (t, p) => f1Score(t, p, { average: 'macro' })],
  ['fbetaScore', (t, p) => fbetaScore(t, p, { beta: 2, average: 'micro' })],
  ['precisionScore', (t, p) => precisionScore(t, p, { average: 'weighted' })],
  ['recallScore', (t, p) => recallScore(t, p, { average: 'macro' })],
  ['precisionRecallFscoreSupport', (t, p) => precisionRecallFscoreSupport(t, p)],
  ['classificationReport', (t, p) => classificationReport(t, p)],
  ['ConfusionMatrixAccumulator.update', (t, p) => new ConfusionMatrixAccumulator().update(t, p)],
  ['ClassificationAccumulator.update', (t, p) => new ClassificationAccumulator().update(t, p)],
];

describe.each(labelMetrics)('%s', (op, metric) => {
  it.each([Number.NaN, Infinity, -Infinity])(
    'throws a ConfigError naming a %s prediction and its index',
    (bad) => {
      const call = () => metric(yTrue, [0, 1, bad, 1]);
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(`${op}: expected finite values in yPred, got ${bad} at index 2`);
    },
  );

  it('throws for a NaN true label, and for a NaN in a tensor input', () => {
    expect(() => metric([0, Number.NaN, 2, 1], [0, 1, 2, 1])).toThrow(
      'finite values in yTrue, got NaN at index 1',
    );
    const pred = tensor(new Float32Array([0, 1, Number.NaN, 1]));
    expect(() => metric(yTrue, pred as unknown as ArrayLike<number>)).toThrow(
      'finite values in yPred, got NaN at index 2',
    );
  });
});

describe('scores and values', () => {
  it.each([
    ['rocAucScore', () => rocAucScore([0, 1, 1], [0.2, Number.NaN, 0.9]), 'yScore, got NaN at index 1'],
    [
      'averagePrecisionScore',
      () => averagePrecisionScore([0, 1, 1], [0.2, 0.4, Infinity]),
      'yScore, got Infinity at index 2',
    ],
    [
      'topKAccuracyScore',
      () =>
        topKAccuracyScore(
          [0, 1],
          [
            [0.1, 0.9, 0],
            [Number.NaN, 0.5, 0.5],
          ],
        ),
      'yScore, got NaN at index 3',
    ],
    ['meanSquaredError', () => meanSquaredError([1, 2], [1, Number.NaN]), 'yPred, got NaN at index 1'],
    ['meanAbsoluteError', () => meanAbsoluteError([1, -Infinity], [1, 2]), 'yTrue, got -Infinity at index 1'],
    ['r2Score', () => r2Score([1, 2, 3], [1, Number.NaN, 3]), 'yPred, got NaN at index 1'],
    ['perplexity', () => perplexity([0.5, Number.NaN]), 'nll, got NaN at index 1'],
    [
      'RegressionAccumulator.update',
      () => new RegressionAccumulator().update([1], [Number.NaN]),
      'yPred, got NaN at index 0',
    ],
  ])('%s throws a ConfigError naming the non-finite value', (op, call, where) => {
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(`${op}: expected finite values in ${where}`);
  });

  it('perplexity and MeanAccumulator reject a non-finite mean loss', () => {
    expect(() => perplexity(Number.NaN)).toThrow(ConfigError);
    expect(() => new MeanAccumulator().update(Infinity)).toThrow(ConfigError);
  });
});
