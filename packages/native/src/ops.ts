import type { FloatStorage, Storage } from '@seqlab/tensor';
import {
  type Backend,
  type BinaryOp,
  coalesce,
  type FusedOptimizerKernels,
  jsBackend,
  type ReduceOp,
  type StridedView,
  type UnaryOp,
} from '@seqlab/tensor/backend';
import type { NativeAddon } from './addon';

/** The kernels of the Backend that `nativeOpsKernels` runs in C (for float32). */
export type NativeOpsKernel =
  | 'unary'
  | 'unaryBackward'
  | 'binary'
  | 'reduce'
  | 'stridedCopy'
  | 'stridedAccumulate'
  | 'fill'
  | 'indexSelect'
  | 'indexAdd'
  | 'softmax'
  | 'softmaxBackward';

// The op codes of src/c/ops.h.
const UNARY: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  tanh: 5,
  sigmoid: 6,
  relu: 7,
  sign: 8,
};
const BINARY: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };
const REDUCE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
/** SL_OPS_MAX_RANK: views with more dims after merging run the js kernel. */
const MAX_RANK = 6;

const f32 = (s: Storage): s is Float32Array => s instanceof Float32Array;

/**
 * x of `shape` reduced over the flagged dims, as [outer, size, inner] over the middle axis, when
 * the dims fall in at most three groups — kept, reduced, kept — after dropping size-1 dims and
 * merging neighbours with the same flag (every sum, mean and max the layers and losses take);
 * else null.
 */
export function reduceGroups(
  shape: readonly number[],
  reduced: readonly boolean[],
): [number, number, number] | null {
  const sizes: number[] = [];
  const flags: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = flags.length - 1;
    if (last >= 0 && flags[last] === reduced[d]) sizes[last] *= shape[d];
    else {
      sizes.push(shape[d]);
      flags.push(reduced[d]);
    }
  }
  if (sizes.length === 0) return [1, 1, 1];
  const at = flags.indexOf(true);
  if (at < 0) return sizes.length === 1 ? [sizes[0], 1, 1] : null;
  if (at > 1 || sizes.length - at > 2) return null;
  return [at === 1 ? sizes[0] : 1, sizes[at], at + 1 < sizes.length ? sizes[at + 1] : 1];
}

/**
 * The js backend's elementwise, reduction, softmax, strided-copy, index and fill kernels run by the
 * addon's C kernels (src/c/ops-kernels.c) when every array is a Float32Array, and for the geometry
 * they take: a binary op whose merged views end in a contiguous or broadcast (0-stride) dim — a
 * bias add, a dropout mask, a same-shape product — and is not `pow` or a comparison; a reduction
 * that merges into [outer, size, inner]; a strided view of at most 6 merged dims. Everything else
 * (float64, int32 and bool data, other geometries) runs the js kernel. Plus the optional fused
 * optimizer kernels (`adamStep`, `sumSquares`) for float32 parameters, and `dropout`'s mask and
 * product (float32) with the generator's draws made in C.
 *
 * Results: see NOTE(native-ops-accuracy) in src/c/ops-kernels.c — the js kernels' bits except the
 * summation order of sums over a last axis and of `sumSquares`, and libm's last-bit roundings of
 * exp, log, tanh. Each kernel splits across the pool only above 32,768 elements, and gives the same
 * bits for every thread count.
 */
