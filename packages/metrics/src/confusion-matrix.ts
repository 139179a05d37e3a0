import { ConfigError, formatShape } from '@seqlab/tensor';
import { checkLabelList, checkOptions, checkSameLength, toLabels, type VectorInput } from './inputs';

/**
 * Options of {@link confusionMatrix}.
 *
 * @example
 * ```ts
 * const options: ConfusionMatrixOptions = { labels: [2, 0, 1], normalize: 'true' };
 * ```
 */
export interface ConfusionMatrixOptions {
  /** Rows and columns in this order; samples whose true or predicted label is not listed are dropped. Default: the sorted labels present in yTrue or yPred. */
  labels?: readonly number[];
  /** Divide by row sums (`'true'`), column sums (`'pred'`) or the total (`'all'`). 0/0 becomes 0. Default: counts. */
  normalize?: 'true' | 'pred' | 'all';
}

/**
 * How often each (true label, predicted label) pair occurred: a sparse confusion matrix over every
 * label seen so far. All classification metrics are computed from it, which is what lets the
 * streaming accumulators agree exactly with the one-shot functions.
 */
export class LabelPairCounts {
  /** Number of samples counted. */
  total = 0;
  /** Number of samples whose prediction was right. */
  correct = 0;
  private readonly pairs = new Map<number, Map<number, number>>();
  private readonly trueSums = new Map<number, number>();
  private readonly predSums = new Map<number, number>();

  /** Counts one batch of already-validated labels of equal length. */
  add(yTrue: Float64Array, yPred: Float64Array): void {
    for (let i = 0; i < yTrue.length; i++) {
      const t = yTrue[i] as number;
      const p = yPred[i] as number;
      let row = this.pairs.get(t);
      if (row === undefined) {
        row = new Map();
        this.pairs.set(t, row);
      }
      row.set(p, (row.get(p) ?? 0) + 1);
      this.trueSums.set(t, (this.trueSums.get(t) ?? 0) + 1);
      this.predSums.set(p, (this.predSums.get(p) ?? 0) + 1);
      if (t === p) this.correct++;
    }
    this.total += yTrue.length;
  }

  /** The labels present in yTrue or yPred, sorted ascending (scikit-learn's `unique_labels`). */
  labels(): number[] {
    const all = new Set([...this.trueSums.keys(), ...this.predSums.keys()]);
    return [...all].sort((a, b) => a - b);
  }

  /** How many samples had true label `t` and predicted label `p`. */
  count(t: number, p: number): number {
    return this.pairs.get(t)?.get(p) ?? 0;
  }

  /** How many samples had true label `label` (its support). */
  trueCount(label: number): number {
    return this.trueSums.get(label) ?? 0;
  }

  /** How many samples were predicted as `label`. */
  predCount(label: number): number {
    return this.predSums.get(label) ?? 0;
  }
}

/** Converts and checks a (yTrue, yPred) pair and counts it. */
export function countLabelPairs(op: string, yTrue: VectorInput, yPred: VectorInput): LabelPairCounts {
  const t = toLabels(op, 'yTrue', yTrue);
  const p = toLabels(op, 'yPred', yPred);
  checkSameLength(op, 'yTrue and yPred', t.length, p.length);
  const counts = new LabelPairCounts();
  counts.add(t, p);
  return counts;
}

const NORMALIZE = ['true', 'pred', 'all'];

/** {@link confusionMatrix} on counted pairs; the accumulators call this too. */
export function confusionMatrixFromCounts(
  op: string,
  counts: LabelPairCounts,
  options?: ConfusionMatrixOptions,
): number[][] {
  const { labels: given, normalize } = checkOptions(op, options, ['labels', 'normalize']);
  if (normalize !== undefined && !NORMALIZE.includes(normalize)) {
    throw new ConfigError(op, "normalize 'true', 'pred' or 'all'", `'${String(normalize)}'`);
  }
  let labels: number[];
  if (given === undefined) {
    labels = counts.labels();
  } else {
    labels = checkLabelList(op, given);
    if (!labels.some((label) => counts.trueCount(label) > 0)) {
      throw new ConfigError(op, 'at least one of labels to occur in yTrue', `labels ${formatShape(labels)}`);
    }
  }
  const n = labels.length;
  const cm = labels.map((t) => labels.map((p) => counts.count(t, p)));
  // 0/0 (an empty row or column) becomes 0, as scikit-learn's nan_to_num does.
  const divide = (value: number, by: number) => (by === 0 ? 0 : value / by);
  if (normalize === 'true') {
    return cm.map((row) => {
      const sum = row.reduce((a, b) => a + b, 0);
      return row.map((v) => divide(v, sum));
    });
  }
  if (normalize === 'pred') {
    const sums = labels.map((_, j) => cm.reduce((acc, row) => acc + (row[j] as number), 0));
    return cm.map((row) => row.map((v, j) => divide(v, sums[j] as number)));
  }
  if (normalize === 'all') {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += cm[i]?.[j] as number;
    return cm.map((row) => row.map((v) => divide(v, sum)));
  }
  return cm;
}

/**
 * The confusion matrix: entry [i][j] counts samples whose true label is `labels[i]` and whose
 * predicted label is `labels[j]` (rows are truth, columns are predictions), as scikit-learn's
 * `confusion_matrix`.
 *
 * Throws a ShapeError for empty or unequal-length inputs and a ConfigError for a bad option or
 * `labels` of which none occurs in yTrue.
 *
 * @example
 * ```ts
 * confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);
 * // [[2, 0, 0],
 * //  [0, 0, 1],
 * //  [1, 0, 2]]
 * confusionMatrix([0, 0, 1], [0, 1, 1], { normalize: 'true' }); // [[0.5, 0.5], [0, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ConfusionMatrixOptions,
): number[][] {
  const op = 'confusionMatrix';
  checkOptions(op, options, ['labels', 'normalize']);
  return confusionMatrixFromCounts(op, countLabelPairs(op, yTrue, yPred), options);
}
