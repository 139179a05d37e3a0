import { ConfigError, formatShape, ShapeError } from '@seqlab/tensor';
import { countLabelPairs, type LabelPairCounts } from './confusion-matrix';
import { checkLabelList, checkOptions, type VectorInput } from './inputs';
import {
  checkHandler,
  checkZeroDivision,
  type ZeroDivision,
  type ZeroDivisionHandler,
  type ZeroDivisionWarning,
  zeroDivisionWarning,
} from './zero-division';

/**
 * How per-class scores are combined, as scikit-learn's `average`: `'binary'` reports `posLabel`
 * only (at most two labels), `'micro'` pools the counts of all classes, `'macro'` is the
 * unweighted mean over classes and `'weighted'` the mean weighted by support. `null` returns one
 * score per class.
 *
 * @example
 * ```ts
 * f1Score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'macro' }); // 0.26666666666666666
 * ```
 */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted';

/**
 * Options shared by {@link precisionScore}, {@link recallScore}, {@link f1Score} and
 * {@link fbetaScore}.
 *
 * @example
 * ```ts
 * const options: ScoreOptions = { average: 'weighted', zeroDivision: 1, labels: [0, 1, 2] };
 * ```
 */
export interface ScoreOptions {
  /** Default `'binary'` as scikit-learn (and `null` for {@link precisionRecallFscoreSupport}). */
  average?: Average | null;
  /** The value of a class's precision with no predictions, or recall with no true samples. Default 0. */
  zeroDivision?: ZeroDivision;
  /**
   * The classes to report and average over, in this order. Classes not listed still count as
   * wrong predictions of the listed ones. Ignored for `average: 'binary'`, as in scikit-learn.
   * Default: the sorted labels present in yTrue or yPred.
   */
  labels?: readonly number[];
  /** The positive class for `average: 'binary'`. Default 1. */
  posLabel?: number;
  /** Called for each undefined precision or recall that was replaced by `zeroDivision`. */
  onZeroDivision?: ZeroDivisionHandler;
}

/**
 * Options of {@link fbetaScore}: {@link ScoreOptions} and the required `beta`.
 *
 * @example
 * ```ts
 * const options: FbetaOptions = { beta: 0.5, average: 'macro' };
 * ```
 */
export interface FbetaOptions extends ScoreOptions {
  /** Weight of recall relative to precision (≥ 0; `Infinity` gives recall). */
  beta: number;
}

/**
 * Options of {@link precisionRecallFscoreSupport}: {@link ScoreOptions} and `beta` (default 1).
 *
 * @example
 * ```ts
 * const options: PrecisionRecallFscoreSupportOptions = { beta: 2, average: null };
 * ```
 */
export interface PrecisionRecallFscoreSupportOptions extends ScoreOptions {
  /** The weight of recall in the F-score: F-beta = (1 + β²)·P·R / (β²·P + R). Default 1 (F1). */
  beta?: number;
}

/**
 * Per-class precision, recall, F-beta and support, for `average: null`. Entry `i` of every array
 * belongs to `labels[i]`.
 *
 * @example
 * ```ts
 * const { labels, precision } = precisionRecallFscoreSupport([0, 1, 1], [0, 1, 0]);
 * // labels [0, 1], precision [0.5, 1]
 * ```
 */
export interface PerClassScores {
  /** The classes, in the order of the other arrays. */
  readonly labels: number[];
  /** TP / (TP + FP) of each class. */
  readonly precision: number[];
  /** TP / (TP + FN) of each class. */
  readonly recall: number[];
  /** The F-beta score of each class. */
  readonly fbetaScore: number[];
  /** Number of true samples of each class. */
  readonly support: number[];
  /** The zero divisions that were replaced (also passed to `onZeroDivision`). */
  readonly warnings: ZeroDivisionWarning[];
}

/**
 * Averaged precision, recall and F-beta; `support` is null as in scikit-learn, and `labels` lists
 * the classes that were averaged.
 *
 * @example
 * ```ts
 * const { precision, support } = precisionRecallFscoreSupport([0, 1, 1], [0, 1, 0], { average: 'macro' });
 * // precision 0.75, support null
 * ```
 */
