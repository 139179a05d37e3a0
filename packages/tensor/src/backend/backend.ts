import type { FloatStorage, Storage } from '../dtype';
import type { RecurrentLayerInputs, RecurrentLayerOutputs } from '../ops/recurrent';

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

  /**
   * One direction of one recurrent layer over a whole (packed or padded) sequence: per time step
   * one recurrent GEMM and the fused gate math. The input projection is precomputed for all steps
   * (see RecurrentForwardArgs). Fills the outputs and the saved buffers.
   */
  recurrentForward(args: RecurrentForwardArgs): void;
  /** Backpropagation through time for `recurrentForward`, from the same saved buffers. */
  recurrentBackward(args: RecurrentBackwardArgs): void;
  /**
   * Optional (wasm): room in the backend's own memory for the saved buffers (gates, hPrev, cells,
   * cPrev, hFull, hhN) of `args` (float32), kept from the forward to the backward
   * (RecurrentForwardArgs.saved) and freed at the latest when `args` is garbage collected; for a
   * node that will be recorded only. Undefined past the backend's cap (or for float64 args): the
   * arrays of `args` hold them.
   */
  reserveSaved?(args: RecurrentForwardArgs): SavedBlock | undefined;
  /**
   * Optional capability (wasm): a recurrent layer's input projections go straight into the saved
   * blocks that have `SavedBlock.project` (NOTE(fused-projection)). Without it (or false) the op
   * makes each xProj as `linear` does and never calls `project`: the A/B switch of the fusion.
   */
  readonly projectIntoSaved?: boolean;
  /**
   * Optional: several independent `recurrentForward` calls at once (the two directions of a
   * bidirectional layer), which a backend with threads may run in parallel. No buffer one call
   * writes is read or written by another, and each must compute exactly what it computes alone.
   * Without it, callers run the calls one by one (`recurrentForwardMany` in ops/recurrent.ts).
   */
  recurrentForwardMany?(args: readonly RecurrentForwardArgs[]): void;
  /** Optional: several independent `recurrentBackward` calls at once, as `recurrentForwardMany`. */
  recurrentBackwardMany?(args: readonly RecurrentBackwardArgs[]): void;
  /**
   * Optional capability: `recurrentForward(Many)` / `recurrentBackward(Many)` honour
   * `RecurrentForwardArgs.outBatchStride` (out written, dOut read in batch-first row order), so
   * that `recurrentLayer` gives a one-direction batch-first layer's output with no transpose
   * either way. Without it (or false), `recurrentLayer` transposes the time-major output
   * (`recurrentLayout`) and never sets `outBatchStride`.
   */
  readonly recurrentBatchFirst?: boolean;
  /**
   * Optional capability: `recurrentForward(Many)` / `recurrentBackward(Many)` honour
   * `RecurrentForwardArgs.outStride` (out written, dOut read as every D·O-th row of the layer's
   * own array), so that `recurrentLayer` writes each direction of a bidirectional layer straight
   * into its columns of the layer's output and reads their gradient there, with no copy either
   * way. Without it (or false), `recurrentLayer` puts the directions side by side with a copy
   * (`recurrentLayout`) and never sets `outStride`.
   */
  readonly recurrentOutStride?: boolean;
  /**
   * Optional: the forward of several independent sequences (as `recurrentForwardMany`) when no
   * gradient will flow back, so nothing is saved for a backward: fills only `out` (through its row
   * stride) and the final states, and may overwrite `xProj`. Each result must be what
   * `recurrentForward` gives for the same inputs, within the recurrence's float32 bounds (the
   * conformance suite's). `recurrentLayer` runs it through `layerInference` (`inferRecurrentLayer`);
   * without either, inference runs `recurrentForward(Many)` (ops/recurrent.ts).
   */
  recurrentInferMany?(args: readonly RecurrentInferArgs[]): void;
  /**
   * Optional: `recurrentInferMany` with the input projection fused in: each sequence gives the
   * layer's input x and W_ih (see RecurrentInferInputArgs) instead of xProj, and the kernel makes
   * x W_ihᵀ + biases itself, a few steps at a time, where `linear` would make all of it first.
   * Each result must be what `recurrentInferMany` gives on `linear`'s xProj, within the same bounds.
   * Without it, `inferRecurrentLayer` runs `linear` and then `recurrentInferMany`.
   */
  recurrentInferInputMany?(args: readonly RecurrentInferInputArgs[]): void;
  /**
   * Optional hook, no kernel: runs a whole `recurrentLayer` call (its directions, already checked)
   * forward-only, or returns null to decline, and `recurrentLayer` runs `linear` and
   * `recurrentForward(Many)`. A backend with `recurrentInferMany` / `recurrentInferInputMany` sets
   * it to `inferRecurrentLayer` of @seqlab/tensor/backend over its own kernels, which declines
   * when a gradient, recorded gates, a trace or a projection is needed. Kept out of the main entry
   * so that a bundle without such a backend (a browser's) leaves the forward-only path out.
   */
  layerInference?(
    list: readonly RecurrentLayerInputs[],
    options: LayerInferenceOptions,
  ): RecurrentLayerOutputs | null;

  /**
   * Optional: a fresh float array of `n` elements whose contents are unspecified (not zeroed), for
   * storage every element of which a kernel writes before anyone reads it (`takeStorage` of the
   * storage pool, when it holds no array of that length). It must own its whole buffer. Without it,
   * such storage is a zero-filled `new Float32Array(n)`; the native backend (Node.js) hands out
   * `Buffer.allocUnsafeSlow`'s memory and so skips that fill (a 3 MB layer output per call).
   */
  uninitializedStorage?(dtype: 'float32' | 'float64', n: number): FloatStorage;

  /**
   * Optional: y[r, j] += bias[j] for every row r of `rows` and column j of `n`, in place, each sum
   * rounded to y's dtype (what `y + bias` broadcast gives, bit for bit): `linear`'s bias. Without
   * it, `linear` adds the bias in JavaScript.
   */
  addBias?(y: FloatStorage, rows: number, n: number, bias: FloatStorage): void;

  /**
   * Optional: C[m, n] = A[m, k] @ B[n, k]ᵀ (A, B and C dense from offset 0), then c[r, j] +=
   * biases[i][j] for each bias in turn, every add rounded to C's dtype: the numbers of
   * `gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false)` followed by one `addBias` per bias, bit
   * for bit, in one call (`linear`'s forward; the native backend adds them to each tile of C
   * while it is in cache). Without it, `linear` makes those calls.
   */
  gemmBias?(
    m: number,
    n: number,
    k: number,
    a: FloatStorage,
    b: FloatStorage,
    c: FloatStorage,
    biases: readonly FloatStorage[],
  ): void;

  /**
   * Optional: dropout's mask and product in one pass, float32, drawing from the state of a
   * `Generator` (xoshiro128**, four 32-bit words, advanced in place by one draw per element): for
   * each i, u = the draw's top 24 bits / 2²⁴, mask[i] = scale where u ≥ p else 0, out[i] =
   * x[i] · mask[i], each rounded to float32 — the numbers and the final state of `dropout`'s own
   * loop, bit for bit. `dropout` calls it for a `Generator` whose draws are its own (not a
   * `TorchGenerator`) and p < 1; without it, it runs that loop in JavaScript.
   */
  dropout?(
    state: Uint32Array,
    p: number,
    scale: number,
    x: Float32Array,
    mask: Float32Array,
    out: Float32Array,
  ): void;

  /**
   * Optional fused optimizer kernel: Adam's (and AdamW's) update of one parameter in place (see
   * AdamStepArgs). @seqlab/optim calls it when the backend has it, else the js backend's, which is
   * the reference: a backend's version must give the js kernel's results bit for bit.
   */
  adamStep?(args: AdamStepArgs): void;
  /**
   * Optional fused reduction of clip-grad-norm: `init + Σ x[i]²`, accumulated in float64. The js
   * kernel adds the squares in order onto `init` (so a sum over several tensors is one running
   * sum); a backend may add them in another order, within float64 summation error.
   */
  sumSquares?(x: FloatStorage, init: number): number;
  /**
   * Optional (wasm): a memory of its own for an optimizer's float32 state, `bytes` of it from
   * `StateMemory.start` on, so that moment buffers kept there as views are updated in place by its
   * `adamStep` instead of being copied in and out of the kernels' memory every step
   * (NOTE(wasm-adam-state)). Null when the runtime cannot make one.
   */
  stateMemory?(bytes: number): StateMemory | null;
}

