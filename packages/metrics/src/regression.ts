import { ShapeError } from '@seqlab/tensor';
import { checkBoolean, checkOptions, checkSameLength, toVector, type VectorInput } from './inputs';
import { checkHandler, type ZeroDivisionHandler, zeroDivisionWarning } from './zero-division';

function pair(op: string, yTrue: VectorInput, yPred: VectorInput): [Float64Array, Float64Array] {
  const t = toVector(op, 'yTrue', yTrue);
  const p = toVector(op, 'yPred', yPred);
  checkSameLength(op, 'yTrue and yPred', t.length, p.length);
  return [t, p];
}

/**
 * Options of {@link meanSquaredError}.
 *
 * @example
 * ```ts
 * const options: MeanSquaredErrorOptions = { squared: false }; // root mean squared error
 * ```
 */
export interface MeanSquaredErrorOptions {
  /** Return the MSE (default) or, when false, its square root (RMSE). */
  squared?: boolean;
}

/**
 * Mean squared error (1/N) Σ (yᵢ − ŷᵢ)², as scikit-learn's `mean_squared_error` on 1-D inputs.
 * Throws a ShapeError for empty, non-1-D or unequal-length inputs and a ConfigError for
 * non-finite values.
 *
 * @example
 * ```ts
 * meanSquaredError([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.375
 * meanSquaredError([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], { squared: false }); // 0.6123724356957945
 * ```
 */
export function meanSquaredError(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: MeanSquaredErrorOptions,
): number {
  const op = 'meanSquaredError';
  const { squared = true } = checkOptions(op, options, ['squared']);
  checkBoolean(op, 'squared', squared);
  const [t, p] = pair(op, yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < t.length; i++) sum += ((t[i] as number) - (p[i] as number)) ** 2;
  const mse = sum / t.length;
  return squared ? mse : Math.sqrt(mse);
}

/**
 * Mean absolute error (1/N) Σ |yᵢ − ŷᵢ|, as scikit-learn's `mean_absolute_error` on 1-D inputs.
 * Throws a ShapeError for empty, non-1-D or unequal-length inputs and a ConfigError for
 * non-finite values.
 *
 * @example
 * ```ts
 * meanAbsoluteError([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.5
 * ```
 */
export function meanAbsoluteError(yTrue: VectorInput, yPred: VectorInput): number {
  const op = 'meanAbsoluteError';
  const [t, p] = pair(op, yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < t.length; i++) sum += Math.abs((t[i] as number) - (p[i] as number));
  return sum / t.length;
}

/**
 * Options of {@link r2Score}.
 *
 * @example
 * ```ts
 * const options: R2Options = { onZeroDivision: (w) => console.warn(w.message) };
 * ```
 */
export interface R2Options {
  /** Called when yTrue is constant, so that R² is undefined and replaced by 1 or 0. */
  onZeroDivision?: ZeroDivisionHandler;
}

/**
 * R² from the residual and total sums of squares, with scikit-learn's `force_finite` rule for a
 * constant yTrue (ssTot = 0): 1 for perfect predictions, else 0.
 */
export function r2FromSums(
  op: string,
  ssRes: number,
  ssTot: number,
  constant: boolean,
  handler: ZeroDivisionHandler | undefined,
): number {
  if (!constant && ssTot !== 0) return 1 - ssRes / ssTot;
  const value = ssRes === 0 ? 1 : 0;
  handler?.(zeroDivisionWarning(op, 'r2', [], value, 'because yTrue is constant'));
  return value;
}

/**
 * The coefficient of determination R² = 1 − Σ(yᵢ − ŷᵢ)² / Σ(yᵢ − ȳ)², as scikit-learn's `r2_score`
 * on 1-D inputs (its default `force_finite=true`): 1 is perfect, 0 is as good as predicting the
 * mean, and it can be negative. When yTrue is constant R² is undefined: it is 1 for perfect
 * predictions and 0 otherwise, and `onZeroDivision` is called.
 *
 * Porting note: scikit-learn returns NaN for a single sample; we throw a ShapeError instead. It
 * detects a constant yTrue by a zero sum of squares, which rounding in the mean can miss (e.g. for
 * [0.1, 0.1, 0.1]); we compare the values themselves.
 *
 * Throws a ShapeError for fewer than two samples, non-1-D or unequal-length inputs and a
 * ConfigError for non-finite values or bad options.
 *
 * @example
 * ```ts
 * r2Score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.9486081370449679
 * ```
 */
export function r2Score(yTrue: VectorInput, yPred: VectorInput, options?: R2Options): number {
  const op = 'r2Score';
  const { onZeroDivision } = checkOptions(op, options, ['onZeroDivision']);
  const handler = checkHandler(op, onZeroDivision);
  const [t, p] = pair(op, yTrue, yPred);
  if (t.length < 2) throw new ShapeError(op, 'at least 2 samples for R²', `${t.length}`);
  let mean = 0;
  for (let i = 0; i < t.length; i++) mean += t[i] as number;
  mean /= t.length;
  let ssRes = 0;
  let ssTot = 0;
  let constant = true;
  for (let i = 0; i < t.length; i++) {
    const y = t[i] as number;
    ssRes += (y - (p[i] as number)) ** 2;
    ssTot += (y - mean) ** 2;
    if (y !== t[0]) constant = false;
  }
  return r2FromSums(op, ssRes, ssTot, constant, handler);
}
