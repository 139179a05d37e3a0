import type { FloatStorage } from '../../../dtype';
import {
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentCell,
  type RecurrentForwardArgs,
} from '../../backend';
import { type GemmKernels, jsGemmKernels } from '../gemm';
import type { BackwardState, CellKernel, ForwardState } from './cell';
import { gru } from './gru';
import { lstm } from './lstm';
import { rnnRelu, rnnTanh } from './rnn';

// Fused recurrent kernels: one direction of one layer over the whole sequence. The input
// projection x W_ihᵀ (+ biases) is computed beforehand for every step by one GEMM; here each step
// does one recurrent GEMM h_{t−1} W_hhᵀ and the cell's gate math in one pass over its rows. This
// file owns what every cell shares: the time loop (forward, reverse, packed), the working state,
// the packed recurrent weights and every GEMM. Each cell's gate math, forward and backward side
// by side, is in the file named after it (lstm.ts, gru.ts, rnn.ts).
//
// Rows are time-major and a step's active sequences are its first batchSizes[t] rows (see
// NOTE(packed-batch-sizes)); a working state of B rows carries h (and c) between steps, so
// sequences that have ended (forward) or not yet started (reverse) keep their state untouched.
// With `outBatchStride` (RecurrentForwardArgs) out and dOut alone are batch-first; with
// `outStride` their rows are that far apart (a direction's columns of a bidirectional layer's
// output), and h_t goes into out as 0 + h_t.

const CELLS: Readonly<Record<RecurrentCell, CellKernel>> = {
  lstm,
  gru,
  rnn_tanh: rnnTanh,
  rnn_relu: rnnRelu,
};

function stepOffsets(batchSizes: Int32Array): Int32Array {
  const offsets = new Int32Array(batchSizes.length);
  for (let t = 1; t < offsets.length; t++) offsets[t] = offsets[t - 1] + batchSizes[t - 1];
  return offsets;
}

// NOTE(zero-state-step): with RecurrentForwardArgs.zeroState (h0 and c0 zeros the op made, which
// need no gradient) a backend may leave out the first visited step's recurrent product h0 W_hhᵀ;
// wasm's recurrent.c does, this loop (the reference for the bits) computes it. Every GEMM here and
// in wasm sums its products from +0, and a product with a zero operand is ±0, which leaves
// such a sum +0; C + (+0) is C but for C = −0, which becomes +0. So adding +0 to the step's rows
// (its xProj, GRU's b_hh copies, or zeros) gives the product's bits. Backward, wasm leaves dh0's product
// out (dh0 is left zero: the op reports no gradient for such a state), and dW_hh's sum leaves
// out the first visited step's hPrev rows, zeros: a sum from +0 over them stays +0 (the rows after
// them then sum as from the start), and after the others it is never −0, which ±0 leaves as it is.
// The one difference: a non-finite W_hh, whose 0 · ∞ = NaN the skipped product would have made (it
// reaches h_t from the second step on anyway; a one-step direction's out stays finite).