/**
 * A backend's memory for an optimizer's state (`Backend.stateMemory`): the bytes from `start` to
 * `end` are the caller's, to hold float32 views of `buffer` (16-byte aligned is best), and
 * `adamStep` is the backend's, bit for bit, reading and writing `expAvg`, `expAvgSq` and
 * `maxExpAvgSq` in place when they are such views (and copying other arrays as the backend's
 * does). The memory never grows after it is made, so its views stay valid as long as they are held.
 */
export interface StateMemory {
  /** The memory's bytes. */
  readonly buffer: ArrayBuffer;
  /** The first byte the caller may use. */
  readonly start: number;
  /** One byte past the last the caller may use (`start` + the bytes asked for). */
  readonly end: number;
  /** `Backend.adamStep`, with buffers that are views of `buffer` updated in place. */
  adamStep(args: AdamStepArgs): void;
}

/** The optional fused optimizer kernels, which the js backend (and so every backend built on it) has. */
export type FusedOptimizerKernels = Required<Pick<Backend, 'adamStep' | 'sumSquares'>>;

/**
 * Arguments of `adamStep`: one parameter θ with gradient g and its moment buffers m, v (and v̂
 * with amsgrad), all of one length and dtype, updated in place. The scalars are the step's, as
 * @seqlab/optim's Adam computes them: per element, in float64,
 *
 * ```text
 * g ← −g if maximize;  g ← g + l2·θ if l2 ≠ 0;  θ' = θ·decay
 * m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g·g;  v̂ ← max(v̂, v) (NaN-propagating) if amsgrad
 * θ ← θ' − (stepSize·m) / (√v̂ / bias2Sqrt + eps)       (v̂ = v without amsgrad)
 * ```
 *
 * each stored value rounded to the storage once, and read back rounded.
 */
