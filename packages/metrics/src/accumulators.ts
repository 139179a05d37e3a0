import { ConfigError, ShapeError } from '@seqlab/tensor';
import { type AccuracyOptions, accuracyFromCounts } from './accuracy';
import { type ConfusionMatrixOptions, confusionMatrixFromCounts, LabelPairCounts } from './confusion-matrix';
import { checkBoolean, checkOptions, checkSameLength, toLabels, toVector, type VectorInput } from './inputs';
import { perplexityFromMean } from './perplexity';
import {
  type Average,
  type AveragedScores,
  type FbetaOptions,
  type PerClassScores,
  type PrecisionRecallFscoreSupportOptions,
  prfsFromCounts,
  type ScoreOptions,
} from './precision-recall-f1';
import { type MeanSquaredErrorOptions, type R2Options, r2FromSums } from './regression';
import {
  type ClassificationReportDict,
  type ClassificationReportOptions,
  classificationReportFromCounts,
} from './report';
import { checkHandler } from './zero-division';

/**
 * Counts (true label, predicted label) pairs batch by batch and gives the confusion matrix of
 * everything seen, equal to {@link confusionMatrix} on all the data at once. Labels need not be
 * known in advance. Empty batches are allowed; computing before any sample throws a ShapeError.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrixAccumulator();
 * cm.update([0, 1], [0, 0]);
 * cm.update([2], [2]);
 * cm.confusionMatrix(); // [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
 * ```
 */
export class ConfusionMatrixAccumulator {
  /** @internal The label pairs seen so far (a private type: subclasses in this package read it). */
  protected counts = new LabelPairCounts();
  /** The class name used in error messages (a literal, so minified builds keep it). */
  protected readonly name: string = 'ConfusionMatrixAccumulator';

  /** Number of samples seen. */
  get count(): number {
    return this.counts.total;
  }

  /** The sorted labels seen so far in yTrue or yPred. */
  get labels(): number[] {
    return this.counts.labels();
  }

  /** Adds one batch. Throws like {@link confusionMatrix} for unequal lengths or non-integer labels. */
  update(yTrue: VectorInput, yPred: VectorInput): void {
    const op = `${this.name}.update`;
    const t = toLabels(op, 'yTrue', yTrue, true);
    const p = toLabels(op, 'yPred', yPred, true);
    checkSameLength(op, 'yTrue and yPred', t.length, p.length);
    this.counts.add(t, p);
  }

  /** Forgets every sample. */
  reset(): void {
    this.counts = new LabelPairCounts();
  }

  /** {@link confusionMatrix} of every sample seen. */
  confusionMatrix(options?: ConfusionMatrixOptions): number[][] {
    const op = `${this.name}.confusionMatrix`;
    if (this.counts.total === 0) throw new ShapeError(op, 'at least one sample', '0 samples');
    return confusionMatrixFromCounts(op, this.counts, options);
  }
}

/**
 * A {@link ConfusionMatrixAccumulator} that also computes accuracy, precision, recall, F-scores and
 * the classification report of everything seen. Each method takes the options of the function of
 * the same name and returns exactly what that function returns on all the data at once.
 *
 * @example
 * ```ts
 * const acc = new ClassificationAccumulator();
 * for (const { yTrue, yPred } of [{ yTrue: [0, 1, 2], yPred: [0, 2, 1] }, { yTrue: [0, 1, 2], yPred: [0, 0, 1] }]) {
 *   acc.update(yTrue, yPred);
 * }
 * acc.accuracyScore(); // 0.3333333333333333
 * acc.f1Score({ average: 'macro' }); // 0.26666666666666666
 * ```
 */
export class ClassificationAccumulator extends ConfusionMatrixAccumulator {
  protected override readonly name: string = 'ClassificationAccumulator';

  /** {@link accuracyScore} of every sample seen. */
  accuracyScore(options?: AccuracyOptions): number {
    return accuracyFromCounts('ClassificationAccumulator.accuracyScore', this.counts, options);
  }

  /** {@link precisionRecallFscoreSupport} of every sample seen (default `average: null`). */
  precisionRecallFscoreSupport(
    options: PrecisionRecallFscoreSupportOptions & { average: Average },
  ): AveragedScores;
  precisionRecallFscoreSupport(
    options?: PrecisionRecallFscoreSupportOptions & { average?: null },
  ): PerClassScores;
  precisionRecallFscoreSupport(
    options?: PrecisionRecallFscoreSupportOptions,
  ): PerClassScores | AveragedScores;
  precisionRecallFscoreSupport(
    options?: PrecisionRecallFscoreSupportOptions,
  ): PerClassScores | AveragedScores {
    return prfsFromCounts(
      'ClassificationAccumulator.precisionRecallFscoreSupport',
      this.counts,
      options,
      null,
      ['precision', 'recall'],
    );
  }

