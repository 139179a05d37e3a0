import type { FloatStorage } from '../../dtype';
import { RECURRENT_GATES, type RecurrentBackwardArgs, type RecurrentForwardArgs } from '../backend';

// Reference recurrent kernels: the same contract as the Backend's `recurrentForward` and
// `recurrentBackward` (see RecurrentForwardArgs), written as plain float64 loops. One row of one
// time step at a time, every matrix-vector product an explicit loop, no packing, no GEMM and no
// buffer shared between steps: the working state lives in Float64Arrays and is rounded to the
// output storage only when written there. The fast kernels (backend/js/recurrent/, and every
// other backend) are checked against these by backend/conformance.test.ts.
//
// Shape letters: N rows of the packed batch (Σ batchSizes), B batch, H hidden, O output size (the
// projection size of a projected LSTM, else H), G gates (RECURRENT_GATES). Each cell below has its
// forward and its backward side by side; both work on one row r (a sequence j at step t) of the
// [N, ·] buffers and on that sequence's working state.

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** y [rows] = W [rows, cols] · v [cols]. */
function matVec(w: FloatStorage, rows: number, cols: number, v: Float64Array): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let p = 0; p < cols; p++) s += w[i * cols + p] * v[p];
    y[i] = s;
  }
  return y;
}

/** y [cols] = Wᵀ · v, W [rows, cols], v [rows]. */
function matTVec(w: FloatStorage, rows: number, cols: number, v: Float64Array): Float64Array {
  const y = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let p = 0; p < cols; p++) y[p] += w[i * cols + p] * v[i];
  return y;
}

/** acc [rows, cols] += u [rows] ⊗ v [cols], v read from `storage` at `off`. */
function addOuter(
  acc: Float64Array,
  u: Float64Array,
  storage: FloatStorage,
  off: number,
  cols: number,
): void {
  for (let i = 0; i < u.length; i++)
    for (let p = 0; p < cols; p++) acc[i * cols + p] += u[i] * storage[off + p];
}

/** The float64 sums of the weight gradients, added to the caller's buffers at the end. */
interface WeightGrads {
  dwHh: Float64Array; // [G·H, O]
  dbHh: Float64Array; // [G·H] (GRU)
  dwHr: Float64Array; // [O, H] (projected LSTM)
}

// --- LSTM (gates i, f, g, o) -------------------------------------------------------------------

// xProj[r] [4H], h [O], c [H] -> h' [O] (returned), c' [H] (in place)
//   (i, f, g, o) = (σ, σ, tanh, σ)(xProj[r] + W_hh h);  c' = f ⊙ c + i ⊙ g;  h' = W_hr (o ⊙ tanh c')
function lstmForward(a: RecurrentForwardArgs, r: number, h: Float64Array, c: Float64Array): Float64Array {
  const H = a.hidden;
  const O = a.outSize;
  const pre = matVec(a.wHh, 4 * H, O, h);
  const hFull = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const i = sigmoid(a.xProj[r * 4 * H + k] + pre[k]);
    const f = sigmoid(a.xProj[r * 4 * H + H + k] + pre[H + k]);
    const g = Math.tanh(a.xProj[r * 4 * H + 2 * H + k] + pre[2 * H + k]);
    const o = sigmoid(a.xProj[r * 4 * H + 3 * H + k] + pre[3 * H + k]);
    a.gates[r * 4 * H + k] = i;
    a.gates[r * 4 * H + H + k] = f;
    a.gates[r * 4 * H + 2 * H + k] = g;
    a.gates[r * 4 * H + 3 * H + k] = o;
    (a.cPrev as FloatStorage)[r * H + k] = c[k];
    c[k] = f * c[k] + i * g;
    (a.cells as FloatStorage)[r * H + k] = c[k];
    hFull[k] = o * Math.tanh(c[k]);
  }
  if (!a.wHr) return hFull;
  (a.hFull as FloatStorage).set(hFull, r * H);
  return matVec(a.wHr, O, H, hFull);
}