export interface AdamStepArgs {
  /** The parameter θ, updated in place. */
  param: FloatStorage;
  /** Its gradient g (read only; the kernel negates and decays a copy of each element). */
  grad: FloatStorage;
  /** The first-moment buffer m, updated in place. */
  expAvg: FloatStorage;
  /** The second-moment buffer v, updated in place. */
  expAvgSq: FloatStorage;
  /** amsgrad's running maximum of v, else null. */
  maxExpAvgSq: FloatStorage | null;
  /** β1, the first moment's decay. */
  beta1: number;
  /** β2, the second moment's decay. */
  beta2: number;
  /** ε, added to the denominator. */
  eps: number;
  /** lr / (1 − β1ᵗ). */
  stepSize: number;
  /** √(1 − β2ᵗ). */
  bias2Sqrt: number;
  /** Adam's L2 weight decay λ (0 for AdamW). */
  l2: number;
  /** AdamW's decoupled decay factor 1 − lr·λ (1 for Adam). */
  decay: number;
  /** Ascend instead of descend: the gradient is negated first. */
  maximize: boolean;
}

/** The recurrent cells the fused kernels implement (PyTorch's gate orders: LSTM i,f,g,o; GRU r,z,n). */
export type RecurrentCell = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/**
 * Gates per recurrent cell: the G of every [·, G·H] buffer and weight (W_ih [G·H, I], W_hh
 * [G·H, O]). The one table of it; ops, kernels and layers all read this.
 */
export const RECURRENT_GATES: Readonly<Record<RecurrentCell, number>> = {
  lstm: 4,
  gru: 3,
  rnn_tanh: 1,
  rnn_relu: 1,
};

/**
 * Arguments of `recurrentForward`. Rows are time-major: step t owns rows offset_t … offset_t +
 * batchSizes[t] − 1 of every [N, ·] buffer (see NOTE(packed-batch-sizes) in PackedSequence; a
 * padded batch has batchSizes = [B, B, …]). G = 4 (LSTM), 3 (GRU), 1 (RNN); H hidden size; O the
 * output size (projSize for a projected LSTM, else H).
 */
