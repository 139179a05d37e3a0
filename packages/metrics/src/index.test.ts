import { describe, expect, it } from 'vitest';
import * as metrics from './index';

describe('public entry', () => {
  it('exports exactly the documented functions and classes', () => {
    expect(Object.keys(metrics).sort()).toEqual([
      'ClassificationAccumulator',
      'ConfusionMatrixAccumulator',
      'EarlyStopping',
      'MeanAccumulator',
      'RegressionAccumulator',
      'accuracyScore',
      'averagePrecisionScore',
      'classificationReport',
      'confusionMatrix',
      'f1Score',
      'fbetaScore',
      'meanAbsoluteError',
      'meanSquaredError',
      'perplexity',
      'precisionRecallFscoreSupport',
      'precisionScore',
      'r2Score',
      'recallScore',
      'rocAucScore',
      'topKAccuracyScore',
    ]);
  });
});