// dh [O] = dL/dh' in total, dc [H] = dL/dc' from the step after -> dL/dh [O] (returned), dL/dc [H] (in place)
function lstmBackward(
  a: RecurrentBackwardArgs,
  r: number,
  dh: Float64Array,
  dc: Float64Array,
  acc: WeightGrads,
): Float64Array {
  const H = a.hidden;
  const O = a.outSize;
  let dFull = dh;
  if (a.wHr) {
    addOuter(acc.dwHr, dh, a.hFull as FloatStorage, r * H, H); // dW_hr += dh ⊗ hFull
    dFull = matTVec(a.wHr, O, H, dh); // dhFull = W_hrᵀ dh
  }
  const dPre = new Float64Array(4 * H);
  for (let k = 0; k < H; k++) {
    const i = a.gates[r * 4 * H + k];
    const f = a.gates[r * 4 * H + H + k];
    const g = a.gates[r * 4 * H + 2 * H + k];
    const o = a.gates[r * 4 * H + 3 * H + k];
    const tc = Math.tanh((a.cells as FloatStorage)[r * H + k]);
    const dct = dc[k] + dFull[k] * o * (1 - tc * tc);
    if (a.dcTrace) a.dcTrace[r * H + k] = dct;
    dPre[k] = dct * g * i * (1 - i);
    dPre[H + k] = dct * (a.cPrev as FloatStorage)[r * H + k] * f * (1 - f);
    dPre[2 * H + k] = dct * i * (1 - g * g);
    dPre[3 * H + k] = dFull[k] * tc * o * (1 - o);
    dc[k] = dct * f;
  }
  a.dxProj.set(dPre, r * 4 * H);
  addOuter(acc.dwHh, dPre, a.hPrev, r * O, O); // dW_hh += dPre ⊗ h
  return matTVec(a.wHh, 4 * H, O, dPre); // dh = W_hhᵀ dPre
}

// --- GRU (gates r, z, n) -----------------------------------------------------------------------

// xProj[r] [3H], h [H] -> h' [H]
//   hh = W_hh h + b_hh;  r = σ(x_r + hh_r);  z = σ(x_z + hh_z);  n = tanh(x_n + r ⊙ hh_n);
//   h' = (1 − z) ⊙ n + z ⊙ h
function gruForward(a: RecurrentForwardArgs, r: number, h: Float64Array): Float64Array {
  const H = a.hidden;
  const hh = matVec(a.wHh, 3 * H, H, h);
  if (a.bHh) for (let k = 0; k < 3 * H; k++) hh[k] += a.bHh[k];
  const next = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const rg = sigmoid(a.xProj[r * 3 * H + k] + hh[k]);
    const z = sigmoid(a.xProj[r * 3 * H + H + k] + hh[H + k]);
    const n = Math.tanh(a.xProj[r * 3 * H + 2 * H + k] + rg * hh[2 * H + k]);
    a.gates[r * 3 * H + k] = rg;
    a.gates[r * 3 * H + H + k] = z;
    a.gates[r * 3 * H + 2 * H + k] = n;
    (a.hhN as FloatStorage)[r * H + k] = hh[2 * H + k];
    next[k] = (1 - z) * n + z * h[k];
  }
  return next;
}

// dh [H] = dL/dh' in total -> dL/dh [H]
function gruBackward(a: RecurrentBackwardArgs, r: number, dh: Float64Array, acc: WeightGrads): Float64Array {
  const H = a.hidden;
  const dX = new Float64Array(3 * H); // dL/d(x projection): r, z, n pre-activations
  const dHh = new Float64Array(3 * H); // dL/d(W_hh h + b_hh): the n part is scaled by r
  const dPrev = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const rg = a.gates[r * 3 * H + k];
    const z = a.gates[r * 3 * H + H + k];
    const n = a.gates[r * 3 * H + 2 * H + k];
    const dn = dh[k] * (1 - z) * (1 - n * n);
    const dz = dh[k] * (a.hPrev[r * H + k] - n) * z * (1 - z);
    const dr = dn * (a.hhN as FloatStorage)[r * H + k] * rg * (1 - rg);
    dX[k] = dr;
    dX[H + k] = dz;
    dX[2 * H + k] = dn;
    dHh[k] = dr;
    dHh[H + k] = dz;
    dHh[2 * H + k] = dn * rg;
    dPrev[k] = dh[k] * z; // the direct path h → h'
  }
  a.dxProj.set(dX, r * 3 * H);
  addOuter(acc.dwHh, dHh, a.hPrev, r * H, H);
  for (let k = 0; k < 3 * H; k++) acc.dbHh[k] += dHh[k];
  const viaW = matTVec(a.wHh, 3 * H, H, dHh);
  for (let k = 0; k < H; k++) dPrev[k] += viaW[k];
  return dPrev;
}

// --- RNN (tanh or relu) ------------------------------------------------------------------------

// xProj[r] [H], h [H] -> h' = act(xProj[r] + W_hh h) [H]
function rnnForward(a: RecurrentForwardArgs, r: number, h: Float64Array): Float64Array {
  const H = a.hidden;
  const pre = matVec(a.wHh, H, H, h);
  const next = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const v = a.xProj[r * H + k] + pre[k];
    next[k] = a.cell === 'rnn_relu' ? (v > 0 || v !== v ? v : 0) : Math.tanh(v);
    a.gates[r * H + k] = next[k];
  }
  return next;
}

