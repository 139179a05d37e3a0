// Golden tests against scikit-learn. The numbers come from tools/fixtures/gen_metrics.py
// (`/usr/bin/python3 tools/fixtures/gen_metrics.py`, scikit-learn 1.2), committed in
// fixtures/sklearn-metrics.json; see its header for the versions and the seed.
import { readFileSync } from 'node:fs';
import { ConfigError, ShapeError } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, it } from 'vitest';
import {
  type Average,
  accuracyScore,
  averagePrecisionScore,
  ClassificationAccumulator,
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
  type ZeroDivisionWarning,
} from './index';

interface PrfsEntry {
  average: Average | null;
  zero_division: 0 | 1;
  beta: number;
  pos_label: number;
  error?: string;
  precision?: number | number[];
  recall?: number | number[];
  fbeta_score?: number | number[];
  support?: number[] | null;
}
interface ClassificationCase {
  name: string;
  y_true: number[];
  y_pred: number[];
  labels: number[] | null;
  target_names: string[] | null;
  accuracy: number;
  accuracy_count: number;
  confusion_matrix: Record<'None' | 'true' | 'pred' | 'all', number[][]>;
  prfs: PrfsEntry[];
  ill_defined: { precision: number[]; recall: number[] };
  sklearn_warned: boolean;
  report: Record<string, string | Record<string, unknown>>;
}
interface Fixture {
  generator: string;
  sklearn: string;
  seed: number;
  classification: ClassificationCase[];
  ranking: {
    name: string;
    y_true: number[];
    y_score: number[];
    pos_label: number;
    roc_auc: number | null;
    average_precision: number;
    average_precision_warned: boolean;
  }[];
  top_k_accuracy: {
    name: string;
    y_true: number[];
    y_score: number[][];
    results: { k: number; normalize: boolean; value: number }[];
  }[];
  regression: {
    name: string;
    y_true: number[];
    y_pred: number[];
    mse: number;
    rmse: number;
    mae: number;
    r2: number | null;
  }[];
  perplexity: { name: string; nll: number[]; mean_nll: number; perplexity: number }[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn-metrics.json', import.meta.url), 'utf8'),
);

// The metrics are float64 computations of the same formulas, so 1e-9 (the bound) replaces
// expectClose's float32-oriented defaults.
const TOLERANCE = { rtol: 1e-9, atol: 1e-9 };

/** expectClose for a number or (nested) array of numbers; other values must be equal. */
function close(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number' || Array.isArray(expected)) {
    const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flat(2) : [v]);
    if (Array.isArray(expected)) expect((actual as unknown[]).length, where).toBe(expected.length);
    expect(
      flat(actual).every((v) => typeof v === 'number'),
      `${where}: numbers`,
    ).toBe(true);
    expectClose(flat(actual) as number[], flat(expected) as number[], TOLERANCE, where);
    return;
  }
  expect(actual, where).toEqual(expected);
}

function closeDict(actual: Record<string, unknown>, expected: Record<string, unknown>, where: string): void {
  expect(Object.keys(actual).sort(), where).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    if (typeof value === 'object' && value !== null) {
      closeDict(actual[key] as Record<string, unknown>, value as Record<string, unknown>, `${where}.${key}`);
    } else {
      close(actual[key], value, `${where}.${key}`);
    }
  }
}

/**
 * scikit-learn's report text for `c`. Quirk of scikit-learn 1.2: when no prediction is right,
 * `multilabel_confusion_matrix` returns float counts and the report prints supports as `7.0`; we
 * always print integers, so here `7.0` becomes `  7` (same width). No other case is touched.
 */
function sklearnReport(c: ClassificationCase, digits: 2 | 4): string {
  const text = c.report[`digits_${digits}`] as string;
  return c.accuracy_count === 0 ? text.replace(/(\d+)\.0$/gm, '  $1') : text;
}

describe('fixture', () => {
  it('was written by the generator with scikit-learn 1.2', () => {
    expect(fixture.generator).toBe('tools/fixtures/gen_metrics.py');
    expect(fixture.sklearn).toMatch(/^1\.2\./);
    expect(fixture.classification.length).toBeGreaterThanOrEqual(10);
  });

  it('has the float-support quirk only in the case with no right prediction', () => {
    const quirky = fixture.classification
      .filter((c) => /\d\.0$/m.test(c.report.digits_2 as string))
      .map((c) => c.name);
    expect(quirky).toEqual(['all wrong']);
    expect(
      sklearnReport(fixture.classification.find((c) => c.name === 'all wrong') as ClassificationCase, 2),
    ).toContain('      20\n');
  });
});

