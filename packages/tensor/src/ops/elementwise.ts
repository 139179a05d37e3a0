import type { BinaryOp, UnaryOp } from '../backend/backend';
import { backend } from '../backend/registry';
import { assertTensor, assertTensorOrNumber } from '../check-tensor';
import { describeValue } from '../describe-value';
import { allocate, assertFloating, checkDType, type DType, type FloatStorage, isFloating } from '../dtype';
import { ConfigError, DTypeError, ShapeError } from '../errors';
import { broadcastShapes, broadcastStrides, numel } from '../shape';
import { writableStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';
import { record } from './record';
import { asTensor, commonType } from './util';

// ---- casting ---------------------------------------------------------------------------------

/** Converts `x` to `dtype` (differentiable between float32 and float64; int32 truncates toward zero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('cast', x);
  checkDType('cast', dtype);
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.numel);
  if (dtype === 'int32') {
    for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i]);
  } else if (dtype === 'bool') {
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] !== 0 ? 1 : 0;
  } else {
    out.set(x.data);
  }
  const result = new Tensor(out, x.shape, dtype);
  if (isFloating(x.dtype) && isFloating(dtype)) record('cast', 'cast', [x], result, {});
  return result;
}

// ---- unary -----------------------------------------------------------------------------------

function unary(op: UnaryOp, x: Tensor): Tensor {
  assertTensor(op, x);
  assertFloating(op, x.dtype);
  const out = empty(x.shape, x.dtype);
  backend().unary(op, x.data as FloatStorage, out.data as FloatStorage);
  return record('unary', op, [x], out, { op });
}

/** −x elementwise (int32 allowed). */
export function neg(x: Tensor): Tensor {
  assertTensor('neg', x);
  if (x.dtype === 'int32') return mul(x, -1);
  return unary('neg', x);
}
/** eˣ elementwise. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x);
}
/** Natural logarithm elementwise (−Infinity at 0, NaN below, as PyTorch). */
export function log(x: Tensor): Tensor {
  return unary('log', x);
}
/** Square root elementwise. */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x);
}
/** |x| elementwise (gradient 0 at 0, as PyTorch). */
export function abs(x: Tensor): Tensor {
  return unary('abs', x);
}
/** Hyperbolic tangent elementwise. */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x);
}
/** Logistic sigmoid 1 / (1 + e⁻ˣ) elementwise. */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x);
}
/** max(x, 0) elementwise (gradient 0 at 0, as PyTorch). */
export function relu(x: Tensor): Tensor {
  return unary('relu', x);
}
/** Sign of x: −1, 0 or 1 (gradient 0). */
export function sign(x: Tensor): Tensor {
  return unary('sign', x);
}

/**
 * Clamps every element into [min, max]; either bound may be null. The gradient passes where
 * min ≤ x ≤ max, as PyTorch's.
 */
export function clamp(x: Tensor, min: number | null, max: number | null = null): Tensor {
  assertTensor('clamp', x);
  assertFloating('clamp', x.dtype);
  checkBound('min', min);
  checkBound('max', max);
  if (min === null && max === null) {
    throw new ConfigError('clamp', 'at least one of min and max', 'both null');
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi))
    throw new ConfigError('clamp', 'bounds that are not NaN', `min=${min}, max=${max}`);
  const out = empty(x.shape, x.dtype);
  backend().clamp(x.data as FloatStorage, lo, hi, out.data as FloatStorage);
  return record('clamp', 'clamp', [x], out, { lo, hi });
}

/** A clamp bound is a number or null; PyTorch's `clamp(min=0)` written as `{ min: 0 }` is refused. */
function checkBound(name: 'min' | 'max', bound: unknown): void {
  if (bound === null || typeof bound === 'number') return;
  throw new ConfigError(
    'clamp',
    `${name} as a number or null`,
    describeValue(bound),
    'min and max are positional: x.clamp(0) for min=0, x.clamp(null, 1) for max=1',
  );
}

/**
 * Refuses a third argument to add/sub: PyTorch's `alpha` (`x.add(y, alpha=2)`) would otherwise be
 * dropped without a word.
 */
function checkNoAlpha(op: 'add' | 'sub', extra: readonly unknown[]): void {
  if (extra.length === 0) return;
  throw new ConfigError(
    op,
    'two arguments (a, b)',
    `a third, ${describeValue(extra[0])}`,
    `Scale b first: ${op}(a, b.mul(alpha))`,
  );
}

// ---- binary (broadcasting) -------------------------------------------------------------------

