// NOTE(zero-gradient-steps): backpropagation through time visits a direction's steps in the
// reverse of the order it processed them, carrying dL/dh (and dL/dc) from each step to the one
// processed before it. When no gradient reaches the final states (dhN, dcN absent or all zero) and
// the output gradient rows of the last processed steps are all exactly zero, the carried gradient
// stays exactly zero through those steps: their gate gradients, their rows of dxProj and their
// terms of dW_hh, db_hh and dW_hr are all zero. The backward then starts at the last processed step
// with a nonzero output gradient and runs the kernel on the steps before it alone (in processing
// order: steps 0…k of the forward direction, k…T−1 of the reverse one). A layer's rows are
// step-contiguous (time-major, packed too), so those steps are one block of rows; a batch-first
// out and dOut (RecurrentForwardArgs.outBatchStride), or rows of a wider array (outStride), are
// narrowed to those steps by their offset.
//
// It triggers where a loss reads one end of a bidirectional layer: a classifier on the last time
// step gives the reverse direction's every step but its first processed one a zero gradient.
// Packed batches skip whole steps only (every row of the step zero).
//
// Only exact zeros count (`=== 0`: +0 and −0; NaN is nonzero). With non-finite saved activations
// PyTorch, which computes every step, would turn 0·inf into NaN in the skipped rows' gradients,
// where we return 0: that is the only difference.
import type { RecurrentBackwardArgs, RecurrentForwardArgs } from '../backend/backend';
import type { FloatStorage } from '../dtype';

/** The steps of one direction whose backward can be nonzero: steps [t0, t1), rows [r0, r1). */
export interface KeptSteps {
  /** First kept time step. */
  t0: number;
  /** One past the last kept time step. */
  t1: number;
  /** First kept row (time-major). */
  r0: number;
  /** One past the last kept row. */
  r1: number;
}

let enabled = true;

/**
 * Turns the skip of NOTE(zero-gradient-steps) on or off (on by default) and returns the previous
 * setting: the tests compare the gradients with and without it. Not part of the package's API.
 */