describe.each(fixture.classification)('classification: $name', (c) => {
  const labels = c.labels === null ? {} : { labels: c.labels };

  it('accuracyScore', () => {
    close(accuracyScore(c.y_true, c.y_pred), c.accuracy, 'accuracy');
    close(accuracyScore(c.y_true, c.y_pred, { normalize: false }), c.accuracy_count, 'accuracy count');
  });

  it('confusionMatrix, counts and each normalization', () => {
    close(confusionMatrix(c.y_true, c.y_pred, labels), c.confusion_matrix.None, 'counts');
    for (const normalize of ['true', 'pred', 'all'] as const) {
      close(
        confusionMatrix(c.y_true, c.y_pred, { ...labels, normalize }),
        c.confusion_matrix[normalize],
        normalize,
      );
    }
  });

  it('precisionRecallFscoreSupport and the score functions, every average, zeroDivision and beta', () => {
    for (const e of c.prfs) {
      const where = `average=${e.average} zeroDivision=${e.zero_division} beta=${e.beta} posLabel=${e.pos_label}`;
      const options = { ...labels, average: e.average, zeroDivision: e.zero_division, posLabel: e.pos_label };
      if (e.error !== undefined) {
        expect(
          () => precisionRecallFscoreSupport(c.y_true, c.y_pred, { ...options, beta: e.beta }),
          where,
        ).toThrow(ConfigError);
        expect(() => fbetaScore(c.y_true, c.y_pred, { ...options, beta: e.beta }), where).toThrow(
          ConfigError,
        );
        continue;
      }
      const r = precisionRecallFscoreSupport(c.y_true, c.y_pred, { ...options, beta: e.beta });
      close(r.precision, e.precision, `${where} precision`);
      close(r.recall, e.recall, `${where} recall`);
      close(r.fbetaScore, e.fbeta_score, `${where} fbeta`);
      expect(r.support, where).toEqual(e.support);
      close(
        fbetaScore(c.y_true, c.y_pred, { ...options, beta: e.beta }),
        e.fbeta_score,
        `${where} fbetaScore`,
      );
      if (e.beta === 1) {
        close(precisionScore(c.y_true, c.y_pred, options), e.precision, `${where} precisionScore`);
        close(recallScore(c.y_true, c.y_pred, options), e.recall, `${where} recallScore`);
        close(f1Score(c.y_true, c.y_pred, options), e.fbeta_score, `${where} f1Score`);
      }
    }
  });

  it('flags the same undefined precisions and recalls as scikit-learn warns about', () => {
    const seen: ZeroDivisionWarning[] = [];
    const r = precisionRecallFscoreSupport(c.y_true, c.y_pred, {
      ...labels,
      onZeroDivision: (w) => seen.push(w),
    });
    expect(seen).toEqual(r.warnings);
    const flagged = (metric: string) =>
      r.warnings.filter((w) => w.metric === metric).flatMap((w) => w.labels);
    expect(flagged('precision')).toEqual(c.ill_defined.precision);
    expect(flagged('recall')).toEqual(c.ill_defined.recall);
    expect(r.warnings.length > 0).toBe(c.sklearn_warned);
  });

  it('classificationReport text is identical at digits 2 and 4', () => {
    const names = c.target_names === null ? {} : { targetNames: c.target_names };
    expect(classificationReport(c.y_true, c.y_pred, { ...labels, ...names })).toBe(sklearnReport(c, 2));
    expect(classificationReport(c.y_true, c.y_pred, { ...labels, ...names, digits: 4 })).toBe(
      sklearnReport(c, 4),
    );
  });

  it('classificationReport outputDict matches for zeroDivision 0 and 1', () => {
    const names = c.target_names === null ? {} : { targetNames: c.target_names };
    for (const zeroDivision of [0, 1] as const) {
      const report = classificationReport(c.y_true, c.y_pred, {
        ...labels,
        ...names,
        outputDict: true,
        zeroDivision,
      });
      closeDict(
        report,
        c.report[`dict_zero_division_${zeroDivision}`] as Record<string, unknown>,
        `zeroDivision=${zeroDivision}`,
      );
    }
  });

  it('ClassificationAccumulator over three batches gives the same report and scores', () => {
    const acc = new ClassificationAccumulator();
    const cut = [Math.floor(c.y_true.length / 3), Math.floor((2 * c.y_true.length) / 3)];
    for (const [from, to] of [
      [0, cut[0]],
      [cut[0], cut[1]],
      [cut[1], c.y_true.length],
    ]) {
      acc.update(c.y_true.slice(from, to), c.y_pred.slice(from, to));
    }
    const names = c.target_names === null ? {} : { targetNames: c.target_names };
    expect(acc.classificationReport({ ...labels, ...names, digits: 4 })).toBe(sklearnReport(c, 4));
    close(
      acc.confusionMatrix({ ...labels, normalize: 'pred' }),
      c.confusion_matrix.pred,
      'streamed confusion matrix',
    );
    const macro = c.prfs.find((e) => e.average === 'macro' && e.zero_division === 1) as PrfsEntry;
    close(
      acc.f1Score({ ...labels, average: 'macro', zeroDivision: 1 }),
      macro.fbeta_score,
      'streamed macro F1',
    );
  });
});

