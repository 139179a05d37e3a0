import { describeValue } from './describe-value';
import { ConfigError, formatShape, ShapeError } from './errors';

/** A tensor's size in each dimension, outermost first. */
export type Shape = readonly number[];

/** Number of elements of a tensor of `shape` (1 for a 0-d tensor). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when both shapes have the same rank and sizes. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes: align trailing dimensions; sizes must match or be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(
        op,
        'shapes that broadcast (trailing sizes equal or 1)',
        `${formatShape(a)} and ${formatShape(b)}`,
        `Dimension ${i - rank} has sizes ${x} and ${y}`,
      );
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * Strides for reading a tensor of `shape` (contiguous) as if broadcast to `outShape`: broadcast
 * dimensions get stride 0. `shape` must broadcast to `outShape`.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    strides[i + offset] = shape[i] === 1 && outShape[i + offset] !== 1 ? 0 : own[i];
  }
  return strides;
}

/** Turns a possibly negative `dim` into an index in [0, rank). */
export function normalizeDim(op: string, dim: number, rank: number): number {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    const given = typeof dim === 'number' ? `${dim}` : describeValue(dim);
    throw new ConfigError(
      op,
      `dim in [${lo}, ${hi}] for a tensor of rank ${rank}`,
      given,
      positionalHint(op, dim, false),
    );
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** For PyTorch's keyword habit (`sum(x, { dim: 1 })`): dim (and a reduction's keepDim) are positional here. */
function positionalHint(op: string, given: unknown, reduction: boolean): string | undefined {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined;
  return reduction
    ? `dim and keepDim are positional arguments: ${op}(x, 1, true), not ${op}(x, { dim: 1, keepdim: true })`
    : 'dim is a positional argument here, not an option { dim }';
}

/** Throws unless `keepDim` is a boolean: a truthy object (`{ keepdim: false }`) must not keep the dims. */
export function checkKeepDim(op: string, keepDim: unknown): void {
  if (typeof keepDim !== 'boolean') {
    throw new ConfigError(
      op,
      'keepDim true or false',
      describeValue(keepDim),
      positionalHint(op, keepDim, true),
    );
  }
}

/** Normalizes a list of dims (or all dims when `dims` is undefined), rejecting repeats. */
export function normalizeDims(
  op: string,
  dims: number | readonly number[] | undefined,
  rank: number,
): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) {
    throw new ConfigError(
      op,
      'dim as a number or a list of numbers',
      describeValue(dims),
      positionalHint(op, dims, false),
    );
  }
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normalizeDim(op, d, rank));
  if (new Set(out).size !== out.length) {
    throw new ConfigError(op, 'each dim at most once', `dims [${list.join(', ')}]`);
  }
  return out;
}

/** Validates a shape given by a user: non-negative integers. */
export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) {
    throw new ShapeError(
      op,
      'the shape as one list of sizes',
      describeValue(shape),
      typeof shape === 'number'
        ? `Pass the sizes as one list: [2, 3], not 2, 3 (PyTorch's ${op}(2, 3))`
        : undefined,
    );
  }
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new ShapeError(op, 'a shape of non-negative integers', formatShape(shape));
    }
  }
}
