import type { FloatStorage, Storage } from '../dtype';

/**
 * The compute backend interface: every numeric loop of seqlab runs behind it. Ops validate their
 * arguments and then call these kernels; a kernel may assume valid input. A backend implements
 * every kernel (a missing one fails the typecheck), so the WebAssembly-SIMD and native backends
 * slot in without touching ops or layers.
 *
 * Conventions: storage is flat and row-major; "strided" arguments describe a view into storage
 * by an element offset and per-dimension strides (0 for a broadcast dimension, negative for a
 * flipped one); outputs are contiguous and preallocated by the caller.
 */
export interface Backend {
  /** Short name reported by `getBackend()`, e.g. `js`. */
  readonly name: string;

  /** out[i] = f(x[i]). `x` and `out` have the same length and floating dtype. */
  unary(op: UnaryOp, x: FloatStorage, out: FloatStorage): void;
  /** dx[i] = dy[i] * f'(x[i]), given the forward input `x` and output `y`. */
  unaryBackward(op: UnaryOp, x: FloatStorage, y: FloatStorage, dy: FloatStorage, dx: FloatStorage): void;
  /** out[i] = min(max(x[i], lo), hi); `lo`/`hi` may be ±Infinity. */
  clamp(x: FloatStorage, lo: number, hi: number, out: FloatStorage): void;
  /** dx[i] = dy[i] where lo <= x[i] <= hi, else 0 (PyTorch's clamp gradient). */
  clampBackward(x: FloatStorage, lo: number, hi: number, dy: FloatStorage, dx: FloatStorage): void;

  /** out = a (op) b elementwise over `shape`, reading a and b through strided views (broadcasting). */
  binary(op: BinaryOp, a: StridedView, b: StridedView, shape: readonly number[], out: Storage): void;
  /** out = cond ? a : b over `shape`, all three read through strided views. */
  where(cond: StridedView, a: StridedView, b: StridedView, shape: readonly number[], out: Storage): void;

  /** Reduces `x` of `shape` over the dims flagged in `reduced`; `out` has the kept dims' sizes. */
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], reduced: readonly boolean[], out: Storage): void;
  /** Index of the first max (or min) along the middle axis of x viewed as [outer, size, inner]. */
  argReduce(
    op: 'argmax' | 'argmin',
    x: Storage,
    outer: number,
    size: number,
    inner: number,
    out: Int32Array,
  ): void;

  /** Copies the strided view `src` of `shape` into contiguous `out`. */
  stridedCopy(src: StridedView, shape: readonly number[], out: Storage): void;
  /** dst[view] += src: adds contiguous `src` of `shape` into the strided view `dst` (repeated positions accumulate). */
  stridedAccumulate(src: Storage, shape: readonly number[], dst: StridedView): void;
  /** Fills `out` with `value`. */
  fill(out: Storage, value: number): void;

  /**
   * C[m, n] = (accumulate ? C : 0) + op(A) @ op(B), with op(A) [m, k] and op(B) [k, n]. A is stored
   * [m, k] (or [k, m] when transA) from offset aOff, B [k, n] (or [n, k] when transB) from bOff,
   * C [m, n] from cOff, all row-major and dense.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatStorage,
    aOff: number,
    b: FloatStorage,
    bOff: number,
    c: FloatStorage,
    cOff: number,
    accumulate: boolean,
  ): void;

  /** x viewed as [outer, size, inner]: out[o, i, j] = x[o, index[i], j], out is [outer, index.length, inner]. */
  indexSelect(x: Storage, outer: number, size: number, inner: number, index: Int32Array, out: Storage): void;
  /** dst viewed as [outer, size, inner]: dst[o, index[i], j] += src[o, i, j] (embedding backward). */
  indexAdd(
    dst: FloatStorage,
    outer: number,
    size: number,
    inner: number,
    index: Int32Array,
    src: FloatStorage,
  ): void;
  /**
   * Along one dim: out[..., i, ...] = x[..., index[..., i, ...], ...] (torch.gather), with x viewed as
   * [outer, xSize, inner] and index/out as [outer, idxSize, inner'] where inner' <= inner is described
   * by `indexShape` (the full shape of index) and `xShape`.
   */
  gather(
    x: Storage,
    xShape: readonly number[],
    dim: number,
    index: Int32Array,
    indexShape: readonly number[],
    out: Storage,
  ): void;
  /** dst[..., index[..., i, ...], ...] += src[..., i, ...] along `dim` (torch.scatter_add_), in place. */
  scatterAdd(
    dst: Storage,
    dstShape: readonly number[],
    dim: number,
    index: Int32Array,
    indexShape: readonly number[],
    src: Storage,
  ): void;

  /** Softmax (or log-softmax) of x viewed as [outer, size, inner] along the middle axis. */
  softmax(x: FloatStorage, outer: number, size: number, inner: number, log: boolean, out: FloatStorage): void;
  /** Backward of `softmax` from its output y: dx = y * (dy - sum(dy * y)) (log: dx = dy - exp(y) * sum(dy)). */
  softmaxBackward(
    y: FloatStorage,
    dy: FloatStorage,
    outer: number,
    size: number,
    inner: number,
    log: boolean,
    dx: FloatStorage,
  ): void;
}

/** A view into flat storage: element offset and per-dimension strides (0 = broadcast). */
export interface StridedView {
  readonly data: Storage;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Elementwise functions of one argument. */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'sign';

/** Elementwise functions of two arguments; the comparisons produce bool (0/1). */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

/** Reductions over a set of dims. */
export type ReduceOp = 'sum' | 'max' | 'min';
