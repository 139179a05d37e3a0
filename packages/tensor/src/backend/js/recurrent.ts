import type { FloatStorage } from '../../dtype';
import { RECURRENT_GATES, type RecurrentBackwardArgs, type RecurrentForwardArgs } from '../backend';
import { type GemmKernels, jsGemmKernels } from './gemm';

// Fused recurrent kernels: one direction of one layer over the whole sequence. The input
// projection x W_ihᵀ (+ biases) is computed beforehand for every step by one GEMM; here each step
// does one recurrent GEMM h_{t−1} W_hhᵀ and the gate math in one pass over its rows. Rows are
// time-major and a step's active sequences are its first batchSizes[t] rows (see
// NOTE(packed-batch-sizes)); a working state of B rows carries h (and c) between steps, so
// sequences that have ended (forward) or not yet started (reverse) keep their state untouched.

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function stepOffsets(batchSizes: Int32Array): Int32Array {
  const offsets = new Int32Array(batchSizes.length);
  for (let t = 1; t < offsets.length; t++) offsets[t] = offsets[t - 1] + batchSizes[t - 1];
  return offsets;
}

/** Like the input: a Float64Array for float64 work, else Float32Array. */
function scratch(like: FloatStorage, n: number): FloatStorage {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * The fused recurrent kernels over a set of GEMM kernels: the js backend passes its own, the wasm
 * backend its SIMD ones (same packed-panel layout), so the gate math is written once.
 */
export function makeRecurrentKernels(kernels: GemmKernels): {
  recurrentForward(a: RecurrentForwardArgs): void;
  recurrentBackward(a: RecurrentBackwardArgs): void;
} {
  const { gemm, gemmPacked, packB } = kernels;

  function recurrentForward(a: RecurrentForwardArgs): void {
    const { cell, hidden: H, outSize: O, batch: B, batchSizes, reverse, xProj, wHh, gates, hPrev, out } = a;
    const G = RECURRENT_GATES[cell];
    const GH = G * H;
    const T = batchSizes.length;
    const offsets = stepOffsets(batchSizes);
    // Working state, sorted batch order.
    const h = scratch(out, B * O);
    h.set(a.h0);
    const c = a.c0 ? scratch(out, B * H) : null;
    if (c && a.c0) c.set(a.c0);
    const hFullStep = a.wHr ? scratch(out, B * H) : null;
    const hh = cell === 'gru' ? scratch(out, B * GH) : null;
    // The recurrent weights are constant over the steps: pack them for the GEMM once.
    const wHhT = packB(true, O, GH, wHh, 0);
    const wHrT = a.wHr ? packB(true, H, O, a.wHr, 0) : null;

    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const bs = batchSizes[t];
      const row = offsets[t];
      // hPrev rows ← working state; gates ← x projection + h_{t−1} W_hhᵀ (GRU: the recurrent part
      // goes to a separate buffer first, because r multiplies W_hn h + b_hn).
      hPrev.set(h.subarray(0, bs * O), row * O);
      if (cell === 'gru') {
        const bHh = a.bHh;
        const hhb = hh as FloatStorage;
        if (bHh) for (let j = 0; j < bs; j++) hhb.set(bHh, j * GH);
        gemmPacked(bs, GH, O, h, 0, wHhT, hhb, 0, bHh !== null);
        const hhN = a.hhN as FloatStorage;
        for (let j = 0; j < bs; j++) {
          const gx = (row + j) * GH;
          const gh = j * GH;
          const hj = j * O;
          for (let k = 0; k < H; k++) {
            const r = sigmoid(xProj[gx + k] + hhb[gh + k]);
            const z = sigmoid(xProj[gx + H + k] + hhb[gh + H + k]);
            const hn = hhb[gh + 2 * H + k];
            const n = Math.tanh(xProj[gx + 2 * H + k] + r * hn);
            gates[gx + k] = r;
            gates[gx + H + k] = z;
            gates[gx + 2 * H + k] = n;
            hhN[(row + j) * H + k] = hn;
            const next = (1 - z) * n + z * h[hj + k];
            h[hj + k] = next;
          }
        }
      } else {
        gates.set(xProj.subarray(row * GH, (row + bs) * GH), row * GH);
        gemmPacked(bs, GH, O, h, 0, wHhT, gates, row * GH, true);
        if (cell === 'lstm') {
          const cs = c as FloatStorage;
          const cells = a.cells as FloatStorage;
          const cPrev = a.cPrev as FloatStorage;
          const target = hFullStep ?? h;
          for (let j = 0; j < bs; j++) {
            const g0 = (row + j) * GH;
            const cj = j * H;
            const rc = (row + j) * H;
            for (let k = 0; k < H; k++) {
              const i = sigmoid(gates[g0 + k]);
              const f = sigmoid(gates[g0 + H + k]);
              const g = Math.tanh(gates[g0 + 2 * H + k]);
              const o = sigmoid(gates[g0 + 3 * H + k]);
              gates[g0 + k] = i;
              gates[g0 + H + k] = f;
              gates[g0 + 2 * H + k] = g;
              gates[g0 + 3 * H + k] = o;
              const prev = cs[cj + k];
              const next = f * prev + i * g;
              cPrev[rc + k] = prev;
              cells[rc + k] = next;
              cs[cj + k] = next;
              target[j * H + k] = o * Math.tanh(next);
            }
          }
          if (hFullStep && a.wHr && a.hFull) {
            a.hFull.set(hFullStep.subarray(0, bs * H), row * H);
            gemmPacked(bs, O, H, hFullStep, 0, wHrT as FloatStorage, h, 0, false);
          }
        } else {
          const relu = cell === 'rnn_relu';
          const n = bs * H;
          const base = row * H;
          for (let k = 0; k < n; k++) {
            const v = gates[base + k];
            const y = relu ? (v > 0 || v !== v ? v : 0) : Math.tanh(v);
            gates[base + k] = y;
            h[k] = y;
          }
        }
      }
      out.set(h.subarray(0, bs * O), row * O);
    }
    a.hN.set(h);
    if (a.cN && c) a.cN.set(c);
  }

  function recurrentBackward(a: RecurrentBackwardArgs): void {
    const { cell, hidden: H, outSize: O, batch: B, batchSizes, reverse, wHh, gates, hPrev, dxProj } = a;
    const G = RECURRENT_GATES[cell];
    const GH = G * H;
    const T = batchSizes.length;
    const N = hPrev.length / O;
    const offsets = stepOffsets(batchSizes);
    // Carried gradients w.r.t. the working state, sorted batch order; they start as dL/dhN, dL/dcN.
    const dh = scratch(dxProj, B * O);
    if (a.dhN) dh.set(a.dhN);
    const dc = cell === 'lstm' ? scratch(dxProj, B * H) : null;
    if (dc && a.dcN) dc.set(a.dcN);
    // GRU: the gradient of the recurrent pre-activations differs from dxProj in its n part.
    const dhh = cell === 'gru' ? scratch(dxProj, N * GH) : null;
    const dhStep = scratch(dxProj, B * H);
    // Every row's total dL/dh_t: wanted by the diagnostics, and needed for dW_hr.
    const dhRows = a.dhTrace ?? (a.wHr ? scratch(dxProj, N * O) : null);
    const wHhP = packB(false, GH, O, wHh, 0);
    const wHrP = a.wHr ? packB(false, O, H, a.wHr, 0) : null;

    // Backward visits steps in the reverse of the forward's order.
    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const bs = batchSizes[t];
      const row = offsets[t];
      // dh ← dL/dh_t in total: from the output at t plus what the next step sent back.
      if (a.dOut) for (let k = 0, p = row * O; k < bs * O; k++, p++) dh[k] += a.dOut[p];
      if (dhRows) dhRows.set(dh.subarray(0, bs * O), row * O);
      if (cell === 'lstm') {
        const cells = a.cells as FloatStorage;
        const cPrev = a.cPrev as FloatStorage;
        const dcs = dc as FloatStorage;
        // Projection: h = hFull W_hrᵀ, so dhFull = dh W_hr.
        let dFull: FloatStorage = dh;
        if (a.wHr) {
          gemmPacked(bs, H, O, dh, 0, wHrP as FloatStorage, dhStep, 0, false);
          dFull = dhStep;
        }
        for (let j = 0; j < bs; j++) {
          const g0 = (row + j) * GH;
          const rc = (row + j) * H;
          for (let k = 0; k < H; k++) {
            const i = gates[g0 + k];
            const f = gates[g0 + H + k];
            const g = gates[g0 + 2 * H + k];
            const o = gates[g0 + 3 * H + k];
            const tc = Math.tanh(cells[rc + k]);
            const dhk = dFull[j * H + k];
            const dct = dcs[j * H + k] + dhk * o * (1 - tc * tc);
            if (a.dcTrace) a.dcTrace[rc + k] = dct;
            dxProj[g0 + k] = dct * g * i * (1 - i);
            dxProj[g0 + H + k] = dct * cPrev[rc + k] * f * (1 - f);
            dxProj[g0 + 2 * H + k] = dct * i * (1 - g * g);
            dxProj[g0 + 3 * H + k] = dhk * tc * o * (1 - o);
            dcs[j * H + k] = dct * f;
          }
        }
        // dh_{t−1} = dgates W_hh for the active rows.
        gemmPacked(bs, O, GH, dxProj, row * GH, wHhP, dh, 0, false);
      } else if (cell === 'gru') {
        const hhN = a.hhN as FloatStorage;
        const dhhs = dhh as FloatStorage;
        for (let j = 0; j < bs; j++) {
          const g0 = (row + j) * GH;
          const hp = (row + j) * O;
          for (let k = 0; k < H; k++) {
            const r = gates[g0 + k];
            const z = gates[g0 + H + k];
            const n = gates[g0 + 2 * H + k];
            const dhk = dh[j * O + k];
            const dpn = dhk * (1 - z) * (1 - n * n);
            const dpz = dhk * (hPrev[hp + k] - n) * z * (1 - z);
            const dpr = dpn * hhN[(row + j) * H + k] * r * (1 - r);
            dxProj[g0 + k] = dpr;
            dxProj[g0 + H + k] = dpz;
            dxProj[g0 + 2 * H + k] = dpn;
            dhhs[g0 + k] = dpr;
            dhhs[g0 + H + k] = dpz;
            dhhs[g0 + 2 * H + k] = dpn * r;
            dh[j * O + k] = dhk * z; // the direct path h_{t−1} → h_t
          }
        }
        gemmPacked(bs, O, GH, dhhs, row * GH, wHhP, dh, 0, true);
      } else {
        const relu = cell === 'rnn_relu';
        for (let k = 0, p = row * H; k < bs * H; k++, p++) {
          const y = gates[p];
          dxProj[p] = relu ? (y > 0 ? dh[k] : 0) : dh[k] * (1 - y * y);
        }
        gemmPacked(bs, O, GH, dxProj, row * GH, wHhP, dh, 0, false);
      }
    }
    a.dh0.set(dh);
    if (a.dc0 && dc) a.dc0.set(dc);
    // Weight gradients over all steps at once: dW_hh += dgatesᵀ hPrev, db_hh += Σ rows, dW_hr += dhᵀ hFull.
    const dRec = dhh ?? dxProj;
    gemm(true, false, GH, O, N, dRec, 0, hPrev, 0, a.dwHh, 0, true);
    if (a.dbHh) {
      for (let r = 0; r < N; r++) for (let k = 0; k < GH; k++) a.dbHh[k] += dRec[r * GH + k];
    }
    if (a.dwHr && a.hFull && dhRows) gemm(true, false, O, H, N, dhRows, 0, a.hFull, 0, a.dwHr, 0, true);
  }

  return { recurrentForward, recurrentBackward };
}

export const { recurrentForward, recurrentBackward } = makeRecurrentKernels(jsGemmKernels);