describe.each(fixture.ranking)('ranking: $name', (c) => {
  it('rocAucScore', () => {
    if (c.roc_auc === null) {
      expect(() => rocAucScore(c.y_true, c.y_score)).toThrow(ConfigError);
    } else {
      close(rocAucScore(c.y_true, c.y_score), c.roc_auc, 'roc auc');
    }
  });

  it('averagePrecisionScore, flagged where scikit-learn warns', () => {
    const seen: ZeroDivisionWarning[] = [];
    const ap = averagePrecisionScore(c.y_true, c.y_score, {
      posLabel: c.pos_label,
      onZeroDivision: (w) => seen.push(w),
    });
    close(ap, c.average_precision, 'average precision');
    expect(seen.length > 0).toBe(c.average_precision_warned);
  });
});

describe.each(fixture.top_k_accuracy)('topKAccuracyScore: $name', (c) => {
  it.each(c.results)('k=$k normalize=$normalize', ({ k, normalize, value }) => {
    close(topKAccuracyScore(c.y_true, c.y_score, { k, normalize }), value, `k=${k}`);
  });
});

describe.each(fixture.regression)('regression: $name', (c) => {
  it('meanSquaredError, RMSE and meanAbsoluteError', () => {
    close(meanSquaredError(c.y_true, c.y_pred), c.mse, 'mse');
    close(meanSquaredError(c.y_true, c.y_pred, { squared: false }), c.rmse, 'rmse');
    close(meanAbsoluteError(c.y_true, c.y_pred), c.mae, 'mae');
  });

  it('r2Score, and the RegressionAccumulator in two batches', () => {
    const acc = new RegressionAccumulator();
    const half = Math.ceil(c.y_true.length / 2);
    acc.update(c.y_true.slice(0, half), c.y_pred.slice(0, half));
    acc.update(c.y_true.slice(half), c.y_pred.slice(half));
    if (c.r2 === null) {
      // scikit-learn returns NaN for fewer than two samples; we throw.
      expect(() => r2Score(c.y_true, c.y_pred)).toThrow(ShapeError);
      expect(() => acc.r2Score()).toThrow(ShapeError);
      return;
    }
    close(r2Score(c.y_true, c.y_pred), c.r2, 'r2');
    close(acc.r2Score(), c.r2, 'streamed r2');
    close(acc.meanSquaredError(), c.mse, 'streamed mse');
    close(acc.meanAbsoluteError(), c.mae, 'streamed mae');
  });
});

describe.each(fixture.perplexity)('perplexity: $name', (c) => {
  it('from the values, from their mean, and streamed', () => {
    close(perplexity(c.nll), c.perplexity, 'from values');
    close(perplexity(c.mean_nll), c.perplexity, 'from mean');
    const acc = new MeanAccumulator();
    for (const v of c.nll) acc.update(v);
    close(acc.perplexity(), c.perplexity, 'streamed');
  });
});