export interface AveragedScores {
  /** The classes that were averaged. */
  readonly labels: number[];
  /** The averaged precision. */
  readonly precision: number;
  /** The averaged recall. */
  readonly recall: number;
  /** The averaged F-beta score. */
  readonly fbetaScore: number;
  /** Always null for an average, as scikit-learn's `support` then. */
  readonly support: null;
  /** The zero divisions that were replaced (also passed to `onZeroDivision`). */
  readonly warnings: ZeroDivisionWarning[];
}

const AVERAGES: readonly (Average | null)[] = ['binary', 'micro', 'macro', 'weighted', null];
const OPTION_KEYS = ['average', 'zeroDivision', 'labels', 'posLabel', 'onZeroDivision', 'beta'];

/** Which undefined quantities a function reports: the ones its result depends on. */
export type WarnFor = readonly ('precision' | 'recall')[];

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * The labels the scores are computed for: `[posLabel]` for `average: 'binary'` (with scikit-learn's
 * checks), else `labels` or every present label.
 */
function resolveLabels(
  op: string,
  counts: LabelPairCounts,
  average: Average | null,
  o: Partial<ScoreOptions>,
): number[] {
  const present = counts.labels();
  if (o.posLabel !== undefined && !Number.isInteger(o.posLabel)) {
    throw new ConfigError(op, 'posLabel to be an integer label', String(o.posLabel));
  }
  if (average === 'binary') {
    if (present.length > 2) {
      throw new ConfigError(
        op,
        "at most 2 labels for average 'binary'",
        `${present.length} labels ${formatShape(present)}`,
        "Pass average 'micro', 'macro', 'weighted' or null",
      );
    }
    const posLabel = o.posLabel ?? 1;
    if (present.length === 2 && !present.includes(posLabel)) {
      throw new ConfigError(op, `posLabel among the labels ${formatShape(present)}`, String(posLabel));
    }
    return [posLabel];
  }
  if (o.posLabel !== undefined && o.posLabel !== 1) {
    throw new ConfigError(
      op,
      "posLabel only with average 'binary'",
      `posLabel ${o.posLabel} with average ${average === null ? 'null' : `'${average}'`}`,
      `Pass labels: [${o.posLabel}] to score one class`,
    );
  }
  return o.labels === undefined ? present : checkLabelList(op, o.labels);
}

/**
 * {@link precisionRecallFscoreSupport} on counted pairs, following scikit-learn 1.2's
 * `precision_recall_fscore_support`; every function of this file and the accumulators call it.
 */