export interface RecurrentForwardArgs {
  /** Which cell: G = 4 (`lstm`), 3 (`gru`), 1 (`rnn_tanh`, `rnn_relu`). */
  cell: RecurrentCell;
  /** H, the hidden size. */
  hidden: number;
  /** O, the size of h_t: projSize for a projected LSTM, else H. */
  outSize: number;
  /** B, the number of sequences (batchSizes[0] for a packed batch). */
  batch: number;
  /** Rows per time step, non-increasing (NOTE(packed-batch-sizes)); N is their sum. */
  batchSizes: Int32Array;
  /** Walk the steps from last to first (the reverse direction of a bidirectional layer). */
  reverse: boolean;
  /** x W_ihᵀ + b_ih (+ b_hh for LSTM and RNN) for every step, [N, G·H]. */
  xProj: FloatStorage;
  /** W_hh, [G·H, O]. */
  wHh: FloatStorage;
  /** GRU only: b_hh, [G·H] (it sits inside the reset gate's product), else null. */
  bHh: FloatStorage | null;
  /** Projected LSTM only: W_hr, [O, H], else null. */
  wHr: FloatStorage | null;
  /** Initial states, [B, O] and (LSTM) [B, H], in sorted batch order. */
  h0: FloatStorage;
  /** LSTM only: the initial cell state, [B, H], in sorted batch order; else null. */
  c0: FloatStorage | null;
  /** Output: h_t for every row, [N, O]. */
  out: FloatStorage;
  /** Output: each sequence's final h (at its own last step), [B, O]. */
  hN: FloatStorage;
  /** Output (LSTM): each sequence's final cell state, [B, H]; else null. */
  cN: FloatStorage | null;
  /**
   * Saved for backward: gate activations [N, G·H] (LSTM i,f,g,o; GRU r,z,n; RNN h). LSTM and RNN:
   * may be xProj itself (the same array), which the gates start as; the results are then the same.
   */
  gates: FloatStorage;
  /** Saved: the state each row started from, [N, O]. */
  hPrev: FloatStorage;
  /** Saved (LSTM): c_t and c_{t−1} per row, [N, H]. */
  cells: FloatStorage | null;
  /** Saved (LSTM): c_{t−1} per row, [N, H]; else null. */
  cPrev: FloatStorage | null;
  /** Saved (projected LSTM): o ⊙ tanh(c_t) before the projection, [N, H]. */
  hFull: FloatStorage | null;
  /** Saved (GRU): W_hn h_{t−1} + b_hn per row, [N, H]. */
  hhN: FloatStorage | null;
  /**
   * A padded batch's `out` (and the backward's `dOut`) in batch-first row order, for a backend
   * with `recurrentBatchFirst` only: batch row j of step t (t counted from 0 within these args'
   * batchSizes) is row j · outBatchStride + t of them (outBatchStride = T: a [B, T, O] array
   * read as [B·T, O]), where it is row offset_t + j without it; both arrays then hold at least
   * ((B − 1) · outBatchStride + T) · O elements. Every other [N, ·] buffer stays time-major. The
   * backward then adds 0 + dOut (not dOut) into dL/dh_t: the bits of the time-major path, whose
   * transpose of the gradient was 0 + g (NOTE(layout-bits) in ops/recurrent-layout.ts).
   * Absent: every buffer time-major.
   */
  outBatchStride?: number;
  /**
   * Elements between two rows of `out` and of the backward's `dOut`, for a backend with
   * `recurrentOutStride` only: a bidirectional layer's [N, D·O] output with `out` its subarray
   * from column d·O on and outStride = D·O has direction d write its columns straight into it
   * (rows time-major, or batch-first with `outBatchStride`), and read its gradient there. Row r
   * then starts at element r · outStride of both, which hold at least (last row) · outStride + O
   * elements. The forward writes 0 + h_t (not h_t): the bits of the concatenation into zeros it
   * replaces (NOTE(layout-bits) in ops/recurrent-layout.ts); dOut is read as without it. Absent: O.
   */
  outStride?: number;
  /**
   * h0 and c0 are zeros the op made (no initial state given; `recurrentZeroState`) and need no
   * gradient: the kernels may skip the first visited step's recurrent product h0 W_hhᵀ (adding +0
   * instead, the same bits), the backward's dh0 = dgates W_hh (dh0 is then zeros, and no one reads
   * it) and the first visited step's hPrev rows in dW_hh (see NOTE(zero-state-step) in
   * js/recurrent/loop.ts). Absent or false: h0 and c0 are read as given.
   */
  zeroState?: boolean;
  /**
   * The saved buffers in the backend's own memory (`reserveSaved`; only for the backend that gave
   * it): then the arrays gates (but for xProj copied in as their start), hPrev, cells, cPrev, hFull
   * and hhN are neither written nor read, and may be empty.
   */
  saved?: SavedBlock | undefined;
}

