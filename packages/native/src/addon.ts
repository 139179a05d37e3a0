import type {
  RecurrentBackwardArgs,
  RecurrentForwardArgs,
  RecurrentInferArgs,
  RecurrentInferInputArgs,
} from '@seqlab/tensor/backend';

/**
 * The functions the compiled addon exports (src/c/*-binding.c). Typed arrays are read in place,
 * never copied; every offset and length is checked in C against the array (a RangeError, never a
 * write out of bounds). Float32 only: the backend sends float64 work to the js kernels.
 */
export interface NativeAddon {
  /**
   * C[m, n] = (accumulate ? C : 0) + op(A) @ op(B), as the Backend's `gemm`; then, for each of up
   * to four `biases` ([n] or longer) in turn, every row of C += it, one rounding per add (the
   * Backend's `gemmBias`), on each tile of C while it is in cache.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    accumulate: boolean,
    ...biases: Float32Array[]
  ): void;
  /** How many `biases` `gemm` takes (4); an addon without it ignores them (refused at load). */
  gemmMaxBiases(): number;
  /** op(B) [k, n] packed into the active micro-kernel's `nr`-column panels, 64-byte aligned. */
  packB(transB: boolean, k: number, n: number, b: Float32Array, bOff: number): Float32Array;
  /**
   * C[m, n] (+)= A[m, k] (row-major, from aOff) @ B packed by `packB`; `nr` is the panel width B
   * was packed with (a RangeError when it is not the active micro-kernel's).
   */
  gemmPacked(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    packed: Float32Array,
    c: Float32Array,
    cOff: number,
    accumulate: boolean,
    nr: number,
  ): void;
  /** The GEMM micro-kernel chosen at load: its instruction set, why, and its block size. */
  gemmInfo(): { isa: NativeIsa; reason: string; mr: number; nr: number };
  /** Forces a micro-kernel by instruction set; false when this CPU cannot run it. Arrays packed before the switch are refused after it. */
  setIsa(isa: NativeIsa): boolean;
  /**
   * GFLOP/s of `iters` rounds of register-only FMAs on the active instruction set, over wall time
   * and this thread's CPU time: the arithmetic peak a GEMM's efficiency is measured against.
   */
  fmaPeak(iters: number): { wall: number; cpu: number };
  /**
   * The fused recurrence: one direction of one layer over the whole sequence, in place on the
   * arguments' Float32Arrays (every saved buffer filled as the js kernels fill it). A TypeError for
   * a buffer that is not a Float32Array, a RangeError for one of the wrong length.
   */
  recurrentForward(args: RecurrentForwardArgs): void;
  /** Backpropagation through time for `recurrentForward`, from the same saved buffers. */
  recurrentBackward(args: RecurrentBackwardArgs): void;
  /**
   * Several independent `recurrentForward` calls (the directions of a bidirectional layer: no
   * buffer one writes may be another's): with two threads or more each runs whole on one thread
   * of the pool, all at once; else one after the other. Each computes what it would alone, bit
   * for bit. Every argument object is checked before any runs.
   */
  recurrentForwardMany(args: readonly RecurrentForwardArgs[]): void;
  /** Several independent `recurrentBackward` calls, as `recurrentForwardMany`. */
  recurrentBackwardMany(args: readonly RecurrentBackwardArgs[]): void;
  /**
   * The forward of independent sequences when no gradient will flow back (the Backend's
   * `recurrentInferMany`; `outSize` = `hidden`, which the addon's argument reader takes): out, hN
   * and cN only, nothing saved, xProj overwritten; run at once as `recurrentForwardMany` runs.
   * With `x` (the Backend's `recurrentInferInputMany`: x, inputSize, wIh, xBiases) each range of
   * rows makes its own input projection, a few steps at a time (src/c/recurrent-infer.c).
   */
  recurrentInferMany(
    args: readonly ((RecurrentInferArgs | RecurrentInferInputArgs) & { outSize: number })[],
  ): void;
  /** The build of the recurrence's gate math that runs: the GEMM's instruction set (AVX-512, AVX2 + FMA), or portable C under the scalar GEMM. */
  recurrentInfo(): {
    isa: 'avx512' | 'avx2' | 'portable';
    /** recurrentForward/Backward read `outBatchStride` (absent from older builds). */
    batchFirstOut?: boolean;
    /** recurrentForward/Backward read `outStride` (absent from older builds). */
    outStride?: boolean;
  };
  // The float32 kernels of src/c/ops.h (see src/ops.ts, which calls them; src/c/ops-binding.c
  // checks every length, stride and index). Op codes are ops.h's enums; `geometry` is
  // [rank, dims…, offset, strides…] per view (binary: a's then b's).
  opsUnary(op: number, x: Float32Array, out: Float32Array): void;
  opsUnaryBackward(op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  opsBinary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, geometry: Int32Array): void;
  opsReduce(op: number, x: Float32Array, outer: number, size: number, inner: number, out: Float32Array): void;
  opsStridedCopy(src: Float32Array, out: Float32Array, geometry: Int32Array): void;
  opsStridedAccumulate(src: Float32Array, dst: Float32Array, geometry: Int32Array): void;
  opsFill(out: Float32Array, value: number): void;
  opsIndexSelect(
    x: Float32Array,
    outer: number,
    size: number,
    inner: number,
    index: Int32Array,
    out: Float32Array,
  ): void;
  opsIndexAdd(
    dst: Float32Array,
    outer: number,
    size: number,
    inner: number,
    index: Int32Array,
    src: Float32Array,
  ): void;
  opsSoftmax(
    x: Float32Array,
    outer: number,
    size: number,
    inner: number,
    log: boolean,
    out: Float32Array,
  ): void;
  opsSoftmaxBackward(
    y: Float32Array,
    dy: Float32Array,
    outer: number,
    size: number,
    inner: number,
    log: boolean,
    dx: Float32Array,
  ): void;
  /** Adam's update in place; scalars [β1, β2, eps, stepSize, bias2Sqrt, l2, decay] (see AdamStepArgs). */
  opsAdam(
    param: Float32Array,
    grad: Float32Array,
    expAvg: Float32Array,
    expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null,
    scalars: Float64Array,
    maximize: boolean,
  ): void;
  /** init + Σ x², in float64. */
  opsSumSquares(x: Float32Array, init: number): number;
  /** Dropout's mask and product drawing from a Generator's state [4], advanced in place (Backend.dropout). */
  opsDropout(
    state: Uint32Array,
    p: number,
    scale: number,
    x: Float32Array,
    mask: Float32Array,
    out: Float32Array,
  ): void;
  /** The build of these kernels that runs: the GEMM's instruction set, or portable C under the scalar GEMM. */
  opsInfo(): { isa: 'avx512' | 'avx2' | 'portable' };
  /** Threads of the pool, the calling thread included. */
  threads(): number;
  /** Resizes the pool to `n` threads (1 to 1024), the calling thread included. */
  setThreads(n: number): void;
  /**
   * Tells the process's malloc (glibc) to keep freed memory for reuse: arrays up to 32 MiB from the
   * heap, up to 1 GiB of freed memory kept. False where the C library is not glibc (nothing changes).
   */
  retainFreedMemory(): boolean;
}

/** The instruction sets the GEMM has micro-kernels for, fastest first. */
export type NativeIsa = 'avx512' | 'avx2' | 'scalar';

/** The functions every addon must export: a binary built from older sources is refused. */
export const ADDON_FUNCTIONS = [
  'gemm',
  'gemmMaxBiases',
  'packB',
  'gemmPacked',
  'gemmInfo',
  'setIsa',
  'fmaPeak',
  'recurrentForward',
  'recurrentBackward',
  'recurrentForwardMany',
  'recurrentBackwardMany',
  'recurrentInferMany',
  'recurrentInfo',
  'threads',
  'setThreads',
  'retainFreedMemory',
  'opsUnary',
  'opsUnaryBackward',
  'opsBinary',
  'opsReduce',
  'opsStridedCopy',
  'opsStridedAccumulate',
  'opsFill',
  'opsIndexSelect',
  'opsIndexAdd',
  'opsSoftmax',
  'opsSoftmaxBackward',
  'opsAdam',
  'opsSumSquares',
  'opsDropout',
  'opsInfo',
] as const satisfies readonly (keyof NativeAddon)[];
