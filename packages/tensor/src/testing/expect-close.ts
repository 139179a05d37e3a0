// Imports go through the package entry so the built `testing` bundle shares classes with it.
import { formatShape, ShapeError, Tensor } from '@seqlab/tensor';

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/** Tolerances of `expectClose`: |actual − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
}

type Values = Tensor | ArrayLike<number>;

/**
 * Asserts that `actual` equals `expected` within tolerance (and, for tensors, has its shape);
 * throws an Error naming the worst element otherwise. NaN matches only NaN.
 *
 * @example
 * ```ts
 * expectClose(out, fixture.get('out'), { rtol: 1e-4 });
 * ```
 */
export function expectClose(
  actual: Values,
  expected: Values,
  tolerance: Tolerance = {},
  label = 'expectClose',
): void {
  const rtol = tolerance.rtol ?? 1e-5;
  const atol = tolerance.atol ?? 1e-6;
  if (actual instanceof Tensor && expected instanceof Tensor && !sameShape(actual.shape, expected.shape)) {
    throw new ShapeError(label, `shape ${formatShape(expected.shape)}`, formatShape(actual.shape));
  }
  const a = actual instanceof Tensor ? actual.data : actual;
  const e = expected instanceof Tensor ? expected.data : expected;
  if (a.length !== e.length) throw new ShapeError(label, `${e.length} values`, `${a.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = e[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      worst = i;
      worstExcess = Infinity;
      break;
    }
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worstExcess || (excess > 0 && worst < 0)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: expected values within atol=${atol}, rtol=${rtol}, got ${a[worst]} instead of ${e[worst]} at flat index ${worst} (|diff| = ${Math.abs(a[worst] - e[worst])})`,
    );
  }
}