  private score(
    name: string,
    options: (ScoreOptions & { beta?: number }) | undefined,
    warnFor: readonly ('precision' | 'recall')[],
  ) {
    const op = `ClassificationAccumulator.${name}`;
    checkOptions(op, options, [
      'average',
      'zeroDivision',
      'labels',
      'posLabel',
      'onZeroDivision',
      ...(name === 'fbetaScore' ? ['beta'] : []),
    ]);
    return prfsFromCounts(op, this.counts, options, 'binary', warnFor);
  }

  /** {@link precisionScore} of every sample seen (default `average: 'binary'`). */
  precisionScore(options: ScoreOptions & { average: null }): number[];
  precisionScore(options?: ScoreOptions & { average?: Average }): number;
  precisionScore(options?: ScoreOptions): number | number[];
  precisionScore(options?: ScoreOptions): number | number[] {
    return this.score('precisionScore', options, ['precision']).precision;
  }

  /** {@link recallScore} of every sample seen (default `average: 'binary'`). */
  recallScore(options: ScoreOptions & { average: null }): number[];
  recallScore(options?: ScoreOptions & { average?: Average }): number;
  recallScore(options?: ScoreOptions): number | number[];
  recallScore(options?: ScoreOptions): number | number[] {
    return this.score('recallScore', options, ['recall']).recall;
  }

  /** {@link f1Score} of every sample seen (default `average: 'binary'`). */
  f1Score(options: ScoreOptions & { average: null }): number[];
  f1Score(options?: ScoreOptions & { average?: Average }): number;
  f1Score(options?: ScoreOptions): number | number[];
  f1Score(options?: ScoreOptions): number | number[] {
    return this.score('f1Score', options, ['precision', 'recall']).fbetaScore;
  }

  /** {@link fbetaScore} of every sample seen (default `average: 'binary'`). */
  fbetaScore(options: FbetaOptions & { average: null }): number[];
  fbetaScore(options: FbetaOptions & { average?: Average }): number;
  fbetaScore(options: FbetaOptions): number | number[];
  fbetaScore(options: FbetaOptions): number | number[] {
    if (typeof options !== 'object' || options === null || options.beta === undefined) {
      throw new ConfigError(
        'ClassificationAccumulator.fbetaScore',
        'options with beta',
        options === undefined ? 'no options' : 'no beta',
      );
    }
    return this.score('fbetaScore', options, ['precision', 'recall']).fbetaScore;
  }

  /** {@link classificationReport} of every sample seen. */
  classificationReport(options: ClassificationReportOptions & { outputDict: true }): ClassificationReportDict;
  classificationReport(options?: ClassificationReportOptions & { outputDict?: false }): string;
  classificationReport(options?: ClassificationReportOptions): string | ClassificationReportDict;
  classificationReport(options?: ClassificationReportOptions): string | ClassificationReportDict {
    const op = 'ClassificationAccumulator.classificationReport';
    if (this.counts.total === 0) throw new ShapeError(op, 'at least one sample', '0 samples');
    return classificationReportFromCounts(op, this.counts, options);
  }
}

/**
 * A running weighted mean, for losses that arrive batch by batch, and the perplexity exp(mean)
 * of a mean negative log-likelihood. Pass a batch's mean loss with its number of tokens as the
 * weight, or the per-token losses themselves; both give the mean over all tokens.
 *
 * @example
 * ```ts
 * const loss = new MeanAccumulator();
 * loss.update(2.0, 30); // batch mean NLL 2.0 over 30 tokens
 * loss.update([1.0, 1.5]); // two more tokens
 * loss.mean(); // (2.0 * 30 + 1.0 + 1.5) / 32 = 1.953125
 * loss.perplexity(); // Math.exp(1.953125)
 * ```
 */
export class MeanAccumulator {
  private total = 0;
  private weight = 0;
  private compensation = 0;

  /** The total weight seen (the number of values when every weight is 1). */
  get count(): number {
    return this.weight;
  }