export function prfsFromCounts(
  op: string,
  counts: LabelPairCounts,
  options: (ScoreOptions & { beta?: number }) | undefined,
  defaultAverage: Average | null,
  warnFor: WarnFor,
): PerClassScores | AveragedScores {
  const o = checkOptions(op, options, OPTION_KEYS);
  const average = o.average === undefined ? defaultAverage : o.average;
  if (!AVERAGES.includes(average)) {
    throw new ConfigError(
      op,
      "average 'binary', 'micro', 'macro', 'weighted' or null",
      `'${String(average)}'`,
    );
  }
  const zeroDivision = checkZeroDivision(op, o.zeroDivision);
  const onZeroDivision = checkHandler(op, o.onZeroDivision);
  const beta = o.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new ConfigError(op, 'beta ≥ 0', String(beta));
  if (counts.total === 0) throw new ShapeError(op, 'at least one sample', '0 samples');
  const labels = resolveLabels(op, counts, average, o);

  let tp = labels.map((label) => counts.count(label, label));
  let pred = labels.map((label) => counts.predCount(label));
  let support = labels.map((label) => counts.trueCount(label));
  if (average === 'micro') {
    tp = [tp.reduce((a, b) => a + b, 0)];
    pred = [pred.reduce((a, b) => a + b, 0)];
    support = [support.reduce((a, b) => a + b, 0)];
  }

  // A zero denominator gives `zeroDivision` and a warning naming the classes.
  const warnings: ZeroDivisionWarning[] = [];
  const divide = (metric: 'precision' | 'recall', denominators: number[], reason: string) => {
    const undefinedLabels = labels.filter((_, i) => denominators[average === 'micro' ? 0 : i] === 0);
    if (undefinedLabels.length > 0 && warnFor.includes(metric)) {
      const how = average === 'micro' ? `due to ${reason}` : `with ${reason}`;
      warnings.push(zeroDivisionWarning(op, metric, undefinedLabels, zeroDivision, how));
    }
    return tp.map((n, i) => (denominators[i] === 0 ? zeroDivision : n / (denominators[i] as number)));
  };
  const precision = divide('precision', pred, 'no predicted samples');
  const recall = divide('recall', support, 'no true samples');
  for (const warning of warnings) onZeroDivision?.(warning);

  // As scikit-learn 1.2: F is computed from the (possibly replaced) precision and recall, and is
  // 0 where both are 0.
  const beta2 = beta * beta;
  const fbeta = precision.map((p, i) => {
    const r = recall[i] as number;
    if (beta === Number.POSITIVE_INFINITY) return r;
    const denom = beta2 * p + r;
    return ((1 + beta2) * p * r) / (denom === 0 ? 1 : denom);
  });

  if (average === null) return { labels, precision, recall, fbetaScore: fbeta, support, warnings };
  if (average === 'weighted') {
    const total = support.reduce((a, b) => a + b, 0);
    if (total === 0) {
      // No true samples of any listed class: scikit-learn returns these fixed values.
      const predicted = pred.reduce((a, b) => a + b, 0) > 0;
      const f = predicted ? 0 : zeroDivision;
      return {
        labels,
        precision: predicted ? 0 : zeroDivision,
        recall: zeroDivision,
        fbetaScore: f,
        support: null,
        warnings,
      };
    }
    const weighted = (values: number[]) =>
      values.reduce((acc, v, i) => acc + v * (support[i] as number), 0) / total;
    return {
      labels,
      precision: weighted(precision),
      recall: weighted(recall),
      fbetaScore: weighted(fbeta),
      support: null,
      warnings,
    };
  }
  return {
    labels,
    precision: mean(precision),
    recall: mean(recall),
    fbetaScore: mean(fbeta),
    support: null,
    warnings,
  };
}

/**
 * Precision, recall, F-beta and support for each class, or averaged, as scikit-learn's
 * `precision_recall_fscore_support`. The default `average` is null (per class). Undefined values
 * (no predictions, no true samples) become `zeroDivision` and are listed in `warnings`.
 *
 * Throws a ShapeError for empty or unequal-length inputs, a DTypeError for non-integer labels and
 * a ConfigError for bad options, `average: 'binary'` with more than two labels, or a `posLabel`
 * that is not one of two present labels.
 *
 * @example
 * ```ts
 * const r = precisionRecallFscoreSupport([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
 * r.precision; // [0.6666666666666666, 0, 0]
 * r.recall; // [1, 0, 0]
 * r.support; // [2, 2, 2]
 * ```
 */
export function precisionRecallFscoreSupport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: PrecisionRecallFscoreSupportOptions & { average: Average },
): AveragedScores;
export function precisionRecallFscoreSupport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: PrecisionRecallFscoreSupportOptions & { average?: null },
): PerClassScores;
export function precisionRecallFscoreSupport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: PrecisionRecallFscoreSupportOptions,
): PerClassScores | AveragedScores;
export function precisionRecallFscoreSupport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: PrecisionRecallFscoreSupportOptions,
): PerClassScores | AveragedScores {
  const op = 'precisionRecallFscoreSupport';
  checkOptions(op, options, OPTION_KEYS);
  return prfsFromCounts(op, countLabelPairs(op, yTrue, yPred), options, null, ['precision', 'recall']);
}

function score(
  op: string,
  yTrue: VectorInput,
  yPred: VectorInput,
  options: (ScoreOptions & { beta?: number }) | undefined,
  allowed: readonly string[],
  warnFor: WarnFor,
): PerClassScores | AveragedScores {
  checkOptions(op, options, allowed);
  return prfsFromCounts(op, countLabelPairs(op, yTrue, yPred), options, 'binary', warnFor);
}

