import { ConfigError, formatShape } from '@seqlab/tensor';

/**
 * The value a metric takes when its denominator is zero (a class with no predictions has no
 * precision, one with no examples has no recall). scikit-learn's default `'warn'` behaves like 0.
 *
 * @example
 * ```ts
 * precisionScore([0, 1], [0, 0], { average: null, zeroDivision: 1 }); // [0.5, 1]
 * ```
 */
export type ZeroDivision = 0 | 1;

/** The quantity that was undefined. */
export type ZeroDivisionMetric = 'precision' | 'recall' | 'averagePrecision' | 'r2';

/**
 * Reported when a metric was undefined and replaced by a fixed value, in place of scikit-learn's
 * `UndefinedMetricWarning`. The result itself is never NaN; this says which parts of it were
 * filled in.
 *
 * @example
 * ```ts
 * const warnings: ZeroDivisionWarning[] = [];
 * f1Score([0, 1, 2], [0, 1, 1], { average: 'macro', onZeroDivision: (w) => warnings.push(w) });
 * warnings[0]; // { op: 'f1Score', metric: 'precision', labels: [2], value: 0, message: '…' }
 * ```
 */
export interface ZeroDivisionWarning {
  /** The function or method that computed the metric, e.g. `f1Score`. */
  readonly op: string;
  /** Which quantity was undefined. */
  readonly metric: ZeroDivisionMetric;
  /**
   * The classes whose value was replaced. For `average: 'micro'` all classes that were pooled;
   * empty for metrics that are not per class (`r2`).
   */
  readonly labels: readonly number[];
  /** The value used instead. */
  readonly value: number;
  /** One sentence, phrased like scikit-learn's warning. */
  readonly message: string;
}

/**
 * Called once per undefined quantity; pass it as `onZeroDivision` to collect the warnings.
 *
 * @example
 * ```ts
 * recallScore([0, 0], [0, 1], { average: null, onZeroDivision: (w) => console.warn(w.message) });
 * ```
 */
export type ZeroDivisionHandler = (warning: ZeroDivisionWarning) => void;

/** Checks the `zeroDivision` option and applies its default, 0. */
export function checkZeroDivision(op: string, value: unknown): ZeroDivision {
  if (value === undefined) return 0;
  if (value !== 0 && value !== 1) throw new ConfigError(op, 'zeroDivision 0 or 1', String(value));
  return value;
}

/** Checks the `onZeroDivision` option. */
export function checkHandler(op: string, value: unknown): ZeroDivisionHandler | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigError(op, 'onZeroDivision to be a function', typeof value);
  }
  return value as ZeroDivisionHandler | undefined;
}

/** Builds a warning with scikit-learn's wording. `reason` completes "… in labels with …". */
export function zeroDivisionWarning(
  op: string,
  metric: ZeroDivisionMetric,
  labels: readonly number[],
  value: number,
  reason: string,
): ZeroDivisionWarning {
  const name = { precision: 'Precision', recall: 'Recall', averagePrecision: 'Average precision', r2: 'R^2' }[
    metric
  ];
  const where = labels.length > 0 ? ` in labels ${formatShape(labels)}` : '';
  const message = `${name} is ill-defined and being set to ${value.toFixed(1)}${where} ${reason}`;
  return { op, metric, labels, value, message };
}