  /**
   * Adds one value, or each value of an array, with `weight` (default 1, finite and ≥ 0).
   * Throws a ConfigError for non-finite values or a bad weight.
   */
  update(value: number | VectorInput, weight = 1): void {
    const op = 'MeanAccumulator.update';
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ConfigError(op, 'a finite weight ≥ 0', String(weight));
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ConfigError(op, 'a finite value', String(value));
      this.add(value * weight, weight);
      return;
    }
    const values = toVector(op, 'value', value, true);
    for (let i = 0; i < values.length; i++) this.add((values[i] as number) * weight, weight);
  }

  // Neumaier-compensated sum, so the result does not depend on how the data was split.
  private add(x: number, weight: number): void {
    const t = this.total + x;
    this.compensation += Math.abs(this.total) >= Math.abs(x) ? this.total - t + x : x - t + this.total;
    this.total = t;
    this.weight += weight;
  }

  /** The weighted mean. Throws a ShapeError if the total weight is 0. */
  mean(): number {
    if (this.weight === 0)
      throw new ShapeError('MeanAccumulator.mean', 'a total weight > 0', '0', 'Call update first');
    return (this.total + this.compensation) / this.weight;
  }

  /** exp(mean): the perplexity when the values are negative log-likelihoods in nats. */
  perplexity(): number {
    if (this.weight === 0)
      throw new ShapeError('MeanAccumulator.perplexity', 'a total weight > 0', '0', 'Call update first');
    return perplexityFromMean('MeanAccumulator.perplexity', this.mean());
  }

  /** Forgets every value. */
  reset(): void {
    this.total = 0;
    this.weight = 0;
    this.compensation = 0;
  }
}

/**
 * Streaming mean squared error, mean absolute error and R², equal to {@link meanSquaredError},
 * {@link meanAbsoluteError} and {@link r2Score} on all the data at once. R² needs the spread of
 * yTrue around its overall mean, which is not known until the end; the accumulator keeps each
 * batch's mean and sum of squared deviations and merges them with Chan et al.'s update
 * (M₂ = M₂ᵃ + M₂ᵇ + δ²·nᵃnᵇ/n), which avoids the cancellation of Σy² − n·ȳ².
 *
 * @example
 * ```ts
 * const reg = new RegressionAccumulator();
 * reg.update([3, -0.5], [2.5, 0.0]);
 * reg.update([2, 7], [2, 8]);
 * reg.meanSquaredError(); // 0.375
 * reg.r2Score(); // 0.9486081370449679
 * ```
 */
export class RegressionAccumulator {
  private n = 0;
  private sumSquaredError = 0;
  private sumAbsoluteError = 0;
  private mean = 0;
  private m2 = 0;
  private first: number | undefined;
  private constant = true;

  /** Number of samples seen. */
  get count(): number {
    return this.n;
  }

  /** Adds one batch. Throws like {@link meanSquaredError} for unequal lengths or non-finite values. */
  update(yTrue: VectorInput, yPred: VectorInput): void {
    const op = 'RegressionAccumulator.update';
    const t = toVector(op, 'yTrue', yTrue, true);
    const p = toVector(op, 'yPred', yPred, true);
    checkSameLength(op, 'yTrue and yPred', t.length, p.length);
    if (t.length === 0) return;
    let batchMean = 0;
    for (let i = 0; i < t.length; i++) batchMean += t[i] as number;
    batchMean /= t.length;
    let batchM2 = 0;
    for (let i = 0; i < t.length; i++) {
      const y = t[i] as number;
      const e = y - (p[i] as number);
      this.sumSquaredError += e * e;
      this.sumAbsoluteError += Math.abs(e);
      batchM2 += (y - batchMean) ** 2;
      this.first ??= y;
      if (y !== this.first) this.constant = false;
    }
    const n = this.n + t.length;
    const delta = batchMean - this.mean;
    this.m2 += batchM2 + (delta * delta * this.n * t.length) / n;
    this.mean += (delta * t.length) / n;
    this.n = n;
  }

  private check(op: string, min: number): void {
    if (this.n < min) throw new ShapeError(op, `at least ${min} sample${min > 1 ? 's' : ''}`, `${this.n}`);
  }

  /** MSE of every sample seen; `{ squared: false }` gives the RMSE. */
  meanSquaredError(options?: MeanSquaredErrorOptions): number {
    const op = 'RegressionAccumulator.meanSquaredError';
    const { squared = true } = checkOptions(op, options, ['squared']);
    checkBoolean(op, 'squared', squared);
    this.check(op, 1);
    const mse = this.sumSquaredError / this.n;
    return squared ? mse : Math.sqrt(mse);
  }

  /** MAE of every sample seen. */
  meanAbsoluteError(): number {
    this.check('RegressionAccumulator.meanAbsoluteError', 1);
    return this.sumAbsoluteError / this.n;
  }

  /** R² of every sample seen (at least 2), with {@link r2Score}'s rule for a constant yTrue. */
  r2Score(options?: R2Options): number {
    const op = 'RegressionAccumulator.r2Score';
    const { onZeroDivision } = checkOptions(op, options, ['onZeroDivision']);
    const handler = checkHandler(op, onZeroDivision);
    this.check(op, 2);
    return r2FromSums(op, this.sumSquaredError, this.m2, this.constant, handler);
  }

  /** Forgets every sample. */
  reset(): void {
    this.n = 0;
    this.sumSquaredError = 0;
    this.sumAbsoluteError = 0;
    this.mean = 0;
    this.m2 = 0;
    this.first = undefined;
    this.constant = true;
  }
}