const SCORE_KEYS = OPTION_KEYS.filter((key) => key !== 'beta');

/**
 * Precision tp / (tp + fp): the fraction of predictions of a class that were right, as
 * scikit-learn's `precision_score`. Reports `precision` zero divisions (classes never predicted).
 * Errors as {@link precisionRecallFscoreSupport}.
 *
 * @example
 * ```ts
 * precisionScore([0, 1, 1, 0], [0, 1, 0, 0]); // 1 (binary, posLabel 1)
 * precisionScore([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'macro' }); // 0.2222222222222222
 * precisionScore([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: null }); // [0.666…, 0, 0]
 * ```
 */
export function precisionScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: ScoreOptions & { average: null },
): number[];
export function precisionScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions & { average?: Average },
): number;
export function precisionScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | number[];
export function precisionScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | number[] {
  return score('precisionScore', yTrue, yPred, options, SCORE_KEYS, ['precision']).precision;
}

/**
 * Recall tp / (tp + fn): the fraction of a class's samples that were found, as scikit-learn's
 * `recall_score`. Reports `recall` zero divisions (classes absent from yTrue). Errors as
 * {@link precisionRecallFscoreSupport}.
 *
 * @example
 * ```ts
 * recallScore([0, 1, 1, 0], [0, 1, 0, 0]); // 0.5
 * recallScore([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'micro' }); // 0.3333333333333333
 * ```
 */
export function recallScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: ScoreOptions & { average: null },
): number[];
export function recallScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions & { average?: Average },
): number;
export function recallScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | number[];
export function recallScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | number[] {
  return score('recallScore', yTrue, yPred, options, SCORE_KEYS, ['recall']).recall;
}

/**
 * The F-beta score (1 + β²)·P·R / (β²·P + R), as scikit-learn's `fbeta_score`; β < 1 favours
 * precision. Reports the precision and recall zero divisions it was computed from. Errors as
 * {@link precisionRecallFscoreSupport}, and a ConfigError for a missing or negative `beta`.
 *
 * @example
 * ```ts
 * fbetaScore([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { beta: 0.5, average: 'macro' }); // 0.23809523809523805
 * ```
 */
export function fbetaScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: FbetaOptions & { average: null },
): number[];
export function fbetaScore(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: FbetaOptions & { average?: Average },
): number;
export function fbetaScore(yTrue: VectorInput, yPred: VectorInput, options: FbetaOptions): number | number[];
export function fbetaScore(yTrue: VectorInput, yPred: VectorInput, options: FbetaOptions): number | number[] {
  const op = 'fbetaScore';
  if (typeof options !== 'object' || options === null || options.beta === undefined) {
    throw new ConfigError(op, 'options with beta', options === undefined ? 'no options' : 'no beta');
  }
  return score(op, yTrue, yPred, options, OPTION_KEYS, ['precision', 'recall']).fbetaScore;
}

/**
 * The F1 score 2·P·R / (P + R), the harmonic mean of precision and recall, as scikit-learn's
 * `f1_score`. Reports the precision and recall zero divisions it was computed from. Errors as
 * {@link precisionRecallFscoreSupport}.
 *
 * @example
 * ```ts
 * f1Score([0, 1, 1, 0], [0, 1, 0, 0]); // 0.6666666666666666
 * f1Score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], { average: 'weighted' }); // 0.26666666666666666
 * ```
 */
export function f1Score(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: ScoreOptions & { average: null },
): number[];
export function f1Score(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions & { average?: Average },
): number;
export function f1Score(yTrue: VectorInput, yPred: VectorInput, options?: ScoreOptions): number | number[];
export function f1Score(yTrue: VectorInput, yPred: VectorInput, options?: ScoreOptions): number | number[] {
  return score('f1Score', yTrue, yPred, options, SCORE_KEYS, ['precision', 'recall']).fbetaScore;
}