/** One direction's saved buffers in a backend's memory (`Backend.reserveSaved`); opaque otherwise. */
export interface SavedBlock {
  /** The same buffers from row `r0` on (NOTE(zero-gradient-steps)): a view, freeing nothing. */
  rows(r0: number): SavedBlock;
  /**
   * Unless `active` (the backend about to run the backward) is the one that gave the block: copies
   * the buffers into the arrays of `args` (made full size where they are not), frees the block,
   * deletes `args.saved`.
   */
  materialize(args: RecurrentForwardArgs, active: Backend): void;
  /** Gives the memory back (once; later calls do nothing). Using the block after it throws. */
  free(): void;
  /**
   * Optional (wasm, NOTE(fused-projection)): writes an LSTM's or RNN's input projection
   * x W_ihᵀ + Σ biases (`linear`'s numbers; x [N, I], W_ih [G·H, I], biases [G·H], float32) straight
   * into the block's gates, where the forward starts from them: the args' xProj and gates are then
   * empty. From then on every backward with the block leaves dxProj in the backend's memory (the
   * args' dxProj empty, never written) for `projectionGradient`. False: nothing done.
   */
  project?(x: FloatStorage, wIh: FloatStorage, biases: readonly FloatStorage[]): boolean;
  /** After a backward of a projected block (`project`): the dxProj it left, once; free it when done. */
  projectionGradient?(): ProjectionGradient;
}

/**
 * dxProj [rows, G·H] of a backward, in a backend's memory (SavedBlock.projectionGradient): the input
 * projection's backward products from it, each the numbers of the backend's `gemm` / `reduce`
 * on the same rows as an array.
 */
export interface ProjectionGradient {
  /** out[at …] = dxProj W_ih, W_ih [G·H, I] (gemm, neither transposed). */
  dx(wIh: FloatStorage, I: number, out: FloatStorage, at: number): void;
  /** out = dxProjᵀ x, x's rows from `xOff` on, [rows, I] (gemm, A transposed). */
  dw(x: FloatStorage, xOff: number, I: number, out: FloatStorage): void;
  /** out = the sum of dxProj's rows (reduce 'sum' over dim 0). */
  db(out: FloatStorage): void;
  /** Gives the memory back. */
  free(): void;
}

/**
 * Arguments of `recurrentInferMany`: one direction of one layer, forward only (no projection: a
 * projected LSTM runs `recurrentForward`). Layouts as RecurrentForwardArgs, except `out`.
 */
export interface RecurrentInferArgs {
  /** Which cell: G = 4 (`lstm`), 3 (`gru`), 1 (`rnn_tanh`, `rnn_relu`). */
  cell: RecurrentCell;
  /** H, the hidden size (no projection: a projected LSTM takes `recurrentForward`). */
  hidden: number;
  /** B, the number of sequences (batchSizes[0] for a packed batch). */
  batch: number;
  /** Rows per time step, non-increasing (NOTE(packed-batch-sizes)); N is their sum. */
  batchSizes: Int32Array;
  /** Walk the steps from last to first (the reverse direction of a bidirectional layer). */
  reverse: boolean;
  /** x W_ihᵀ + b_ih (+ b_hh for LSTM and RNN), [N, G·H]; the kernel may use it as scratch. */
  xProj: FloatStorage;
  /** W_hh, [G·H, H]. */
  wHh: FloatStorage;
  /** GRU: b_hh, [G·H] (it stays inside the reset gate's product); else null. */
  bHh: FloatStorage | null;
  /** The initial hidden state, [B, H], in sorted batch order. */
  h0: FloatStorage;
  /** LSTM only: the initial cell state, [B, H], in sorted batch order; else null. */
  c0: FloatStorage | null;
  /**
   * Output: h_t of row r at out[outOffset + r · outStride + k] (k < H): outStride = D·H and outOffset = d·H
   * write direction d of a bidirectional layer straight into the concatenated [N, D·H] output.
   */
  out: FloatStorage;
  /** Elements between two rows of `out` (H for one direction alone, D·H side by side). */
  outStride: number;
  /** Where row 0 of this direction starts in `out` (d·H for direction d). */
  outOffset: number;
  /** Output: each sequence's final hidden state, [B, H]. */
  hN: FloatStorage;
  /** Output (LSTM): each sequence's final cell state, [B, H]; else null. */
  cN: FloatStorage | null;
}

