import { ConfigError, formatShape, ShapeError } from '@seqlab/tensor';
import { countLabelPairs, type LabelPairCounts } from './confusion-matrix';
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  checkSameLength,
  type MatrixInput,
  toLabels,
  toMatrix,
  type VectorInput,
} from './inputs';

/**
 * Options of {@link accuracyScore}.
 *
 * @example
 * ```ts
 * const options: AccuracyOptions = { normalize: false }; // count correct samples instead
 * ```
 */
export interface AccuracyOptions {
  /** Return the fraction of correct samples (default) or, when false, their number. */
  normalize?: boolean;
}

/** {@link accuracyScore} on counted pairs; the accumulators call this too. */
export function accuracyFromCounts(op: string, counts: LabelPairCounts, options?: AccuracyOptions): number {
  const { normalize = true } = checkOptions(op, options, ['normalize']);
  checkBoolean(op, 'normalize', normalize);
  if (counts.total === 0) throw new ShapeError(op, 'at least one sample', '0 samples');
  return normalize ? counts.correct / counts.total : counts.correct;
}

/**
 * The fraction of samples whose predicted label equals the true label, as scikit-learn's
 * `accuracy_score` (multiclass; no sample weights).
 *
 * Throws a ShapeError for empty or unequal-length inputs and a DTypeError for non-integer labels.
 *
 * @example
 * ```ts
 * accuracyScore([0, 1, 2, 3], [0, 2, 1, 3]); // 0.5
 * accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false }); // 2
 * ```
 */
export function accuracyScore(yTrue: VectorInput, yPred: VectorInput, options?: AccuracyOptions): number {
  const op = 'accuracyScore';
  checkOptions(op, options, ['normalize']);
  return accuracyFromCounts(op, countLabelPairs(op, yTrue, yPred), options);
}

/**
 * Options of {@link topKAccuracyScore}.
 *
 * @example
 * ```ts
 * const options: TopKAccuracyOptions = { k: 3, labels: [0, 1, 2, 3, 4] };
 * ```
 */
export interface TopKAccuracyOptions {
  /** How many of the highest scores may contain the true label. Default 2, as scikit-learn. */
  k?: number;
  /** Return the fraction of hits (default) or, when false, their number. */
  normalize?: boolean;
  /** The class of each score column, distinct and ascending. Default `[0, 1, …, C-1]`. */
  labels?: readonly number[];
}

/**
 * The fraction of samples whose true label is among the `k` classes with the highest scores, as
 * scikit-learn's `top_k_accuracy_score`. Equal scores rank the higher column first, which is where
 * scikit-learn's reversed stable argsort puts them.
 *
 * Porting note: scikit-learn's default labels are the sorted classes present in yTrue, so every
 * batch must contain every class; ours are the column indices `0…C-1`, the PyTorch convention
 * for logits. scikit-learn also rejects a 2-column score matrix when yTrue has two classes; we
 * treat it like any other [N, C] matrix.
 *
 * Throws a ShapeError for a score matrix that is not [N, C] with N = yTrue's length and C ≥ 2, and
 * a ConfigError for a bad `k`, bad `labels` or a true label that is not in `labels`.
 *
 * @example
 * ```ts
 * const yScore = [
 *   [0.5, 0.2, 0.2], // true 0: rank 1
 *   [0.3, 0.4, 0.2], // true 1: rank 1
 *   [0.2, 0.4, 0.3], // true 2: rank 2
 *   [0.7, 0.2, 0.1], // true 2: rank 3
 * ];
 * topKAccuracyScore([0, 1, 2, 2], yScore, { k: 2 }); // 0.75
 * topKAccuracyScore([0, 1, 2, 2], yScore, { k: 1 }); // 0.5
 * ```
 */
export function topKAccuracyScore(
  yTrue: VectorInput,
  yScore: MatrixInput,
  options?: TopKAccuracyOptions,
): number {
  const op = 'topKAccuracyScore';
  const { k = 2, normalize = true, labels } = checkOptions(op, options, ['k', 'normalize', 'labels']);
  checkInteger(op, 'k', k, 1);
  checkBoolean(op, 'normalize', normalize);
  const t = toLabels(op, 'yTrue', yTrue);
  const scores = toMatrix(op, 'yScore', yScore);
  checkSameLength(op, 'yTrue and yScore', t.length, scores.rows);
  const c = scores.cols;
  if (c < 2) throw new ShapeError(op, 'yScore of shape [N, C] with C ≥ 2', `[${scores.rows}, ${c}]`);

  const column = new Map<number, number>();
  if (labels === undefined) {
    for (let j = 0; j < c; j++) column.set(j, j);
  } else {
    if (!Array.isArray(labels) || labels.length !== c) {
      throw new ConfigError(
        op,
        `labels with one entry per score column (${c})`,
        `${Array.isArray(labels) ? labels.length : typeof labels}`,
      );
    }
    labels.forEach((label, j) => {
      if (!Number.isInteger(label)) throw new ConfigError(op, 'integer labels', `${label} in labels`);
      if (j > 0 && label <= (labels[j - 1] as number)) {
        throw new ConfigError(op, 'distinct labels in ascending order', formatShape(labels));
      }
      column.set(label, j);
    });
  }

  let hits = 0;
  for (let i = 0; i < t.length; i++) {
    const j = column.get(t[i] as number);
    if (j === undefined) {
      throw new ConfigError(
        op,
        `yTrue labels among ${formatShape([...column.keys()])}`,
        `${t[i]} at index ${i}`,
        'Pass labels',
      );
    }
    // Rank of the true column: columns with a higher score, or an equal score and a higher index.
    const base = i * c;
    const s = scores.data[base + j] as number;
    let ahead = 0;
    for (let m = 0; m < c; m++) {
      const v = scores.data[base + m] as number;
      if (v > s || (v === s && m > j)) ahead++;
    }
    if (ahead < k) hits++;
  }
  return normalize ? hits / t.length : hits;
}