export function setZeroStepSkip(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/**
 * The first element of `data` in [start, end) that is not exactly zero (`data[k] !== 0`: +0 and −0
 * are zero, NaN is not), or −1. A float32 is ±0 when its bits but the sign are all zero, so four at
 * a time: their bits or-ed, the sign masked (about twice the speed of the element loop, which V8
 * runs at ≈ 1 ns an element: W1's deferred reverse direction scans 409,600 zeros twice a step;
 * eight at a time is no faster).
 */
export function firstNonzero(data: FloatStorage, start = 0, end = data.length, b = wordsOf(data)): number {
  let k = start;
  if (b) for (; k + 4 <= end; k += 4) if (((b[k] | b[k + 1] | b[k + 2] | b[k + 3]) & 0x7fffffff) !== 0) break;
  for (; k < end; k++) if (data[k] !== 0) return k;
  return -1;
}

/** A float32 array's elements as int32 words (their bits; null for float64): made once for a scan of many rows. */
export function wordsOf(data: FloatStorage): Int32Array | null {
  return data instanceof Float32Array ? new Int32Array(data.buffer, data.byteOffset, data.length) : null;
}

/** Whether every element of `data` is exactly zero (+0 or −0). */
function allZero(data: FloatStorage | null): boolean {
  return !data || firstNonzero(data) < 0;
}

/**
 * Whether dOut's rows of step t are all exactly zero: rows offset_t … (time-major) or j·S + t
 * (batch-first), row r at r·R (outStride; default O).
 */
function stepZero(
  dOut: FloatStorage,
  O: number,
  start: number,
  rows: number,
  t: number,
  S?: number,
  R = O,
): boolean {
  // Time-major rows O apart are one block.
  if (S === undefined && R === O) return firstNonzero(dOut, start * O, (start + rows) * O) < 0;
  const words = wordsOf(dOut);
  for (let j = 0; j < rows; j++) {
    const r = S === undefined ? start + j : j * S + t;
    if (firstNonzero(dOut, r * R, r * R + O, words) >= 0) return false;
  }
  return true;
}

/**
 * The steps one direction's backward must visit (see NOTE(zero-gradient-steps)): all of them
 * unless the final-state gradients are absent or zero, else the processed steps up to the last one
 * whose output gradient rows are not all zero (none: an empty block).
 *
 * @param O the width of a dOut row.
 * @param outBatchStride dOut's rows batch-first (RecurrentForwardArgs.outBatchStride), else time-major.
 * @param outStride elements between dOut's rows (RecurrentForwardArgs.outStride), default O.
 */
export function keptSteps(
  batchSizes: Int32Array,
  reverse: boolean,
  O: number,
  dOut: FloatStorage | null,
  dhN: FloatStorage | null,
  dcN: FloatStorage | null,
  outBatchStride?: number,
  outStride?: number,
): KeptSteps {
  const T = batchSizes.length;
  let N = 0;
  for (let t = 0; t < T; t++) N += batchSizes[t];
  // Nothing is skipped when a final state has a gradient: the last processed step carries it.
  const skip = enabled && allZero(dhN) && allZero(dcN);
  // Walk back from the last processed step while its rows of dOut are all zero.
  let t0 = 0;
  let t1 = T;
  let r0 = 0;
  let r1 = N;
  while (skip && t0 < t1) {
    const t = reverse ? t0 : t1 - 1;
    const rows = batchSizes[t];
    const start = reverse ? r0 : r1 - rows;
    if (dOut && !stepZero(dOut, O, start, rows, t, outBatchStride, outStride)) break;
    if (reverse) {
      t0++;
      r0 += rows;
    } else {
      t1--;
      r1 -= rows;
    }
  }
  return { t0, t1, r0, r1 };
}

/**
 * out's or dOut's rows of the kept steps: the block r0…r1 (time-major), or, batch-first (rows
 * j·S + t, RecurrentForwardArgs.outBatchStride), the array from step t0's first row on; rows
 * outStride apart when given (the array then ends where the block's last row does).
 */
function outRows<S extends FloatStorage | null>(s: S, a: RecurrentForwardArgs, kept: KeptSteps): S {
  if (!s) return s;
  const O = a.outSize;
  const R = a.outStride ?? O;
  if (a.outBatchStride !== undefined) return s.subarray(kept.t0 * R) as S;
  return s.subarray(kept.r0 * R, kept.r1 > kept.r0 ? (kept.r1 - 1) * R + O : kept.r0 * R) as S;
}

/** A per-row buffer ([N, width]) narrowed to the kept block of rows r0…r1 (a view). */
function keptRows<S extends FloatStorage | null>(s: S, kept: KeptSteps, width: number): S {
  return (s ? s.subarray(kept.r0 * width, kept.r1 * width) : null) as S;
}

/**
 * The forward's arguments restricted to the steps of `kept`: batchSizes and every per-row buffer
 * ([N, ·]) narrowed to the block (views, no copies).
 */
export function keptForwardArgs(a: RecurrentForwardArgs, kept: KeptSteps, GH: number): RecurrentForwardArgs {
  const O = a.outSize;
  const H = a.hidden;
  const gates = keptRows(a.gates, kept, GH);
  return {
    ...a,
    batchSizes: a.batchSizes.subarray(kept.t0, kept.t1),
    // The gates may be xProj's own array: keep them one array.
    xProj: a.xProj === a.gates ? gates : keptRows(a.xProj, kept, GH),
    gates,
    out: outRows(a.out, a, kept),
    hPrev: keptRows(a.hPrev, kept, O),
    cells: keptRows(a.cells, kept, H),
    cPrev: keptRows(a.cPrev, kept, H),
    hFull: keptRows(a.hFull, kept, H),
    hhN: keptRows(a.hhN, kept, H),
    saved: a.saved?.rows(kept.r0),
  };
}

/**
 * The backward's arguments restricted to the kept steps: `keptForwardArgs`, with the gradients'
 * per-row buffers narrowed too and no final-state gradients (they are zero). The block holds the
 * direction's first processed step, so h0, c0, dh0 and dc0 keep their meaning.
 */
export function keptArgs(a: RecurrentBackwardArgs, kept: KeptSteps, GH: number): RecurrentBackwardArgs {
  return {
    ...a,
    ...keptForwardArgs(a, kept, GH),
    dOut: outRows(a.dOut, a, kept),
    dhN: null,
    dcN: null,
    dxProj: keptRows(a.dxProj, kept, GH),
    dhTrace: keptRows(a.dhTrace, kept, a.outSize),
    dcTrace: keptRows(a.dcTrace, kept, a.hidden),
  };
}