/** The row orders of a `layerInference` call, as `recurrentLayer` checked them. */
export interface LayerInferenceOptions {
  /** The directions' input rows are batch-first (`RecurrentLayerInput.batchFirst`, on every direction). */
  xBatchFirst: boolean;
  /** `out` is wanted in batch-first row order (`RecurrentLayerOptions.batchFirst`). */
  outBatchFirst: boolean;
  /** The reverse direction may be deferred (`RecurrentLayerOptions.deferReverse`). */
  deferReverse?: boolean | undefined;
  /** With `deferReverse`: x is the caller's own and unchanged (`RecurrentLayerOptions.internalInput`). */
  internalInput?: boolean | undefined;
}

/**
 * Arguments of `recurrentInferInputMany`: those of `recurrentInferMany` with the layer's input in
 * place of xProj, which the kernel computes as `linear(x, wIh, xBiases)` does: x W_ihᵀ, then each
 * bias added in turn, rounded after each add.
 */
export interface RecurrentInferInputArgs extends Omit<RecurrentInferArgs, 'xProj'> {
  /** The layer's input, [N, I], time-major rows as xProj's (read only). */
  x: FloatStorage;
  /** I, the input features of a row of x. */
  inputSize: number;
  /** W_ih, [G·H, I] (read only). */
  wIh: FloatStorage;
  /** The biases added to x W_ihᵀ in this order, each [G·H]: b_ih, then b_hh for LSTM and RNN (a GRU's b_hh is `bHh`); empty without biases. */
  xBiases: readonly FloatStorage[];
  /**
   * x's rows in batch-first order, a padded batch only (every batch size = B): step t of sequence
   * b is row b·T + t, not t·B + b (default false: time-major).
   */
  xBatchFirst?: boolean;
  /** out's rows in batch-first order, as `xBatchFirst` (default false: time-major). */
  outBatchFirst?: boolean;
}

/** Arguments of `recurrentBackward`: the forward's arguments plus gradients in and out. */
export interface RecurrentBackwardArgs extends RecurrentForwardArgs {
  /** dL/d out [N, O], dL/d hN [B, O], dL/d cN [B, H]; null where no gradient arrived. */
  dOut: FloatStorage | null;
  /** dL/d hN, [B, O], or null. */
  dhN: FloatStorage | null;
  /** LSTM: dL/d cN, [B, H], or null. */
  dcN: FloatStorage | null;
  /** Result: dL/d xProj, [N, G·H] (overwritten). */
  dxProj: FloatStorage;
  /** Result: dL/d W_hh, [G·H, O] (accumulated into). */
  dwHh: FloatStorage;
  /** Result (GRU): dL/d b_hh, [G·H] (accumulated into); else null. */
  dbHh: FloatStorage | null;
  /** Result (projected LSTM): dL/d W_hr, [O, H] (accumulated into); else null. */
  dwHr: FloatStorage | null;
  /** Result: dL/d h0, [B, O] (overwritten). */
  dh0: FloatStorage;
  /** Result (LSTM): dL/d c0, [B, H] (overwritten); else null. */
  dc0: FloatStorage | null;
  /** Optional diagnostics: the total dL/dh_t of every row, [N, O], or null. */
  dhTrace: FloatStorage | null;
  /** Optional diagnostics (LSTM): the total dL/dc_t of every row, [N, H], or null. */
  dcTrace: FloatStorage | null;
}

/** A view into flat storage: element offset and per-dimension strides (0 = broadcast). */
export interface StridedView {
  /** The flat storage the view reads. */
  readonly data: Storage;
  /** Index in `data` of the view's first element. */
  readonly offset: number;
  /** Elements to step in `data` per index of each dimension, outermost first (0 = broadcast, negative = flipped). */
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
