import type { Storage } from '../../dtype';
import type { BinaryOp, ReduceOp, StridedView } from '../backend';

// Reference kernels of the strided family: every element is found through its full multi-index
// (no dimension merging, no row loops), so each one reads as its definition in the Backend
// interface. The js backend's fast versions coalesce dimensions and walk rows instead.

/** Offset of flat (row-major) position `i` of `shape` in a view with `strides` from `offset`. */
function offsetOf(i: number, shape: readonly number[], strides: readonly number[], offset: number): number {
  let rem = i;
  let off = offset;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    off += (rem % size) * strides[d];
    rem = Math.floor(rem / size);
  }
  return off;
}

const count = (shape: readonly number[]): number => shape.reduce((p, s) => p * s, 1);

/** out [shape] = src viewed through its strides, copied element by element. */
export function stridedCopy(src: StridedView, shape: readonly number[], out: Storage): void {
  const n = count(shape);
  for (let i = 0; i < n; i++) out[i] = src.data[offsetOf(i, shape, src.strides, src.offset)];
}

/** dst[view] += src [shape], element by element; positions repeated by a 0 stride accumulate. */
export function stridedAccumulate(src: Storage, shape: readonly number[], dst: StridedView): void {
  const n = count(shape);
  for (let i = 0; i < n; i++) {
    const off = offsetOf(i, shape, dst.strides, dst.offset);
    dst.data[off] = dst.data[off] + src[i];
  }
}

/** x (op) y for one pair; comparisons give 0/1; maximum/minimum propagate a NaN from either side. */
export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return x * y;
    case 'div':
      return x / y;
    case 'pow':
      return x ** y;
    case 'maximum':
      return x !== x || x > y ? x : y;
    case 'minimum':
      return x !== x || x < y ? x : y;
    case 'eq':
      return x === y ? 1 : 0;
    case 'ne':
      return x !== y ? 1 : 0;
    case 'lt':
      return x < y ? 1 : 0;
    case 'le':
      return x <= y ? 1 : 0;
    case 'gt':
      return x > y ? 1 : 0;
    case 'ge':
      return x >= y ? 1 : 0;
  }
}

/** out [shape] = a (op) b, each read through its strided view (0 strides broadcast). */
export function binary(
  op: BinaryOp,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  out: Storage,
): void {
  const n = count(shape);
  for (let i = 0; i < n; i++) {
    const x = a.data[offsetOf(i, shape, a.strides, a.offset)];
    const y = b.data[offsetOf(i, shape, b.strides, b.offset)];
    out[i] = binaryScalar(op, x, y);
  }
}

/** out [shape] = cond ? a : b, all three read through strided views. */
export function where(
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  out: Storage,
): void {
  const n = count(shape);
  for (let i = 0; i < n; i++) {
    const c = cond.data[offsetOf(i, shape, cond.strides, cond.offset)];
    const view = c ? a : b;
    out[i] = view.data[offsetOf(i, shape, view.strides, view.offset)];
  }
}

/**
 * x [shape] reduced over the dims flagged in `reduced` into out [kept sizes]: float64
 * accumulators, one per output element, visited in x's storage order (so a sum adds in the same
 * order as a plain loop); max/min let a NaN win. An empty reduction gives 0, -Infinity, Infinity.
 */
export function reduce(
  op: ReduceOp,
  x: Storage,
  shape: readonly number[],
  reduced: readonly boolean[],
  out: Storage,
): void {
  const kept = shape.map((s, d) => (reduced[d] ? 1 : s));
  const outStrides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    outStrides[d] = reduced[d] ? 0 : s;
    s *= kept[d];
  }
  const acc = new Float64Array(out.length).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  const n = count(shape);
  for (let i = 0; i < n; i++) {
    const o = offsetOf(i, shape, outStrides, 0);
    const v = x[i];
    if (op === 'sum') acc[o] += v;
    else if (op === 'max' ? v > acc[o] || v !== v : v < acc[o] || v !== v) acc[o] = v;
  }
  for (let o = 0; o < out.length; o++) out[o] = acc[o];
}