/** Like the input: a Float64Array for float64 work, else Float32Array. */
function scratch(like: FloatStorage, n: number): FloatStorage {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * The fused recurrent kernels over a set of GEMM kernels (same packed-panel layout): the js backend
 * passes its own, a backend with only a faster GEMM passes that. The wasm backend runs its own
 * translation of this loop and the cells into C (wasm/recurrent.c), one call per sequence.
 */
export function makeRecurrentKernels(kernels: GemmKernels): {
  /** The `Backend.recurrentForward` kernel over these GEMMs. */
  recurrentForward(a: RecurrentForwardArgs): void;
  /** The `Backend.recurrentBackward` kernel over these GEMMs. */
  recurrentBackward(a: RecurrentBackwardArgs): void;
} {
  const { gemm, gemmPacked, packB } = kernels;

  // xProj [N, G·H], wHh [G·H, O], h0 [B, O], c0 [B, H] -> out [N, O], hN [B, O], cN [B, H]
  function recurrentForward(a: RecurrentForwardArgs): void {
    const { cell, hidden: H, outSize: O, batch: B, batchSizes, reverse, xProj, wHh, gates, hPrev, out } = a;
    const S = a.outBatchStride;
    const R = a.outStride;
    const kernel = CELLS[cell];
    const GH = RECURRENT_GATES[cell] * H;
    const T = batchSizes.length;
    const offsets = stepOffsets(batchSizes);
    // Working state, sorted batch order.
    const h = scratch(out, B * O);
    h.set(a.h0);
    const c = a.c0 ? scratch(out, B * H) : null;
    if (c && a.c0) c.set(a.c0);
    const hFullStep = a.wHr ? scratch(out, B * H) : null;
    const hh = kernel.recurrentApart ? scratch(out, B * GH) : null;
    const state: ForwardState = { h, c, hOut: hFullStep ?? h, hh };
    // The recurrent weights are constant over the steps: pack them for the GEMM once.
    const wHhT = packB(true, O, GH, wHh, 0);
    const wHrT = a.wHr ? packB(true, H, O, a.wHr, 0) : null;

    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const bs = batchSizes[t];
      const row = offsets[t];
      // hPrev rows ← working state; then the step's recurrent product h_{t−1} W_hhᵀ.
      hPrev.set(h.subarray(0, bs * O), row * O);
      if (hh) {
        const bHh = a.bHh;
        if (bHh) for (let j = 0; j < bs; j++) hh.set(bHh, j * GH);
        gemmPacked(bs, GH, O, h, 0, wHhT, hh, 0, bHh !== null);
      } else {
        // The gates start as xProj (the op may pass xProj's own storage as gates).
        if (gates !== xProj) gates.set(xProj.subarray(row * GH, (row + bs) * GH), row * GH);
        gemmPacked(bs, GH, O, h, 0, wHhT, gates, row * GH, true);
      }
      kernel.forward(a, state, row, bs);
      // Projected LSTM: h_t = hFull_t W_hrᵀ.
      if (hFullStep && wHrT && a.hFull) {
        a.hFull.set(hFullStep.subarray(0, bs * H), row * H);
        gemmPacked(bs, O, H, hFullStep, 0, wHrT, h, 0, false);
      }
      // The step's rows: one block (time-major), or row j at j·S + t (RecurrentForwardArgs.outBatchStride),
      // rows R apart as 0 + h (outStride: the bits of the concatenation into zeros, NOTE(layout-bits));
      // else −0 + h, which is h.
      if (S === undefined && R === undefined) out.set(h.subarray(0, bs * O), row * O);
      else
        for (let j = 0; j < bs; j++)
          for (let k = 0, p = (S === undefined ? row + j : j * S + t) * (R ?? O); k < O; k++)
            out[p + k] = (R === undefined ? -0 : 0) + h[j * O + k];
    }
    a.hN.set(h);
    if (a.cN && c) a.cN.set(c);
  }

  // dOut [N, O], dhN [B, O], dcN [B, H] -> dxProj [N, G·H], dh0 [B, O], dc0 [B, H], dwHh += …, dbHh += …, dwHr += …
  function recurrentBackward(a: RecurrentBackwardArgs): void {
    const { cell, hidden: H, outSize: O, batch: B, batchSizes, reverse, wHh, hPrev, dxProj } = a;
    const S = a.outBatchStride;
    const R = a.outStride ?? a.outSize;
    const zero = S === undefined ? -0 : 0;
    const kernel = CELLS[cell];
    const GH = RECURRENT_GATES[cell] * H;
    const T = batchSizes.length;
    const N = hPrev.length / O;
    const offsets = stepOffsets(batchSizes);
    // Carried gradients w.r.t. the working state, sorted batch order; they start as dL/dhN, dL/dcN.
    const dh = scratch(dxProj, B * O);
    if (a.dhN) dh.set(a.dhN);
    const dc = kernel.cellState ? scratch(dxProj, B * H) : null;
    if (dc && a.dcN) dc.set(a.dcN);
    // GRU: the gradient of the recurrent pre-activations differs from dxProj in its n part.
    const dhh = kernel.recurrentApart ? scratch(dxProj, N * GH) : null;
    const dhStep = a.wHr ? scratch(dxProj, B * H) : null;
    const state: BackwardState = { dh, dhFull: dhStep ?? dh, dc, dhh };
    // Every row's total dL/dh_t: wanted by the diagnostics, and needed for dW_hr.
    const dhRows = a.dhTrace ?? (a.wHr ? scratch(dxProj, N * O) : null);
    const wHhP = packB(false, GH, O, wHh, 0);
    const wHrP = a.wHr ? packB(false, O, H, a.wHr, 0) : null;
    const dRec = dhh ?? dxProj;

    // Backward visits steps in the reverse of the forward's order.
    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const bs = batchSizes[t];
      const row = offsets[t];
      // dh ← dL/dh_t in total: from the output at t plus what the next step sent back.
      // dOut's rows as out's; batch-first ones read as 0 + g (the time-major path's transposed
      // gradient, NOTE(layout-bits)), time-major ones as −0 + g, which is g.
      if (a.dOut)
        for (let j = 0; j < bs; j++)
          for (let k = j * O, p = (S === undefined ? row + j : j * S + t) * R; k < (j + 1) * O; k++, p++)
            dh[k] += zero + a.dOut[p];
      if (dhRows) dhRows.set(dh.subarray(0, bs * O), row * O);
      // Projection: h = hFull W_hrᵀ, so dhFull = dh W_hr.
      if (dhStep && wHrP) gemmPacked(bs, H, O, dh, 0, wHrP, dhStep, 0, false);
      kernel.backward(a, state, row, bs);
      // dh_{t−1} (+)= dgates W_hh for the active rows.
      gemmPacked(bs, O, GH, dRec, row * GH, wHhP, dh, 0, kernel.directPath);
    }
    a.dh0.set(dh);
    if (a.dc0 && dc) a.dc0.set(dc);
    // Weight gradients over all steps at once: dW_hh += dgatesᵀ hPrev, db_hh += Σ rows, dW_hr += dhᵀ hFull.
    gemm(true, false, GH, O, N, dRec, 0, hPrev, 0, a.dwHh, 0, true);
    if (a.dbHh) {
      for (let r = 0; r < N; r++) for (let k = 0; k < GH; k++) a.dbHh[k] += dRec[r * GH + k];
    }
    if (a.dwHr && a.hFull && dhRows) gemm(true, false, O, H, N, dhRows, 0, a.hFull, 0, a.dwHr, 0, true);
  }

  return { recurrentForward, recurrentBackward };
}

export const { recurrentForward, recurrentBackward } = makeRecurrentKernels(jsGemmKernels);
