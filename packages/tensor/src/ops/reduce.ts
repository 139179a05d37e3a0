import { backend } from '../backend/registry';
import { assertTensor } from '../check-tensor';
import { allocate, assertFloating, isFloating } from '../dtype';
import { formatShape, ShapeError } from '../errors';
import { checkKeepDim, normalizeDim, normalizeDims, numel } from '../shape';
import { Tensor } from '../tensor';
import { add, eq, exp, log, sub, where } from './elementwise';
import { reshape } from './movement';
import { record } from './record';

/** Output shapes of a reduction: with the reduced dims kept as 1, and as returned. */
function reducedShapes(
  shape: readonly number[],
  dims: readonly number[],
  keepDim: boolean,
): [number[], number[]] {
  const kept = shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const out = keepDim ? kept : shape.filter((_, d) => !dims.includes(d));
  return [kept, out];
}

/** Sum over `dim` (one dim, several, or all when omitted), keeping reduced dims as size 1 if `keepDim`. */
export function sum(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  assertTensor('sum', x);
  checkKeepDim('sum', keepDim);
  const dims = normalizeDims('sum', dim, x.ndim);
  const [kept, outShape] = reducedShapes(x.shape, dims, keepDim);
  const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
  const out = new Tensor(allocate(dtype, numel(outShape)), outShape, dtype);
  backend().reduce(
    'sum',
    x.data,
    x.shape,
    x.shape.map((_, d) => dims.includes(d)),
    out.data,
  );
  if (!isFloating(dtype)) return out;
  return record('sum', 'sum', [x], out, { kept });
}

/** Mean over `dim` (or all elements), as sum / count. */
export function mean(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  assertTensor('mean', x);
  assertFloating('mean', x.dtype);
  checkKeepDim('mean', keepDim);
  const dims = normalizeDims('mean', dim, x.ndim);
  let count = 1;
  for (const d of dims) count *= x.shape[d];
  if (count === 0) {
    throw new ShapeError(
      'mean',
      'at least one element to average',
      `shape ${formatShape(x.shape)} over dims [${dims.join(', ')}]`,
    );
  }
  return sum(x, dims, keepDim).mul(1 / count);
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | undefined, keepDim: boolean): Tensor {
  assertTensor(op, x);
  checkKeepDim(op, keepDim);
  if (x.numel === 0) throw new ShapeError(op, 'a non-empty tensor', `shape ${formatShape(x.shape)}`);
  if (dim === undefined) {
    // Over all elements: the gradient is split evenly among ties (torch.max() / amax).
    const dims = normalizeDims(op, undefined, x.ndim);
    const [kept, outShape] = reducedShapes(x.shape, dims, keepDim);
    const out = new Tensor(allocate(x.dtype, numel(outShape)), outShape, x.dtype);
    backend().reduce(
      op,
      x.data,
      x.shape,
      x.shape.map(() => true),
      out.data,
    );
    if (!isFloating(x.dtype)) return out;
    return record('amax', op, [x], out, { kept });
  }
  // Along one dim: the gradient goes to the (first) arg-extremum, as torch.max(x, dim).values.
  const d = normalizeDim(op, dim, x.ndim);
  const indices = argReduce(op === 'max' ? 'argmax' : 'argmin', x, d, true);
  const values = gatherAlong(op, x, d, indices);
  const out = keepDim
    ? values
    : reshape(
        values,
        x.shape.filter((_, i) => i !== d),
      );
  return out;
}

/** values[..., 0, ...] = x[..., indices[..., 0, ...], ...] along `dim` (a differentiable gather). */
function gatherAlong(op: string, x: Tensor, dim: number, indices: Tensor): Tensor {
  const out = new Tensor(allocate(x.dtype, indices.numel), indices.shape, x.dtype);
  backend().gather(x.data, x.shape, dim, indices.data as Int32Array, indices.shape, out.data);
  if (!isFloating(x.dtype)) return out;
  return record('gather', op, [x], out, { dim, index: indices });
}

/** Maximum over all elements (0-d), or the maximum values along `dim` (gradient to the first argmax). */
export function max(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme('max', x, dim, keepDim);
}

/** Minimum over all elements (0-d), or the minimum values along `dim` (gradient to the first argmin). */
export function min(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme('min', x, dim, keepDim);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepDim: boolean): Tensor {
  assertTensor(op, x);
  checkKeepDim(op, keepDim);
  if (x.numel === 0) throw new ShapeError(op, 'a non-empty tensor', `shape ${formatShape(x.shape)}`);
  if (dim === undefined) {
    const out = new Tensor(new Int32Array(1), keepDim ? x.shape.map(() => 1) : [], 'int32');
    backend().argReduce(op, x.data, 1, x.numel, 1, out.data as Int32Array);
    return out;
  }
  const d = normalizeDim(op, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const size = x.shape[d] ?? 1; // rank 0: one element
  const inner = numel(x.shape.slice(d + 1));
  const shape = keepDim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
  const out = new Tensor(new Int32Array(outer * inner), shape, 'int32');
  backend().argReduce(op, x.data, outer, size, inner, out.data as Int32Array);
  return out;
}

/** Index of the (first) maximum, over the flattened tensor or along `dim`; int32, no gradient. */
export function argmax(x: Tensor, dim?: number, keepDim = false): Tensor {
  return argReduce('argmax', x, dim, keepDim);
}

/** Index of the (first) minimum, over the flattened tensor or along `dim`; int32, no gradient. */
export function argmin(x: Tensor, dim?: number, keepDim = false): Tensor {
  return argReduce('argmin', x, dim, keepDim);
}

/** log Σ exp(x) over `dim`, computed stably (shifted by the maximum; rows of −∞ give −∞). */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  assertTensor('logsumexp', x);
  assertFloating('logsumexp', x.dtype);
  checkKeepDim('logsumexp', keepDim);
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  const [kept, outShape] = reducedShapes(x.shape, dims, keepDim);
  const m = new Tensor(allocate(x.dtype, numel(kept)), kept, x.dtype);
  backend().reduce(
    'max',
    x.data,
    x.shape,
    x.shape.map((_, d) => dims.includes(d)),
    m.data,
  );
  const shift = where(eq(m.abs().detach(), Infinity), 0, m);
  const lse = add(log(sum(exp(sub(x, shift)), dims, true)), shift);
  return keepDim ? lse : reshape(lse, outShape);
}