export function nativeOpsKernels(
  addon: NativeAddon,
): Pick<Backend, NativeOpsKernel> & FusedOptimizerKernels & Required<Pick<Backend, 'dropout'>> {
  // [rank, dims…, offset, strides…, offset, strides…]: filled before each call (calls are synchronous).
  const geometry = new Int32Array(1 + 3 * MAX_RANK + 2);
  const adamScalars = new Float64Array(7);

  /** Writes one view's [offset, strides…] at `at`; returns the next position. */
  const putView = (at: number, offset: number, strides: readonly number[]): number => {
    geometry[at] = offset;
    for (let d = 0; d < strides.length; d++) geometry[at + 1 + d] = strides[d];
    return at + 1 + strides.length;
  };
  const putDims = (dims: readonly number[]): number => {
    geometry[0] = dims.length;
    for (let d = 0; d < dims.length; d++) geometry[1 + d] = dims[d];
    return 1 + dims.length;
  };

  return {
    unary(op, x, out) {
      if (f32(x) && f32(out)) addon.opsUnary(UNARY[op], x, out);
      else jsBackend.unary(op, x, out);
    },
    unaryBackward(op, x, y, dy, dx) {
      if (f32(x) && f32(y) && f32(dy) && f32(dx)) addon.opsUnaryBackward(UNARY[op], x, y, dy, dx);
      else jsBackend.unaryBackward(op, x, y, dy, dx);
    },
    binary(op, a, b, shape, out) {
      const code = BINARY[op];
      if (code !== undefined && f32(a.data) && f32(b.data) && f32(out) && out.length > 0) {
        const [dims, [sa, sb]] = coalesce(shape, [a.strides, b.strides]);
        const r = dims.length;
        const inner = (s: number) => s === 0 || s === 1;
        if (r <= MAX_RANK && inner(sa[r - 1]) && inner(sb[r - 1])) {
          putView(putView(putDims(dims), a.offset, sa), b.offset, sb);
          addon.opsBinary(code, a.data, b.data, out, geometry);
          return;
        }
      }
      jsBackend.binary(op, a, b, shape, out);
    },
    reduce(op, x, shape, reduced, out) {
      const groups = f32(x) && f32(out) ? reduceGroups(shape, reduced) : null;
      if (groups)
        addon.opsReduce(REDUCE[op], x as Float32Array, groups[0], groups[1], groups[2], out as Float32Array);
      else jsBackend.reduce(op, x, shape, reduced, out);
    },
    stridedCopy(src, shape, out) {
      if (f32(src.data) && f32(out) && out.length > 0 && stridedGeometry(src, shape)) {
        addon.opsStridedCopy(src.data, out, geometry);
      } else jsBackend.stridedCopy(src, shape, out);
    },
    stridedAccumulate(src, shape, dst) {
      if (f32(src) && f32(dst.data) && src.length > 0 && stridedGeometry(dst, shape)) {
        addon.opsStridedAccumulate(src, dst.data, geometry);
      } else jsBackend.stridedAccumulate(src, shape, dst);
    },
    fill(out, value) {
      if (f32(out)) addon.opsFill(out, value);
      else out.fill(value);
    },
    indexSelect(x, outer, size, inner, index, out) {
      if (f32(x) && f32(out)) addon.opsIndexSelect(x, outer, size, inner, index, out);
      else jsBackend.indexSelect(x, outer, size, inner, index, out);
    },
    indexAdd(dst, outer, size, inner, index, src) {
      if (f32(dst) && f32(src)) addon.opsIndexAdd(dst, outer, size, inner, index, src);
      else jsBackend.indexAdd(dst, outer, size, inner, index, src);
    },
    softmax(x, outer, size, inner, log, out) {
      if (f32(x) && f32(out)) addon.opsSoftmax(x, outer, size, inner, log, out);
      else jsBackend.softmax(x, outer, size, inner, log, out);
    },
    softmaxBackward(y, dy, outer, size, inner, log, dx) {
      if (f32(y) && f32(dy) && f32(dx)) addon.opsSoftmaxBackward(y, dy, outer, size, inner, log, dx);
      else jsBackend.softmaxBackward(y, dy, outer, size, inner, log, dx);
    },
    adamStep(a) {
      const { param, grad, expAvg, expAvgSq, maxExpAvgSq } = a;
      if (
        f32(param) &&
        f32(grad) &&
        f32(expAvg) &&
        f32(expAvgSq) &&
        (maxExpAvgSq === null || f32(maxExpAvgSq))
      ) {
        adamScalars[0] = a.beta1;
        adamScalars[1] = a.beta2;
        adamScalars[2] = a.eps;
        adamScalars[3] = a.stepSize;
        adamScalars[4] = a.bias2Sqrt;
        adamScalars[5] = a.l2;
        adamScalars[6] = a.decay;
        addon.opsAdam(param, grad, expAvg, expAvgSq, maxExpAvgSq, adamScalars, a.maximize);
      } else jsBackend.adamStep(a);
    },
    sumSquares(x: FloatStorage, init: number): number {
      return f32(x) ? addon.opsSumSquares(x, init) : jsBackend.sumSquares(x, init);
    },
    dropout: (state, p, scale, x, mask, out) => addon.opsDropout(state, p, scale, x, mask, out),
  };

  /** Puts the merged geometry of `view` over `shape` into `geometry`; false above MAX_RANK dims. */
  function stridedGeometry(view: StridedView, shape: readonly number[]): boolean {
    const [dims, [strides]] = coalesce(shape, [view.strides]) as [number[], [number[]]];
    if (dims.length > MAX_RANK) return false;
    putView(putDims(dims), view.offset, strides);
    return true;
  }
}