// dh [H] = dL/dh' in total -> dL/dh [H]
function rnnBackward(a: RecurrentBackwardArgs, r: number, dh: Float64Array, acc: WeightGrads): Float64Array {
  const H = a.hidden;
  const dPre = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const y = a.gates[r * H + k];
    dPre[k] = a.cell === 'rnn_relu' ? (y > 0 ? dh[k] : 0) : dh[k] * (1 - y * y);
  }
  a.dxProj.set(dPre, r * H);
  addOuter(acc.dwHh, dPre, a.hPrev, r * H, H);
  return matTVec(a.wHh, H, H, dPre);
}

// --- the time loop -----------------------------------------------------------------------------

/** First row of every step: step t owns rows offsets[t] … offsets[t] + batchSizes[t] − 1. */
function stepOffsets(batchSizes: Int32Array): number[] {
  const offsets: number[] = [];
  for (let t = 0, row = 0; t < batchSizes.length; row += batchSizes[t], t++) offsets.push(row);
  return offsets;
}

/**
 * xProj [N, G·H], h0 [B, O], c0 [B, H] -> out [N, O], hN [B, O], cN [B, H] and the saved buffers.
 * Steps run first to last (last to first when `reverse`); at step t only the first batchSizes[t]
 * sequences advance, the others keep their state (see NOTE(packed-batch-sizes)).
 */
export function recurrentForward(a: RecurrentForwardArgs): void {
  const { hidden: H, outSize: O, batch: B, batchSizes } = a;
  const T = batchSizes.length;
  const offsets = stepOffsets(batchSizes);
  const h: Float64Array[] = Array.from({ length: B }, (_, j) =>
    Float64Array.from(a.h0.subarray(j * O, (j + 1) * O)),
  );
  const c = Array.from({ length: B }, (_, j) =>
    a.c0 ? Float64Array.from(a.c0.subarray(j * H, (j + 1) * H)) : new Float64Array(H),
  );
  for (let s = 0; s < T; s++) {
    const t = a.reverse ? T - 1 - s : s;
    for (let j = 0; j < batchSizes[t]; j++) {
      const r = offsets[t] + j;
      a.hPrev.set(h[j], r * O);
      const next =
        a.cell === 'lstm'
          ? lstmForward(a, r, h[j], c[j])
          : a.cell === 'gru'
            ? gruForward(a, r, h[j])
            : rnnForward(a, r, h[j]);
      h[j] = next;
      a.out.set(next, r * O);
    }
  }
  for (let j = 0; j < B; j++) {
    a.hN.set(h[j], j * O);
    a.cN?.set(c[j], j * H);
  }
}

/**
 * dOut [N, O], dhN [B, O], dcN [B, H] (each may be null) -> dxProj [N, G·H], dh0 [B, O], dc0 [B, H],
 * and dW_hh [G·H, O], db_hh [G·H], dW_hr [O, H] accumulated into. Steps in the reverse of the
 * forward's order, from the forward's saved buffers.
 */
export function recurrentBackward(a: RecurrentBackwardArgs): void {
  const { cell, hidden: H, outSize: O, batch: B, batchSizes } = a;
  const GH = RECURRENT_GATES[cell] * H;
  const T = batchSizes.length;
  const offsets = stepOffsets(batchSizes);
  const dh: Float64Array[] = Array.from({ length: B }, (_, j) =>
    a.dhN ? Float64Array.from(a.dhN.subarray(j * O, (j + 1) * O)) : new Float64Array(O),
  );
  const dc = Array.from({ length: B }, (_, j) =>
    a.dcN ? Float64Array.from(a.dcN.subarray(j * H, (j + 1) * H)) : new Float64Array(H),
  );
  const acc: WeightGrads = {
    dwHh: new Float64Array(GH * O),
    dbHh: new Float64Array(GH),
    dwHr: new Float64Array(O * H),
  };
  for (let s = T - 1; s >= 0; s--) {
    const t = a.reverse ? T - 1 - s : s;
    for (let j = 0; j < batchSizes[t]; j++) {
      const r = offsets[t] + j;
      const dhj = dh[j];
      if (a.dOut) for (let k = 0; k < O; k++) dhj[k] += a.dOut[r * O + k];
      a.dhTrace?.set(dhj, r * O);
      dh[j] =
        cell === 'lstm'
          ? lstmBackward(a, r, dhj, dc[j], acc)
          : cell === 'gru'
            ? gruBackward(a, r, dhj, acc)
            : rnnBackward(a, r, dhj, acc);
    }
  }
  for (let j = 0; j < B; j++) {
    a.dh0.set(dh[j], j * O);
    a.dc0?.set(dc[j], j * H);
  }
  for (let k = 0; k < GH * O; k++) a.dwHh[k] += acc.dwHh[k];
  if (a.dbHh) for (let k = 0; k < GH; k++) a.dbHh[k] += acc.dbHh[k];
  if (a.dwHr) for (let k = 0; k < O * H; k++) a.dwHr[k] += acc.dwHr[k];
}
