import { ConfigError, formatShape } from '@seqlab/tensor';
import { checkOptions, checkSameLength, toLabels, toVector, type VectorInput } from './inputs';
import { checkHandler, type ZeroDivisionHandler, zeroDivisionWarning } from './zero-division';

/**
 * True and false positives above each distinct score, highest score first: scikit-learn's
 * `_binary_clf_curve`. Tied scores form one threshold, so their order never matters.
 */
function binaryCurve(positive: Uint8Array, scores: Float64Array): { tps: number[]; fps: number[] } {
  const order = Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  for (let i = 0; i < order.length; i++) {
    const index = order[i] as number;
    tp += positive[index] as number;
    const next = order[i + 1];
    if (next === undefined || scores[next] !== scores[index]) {
      tps.push(tp);
      fps.push(i + 1 - tp);
    }
  }
  return { tps, fps };
}

function checkInputs(
  op: string,
  yTrue: VectorInput,
  yScore: VectorInput,
): { t: Float64Array; s: Float64Array; classes: number[] } {
  const t = toLabels(op, 'yTrue', yTrue);
  const s = toVector(op, 'yScore', yScore);
  checkSameLength(op, 'yTrue and yScore', t.length, s.length);
  const classes = [...new Set(t)].sort((a, b) => a - b);
  if (classes.length > 2) {
    throw new ConfigError(
      op,
      'binary yTrue (at most 2 labels)',
      `${classes.length} labels ${formatShape(classes)}`,
    );
  }
  return { t, s, classes };
}

/**
 * Area under the ROC curve for a binary problem, as scikit-learn's `roc_auc_score`: the
 * probability that a random positive scores higher than a random negative, ties counting half.
 * The larger of yTrue's two labels is the positive class. yScore holds one score per sample for
 * the positive class (a probability, a logit or any monotone score).
 *
 * Throws a ShapeError for empty, non-1-D or unequal-length inputs, a DTypeError for non-integer
 * labels, and a ConfigError when yTrue has more than two labels or only one (the AUC is undefined
 * then; scikit-learn raises too).
 *
 * @example
 * ```ts
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * ```
 */
export function rocAucScore(yTrue: VectorInput, yScore: VectorInput): number {
  const op = 'rocAucScore';
  const { t, s, classes } = checkInputs(op, yTrue, yScore);
  if (classes.length < 2) {
    throw new ConfigError(
      op,
      'both classes in yTrue',
      `only label ${classes[0]}`,
      'ROC AUC is undefined with one class',
    );
  }
  const positive = Uint8Array.from(t, (label) => (label === classes[1] ? 1 : 0));
  const { tps, fps } = binaryCurve(positive, s);
  // Trapezoids between consecutive thresholds, in counts, scaled once at the end.
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let i = 0; i < tps.length; i++) {
    const tp = tps[i] as number;
    const fp = fps[i] as number;
    area += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return area / (2 * prevTp * prevFp);
}

/**
 * Options of {@link averagePrecisionScore}.
 *
 * @example
 * ```ts
 * const options: AveragePrecisionOptions = { posLabel: 2 };
 * ```
 */
export interface AveragePrecisionOptions {
  /** The positive class. Default 1. */
  posLabel?: number;
  /** Called when yTrue has no positive sample (the score is then 0, as in scikit-learn). */
  onZeroDivision?: ZeroDivisionHandler;
}

/**
 * Average precision for a binary problem, as scikit-learn's `average_precision_score`: the
 * step-wise area under the precision-recall curve, AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct
 * scores from highest to lowest, with no interpolation. Tied scores form one step.
 *
 * With no positive sample in yTrue, recall is undefined; the score is 0 (scikit-learn warns and
 * returns 0) and `onZeroDivision` is called.
 *
 * Throws a ShapeError for empty, non-1-D or unequal-length inputs, a DTypeError for non-integer
 * labels, and a ConfigError for more than two labels, a `posLabel` that is not one of two present
 * labels, or bad options.
 *
 * @example
 * ```ts
 * averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333333333333333
 * ```
 */
export function averagePrecisionScore(
  yTrue: VectorInput,
  yScore: VectorInput,
  options?: AveragePrecisionOptions,
): number {
  const op = 'averagePrecisionScore';
  const { posLabel = 1, onZeroDivision } = checkOptions(op, options, ['posLabel', 'onZeroDivision']);
  const handler = checkHandler(op, onZeroDivision);
  if (!Number.isInteger(posLabel))
    throw new ConfigError(op, 'posLabel to be an integer label', String(posLabel));
  const { t, s, classes } = checkInputs(op, yTrue, yScore);
  if (classes.length === 2 && !classes.includes(posLabel)) {
    throw new ConfigError(op, `posLabel among the labels ${formatShape(classes)}`, String(posLabel));
  }
  const positive = Uint8Array.from(t, (label) => (label === posLabel ? 1 : 0));
  const { tps, fps } = binaryCurve(positive, s);
  const totalPositives = tps[tps.length - 1] as number;
  if (totalPositives === 0) {
    handler?.(
      zeroDivisionWarning(op, 'averagePrecision', [posLabel], 0, 'because yTrue has no positive samples'),
    );
    return 0;
  }
  let ap = 0;
  let prevTp = 0;
  for (let i = 0; i < tps.length; i++) {
    const tp = tps[i] as number;
    ap += ((tp - prevTp) / totalPositives) * (tp / (tp + (fps[i] as number)));
    prevTp = tp;
  }
  return ap;
}