const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function binary(op: BinaryOp, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  assertTensorOrNumber(op, aIn, 'input');
  assertTensorOrNumber(op, bIn, 'other');
  if (!(aIn instanceof Tensor) && !(bIn instanceof Tensor)) assertTensor(op, aIn);
  const like = aIn instanceof Tensor ? aIn : (bIn as Tensor);
  let a = asTensor(aIn, like);
  let b = asTensor(bIn, like);
  const shape = broadcastShapes(op, a.shape, b.shape);
  let dtype = commonType(a, b);
  if (dtype === 'bool' && !COMPARISONS.has(op)) dtype = 'int32';
  if (op === 'div' && !isFloating(dtype)) dtype = 'float32'; // true division, as torch.div
  if (op === 'pow' && dtype === 'int32' && b.data.some((v) => v < 0)) {
    throw new DTypeError(
      'pow',
      'non-negative exponents for int32 tensors',
      'a negative exponent',
      'Convert to float first',
    );
  }
  if (a.dtype !== dtype && !COMPARISONS.has(op)) a = cast(a, dtype);
  if (b.dtype !== dtype && !COMPARISONS.has(op)) b = cast(b, dtype);
  const outType: DType = COMPARISONS.has(op) ? 'bool' : dtype;
  // Every element written by the kernel: pooled storage (a gradient rule's product, g ⊙ mask for
  // dropout, goes back to the pool once consumed and the next step takes it).
  const out = new Tensor(writableStorage(outType, numel(shape)), shape, outType);
  backend().binary(
    op,
    { data: a.data, offset: 0, strides: broadcastStrides(a.shape, shape) },
    { data: b.data, offset: 0, strides: broadcastStrides(b.shape, shape) },
    shape,
    out.data,
  );
  if (COMPARISONS.has(op) || !isFloating(dtype)) return out;
  return record(op as 'add', op, [a, b], out, {});
}

/** a + b with broadcasting. */
export function add(a: Tensor | number, b: Tensor | number): Tensor;
export function add(a: Tensor | number, b: Tensor | number, ...extra: unknown[]): Tensor {
  checkNoAlpha('add', extra);
  return binary('add', a, b);
}
/** a − b with broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor;
export function sub(a: Tensor | number, b: Tensor | number, ...extra: unknown[]): Tensor {
  checkNoAlpha('sub', extra);
  return binary('sub', a, b);
}
/** a · b elementwise with broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('mul', a, b);
}
/** a / b elementwise with broadcasting (true division: integer inputs give float32). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('div', a, b);
}
/** aᵇ elementwise with broadcasting. */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('pow', a, b);
}
/** Elementwise maximum (NaN propagates; on ties the gradient is split evenly, as PyTorch). */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('maximum', a, b);
}
/** Elementwise minimum (NaN propagates; on ties the gradient is split evenly, as PyTorch). */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('minimum', a, b);
}
/** a == b elementwise, as a bool tensor. */
export function eq(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('eq', a, b);
}
/** a != b elementwise, as a bool tensor. */
export function ne(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('ne', a, b);
}
/** a < b elementwise, as a bool tensor. */
export function lt(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('lt', a, b);
}
/** a <= b elementwise, as a bool tensor. */
export function le(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('le', a, b);
}
/** a > b elementwise, as a bool tensor. */
export function gt(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('gt', a, b);
}
/** a >= b elementwise, as a bool tensor. */
export function ge(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('ge', a, b);
}

// ---- selection -------------------------------------------------------------------------------

/** Elementwise `cond ? a : b` with broadcasting of all three; `cond` is a bool tensor. */
export function where(cond: Tensor, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  assertTensor('where', cond, 'condition');
  assertTensorOrNumber('where', aIn, 'input');
  assertTensorOrNumber('where', bIn, 'other');
  if (cond.dtype !== 'bool') {
    throw new DTypeError(
      'where',
      'a bool condition',
      cond.dtype,
      'Build masks with comparisons such as x.gt(0)',
    );
  }
  const like = aIn instanceof Tensor ? aIn : bIn instanceof Tensor ? bIn : asTensor(aIn, asTensor(bIn, cond));
  let a = asTensor(aIn, like);
  let b = asTensor(bIn, like);
  const dtype = commonType(a, b);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const out = new Tensor(allocate(dtype, numel(shape)), shape, dtype);
  backend().where(
    { data: cond.data, offset: 0, strides: broadcastStrides(cond.shape, shape) },
    { data: a.data, offset: 0, strides: broadcastStrides(a.shape, shape) },
    { data: b.data, offset: 0, strides: broadcastStrides(b.shape, shape) },
    shape,
    out.data,
  );
  if (!isFloating(dtype)) return out;
  return record('where', 'where', [a, b], out, { cond });
}

/**
 * Replaces the elements of `x` where `mask` (bool, broadcastable to x) is true by `value`
 * (torch.masked_fill, out of place). The gradient is 0 at the filled positions.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  assertTensor('maskedFill', x);
  assertTensor('maskedFill', mask, 'mask');
  if (mask.dtype !== 'bool') throw new DTypeError('maskedFill', 'a bool mask', mask.dtype);
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i])) {
    throw new ShapeError(
      'maskedFill',
      `a mask that broadcasts to the input's shape [${x.shape.join(', ')}]`,
      `[${mask.shape.join(', ')}]`,
    );
  }
  return where(mask, value, x);
}
