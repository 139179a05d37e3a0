import type { FloatStorage } from '../../../dtype';
import type { RecurrentBackwardArgs, RecurrentForwardArgs } from '../../backend';
import { type BackwardState, type CellKernel, type ForwardState, sigmoid } from './cell';

// One GRU step, gates in PyTorch's order r, z, n (as layers/src/recurrent/gru-cell.ts), with
// ir, iz, inn the input projection (x W_ihᵀ + b_ih) and hr, hz, hn the recurrent one (h W_hhᵀ + b_hh):
//
//   r = σ(ir + hr)   z = σ(iz + hz)   n = tanh(inn + r ⊙ hn)   h1 = (1 − z) ⊙ n + z ⊙ h
//
// and its backward, from dh1 (dL/dh_t):
//
//   dn = dh1 ⊙ (1 − z) ⊙ (1 − n²)   dz = dh1 ⊙ (h − n) ⊙ z(1 − z)   dr = dn ⊙ hn ⊙ r(1 − r)
//   d(ir, iz, inn) = (dr, dz, dn)   d(hr, hz, hn) = (dr, dz, dn ⊙ r)   dh = dh1 ⊙ z (+ d(hr, hz, hn) W_hh, by the loop)
//
// xProj [N, 3H], hh [B, 3H], h [B, H] -> gates r, z, n [N, 3H], hn (hhN) [N, H], h1 [B, H]
// The recurrent product stays apart from the input projection because r multiplies hn = W_hn h + b_hn.

function forward(a: RecurrentForwardArgs, state: ForwardState, row: number, bs: number): void {
  const { hidden: H, xProj, gates } = a;
  const GH = 3 * H;
  const hh = state.hh as FloatStorage;
  const hhN = a.hhN as FloatStorage;
  const h = state.h; // a GRU is never projected: h_t overwrites h_{t−1} in place
  for (let j = 0; j < bs; j++) {
    const gx = (row + j) * GH;
    const gh = j * GH;
    const hj = j * H;
    for (let k = 0; k < H; k++) {
      const r = sigmoid(xProj[gx + k] + hh[gh + k]);
      const z = sigmoid(xProj[gx + H + k] + hh[gh + H + k]);
      const hn = hh[gh + 2 * H + k];
      const n = Math.tanh(xProj[gx + 2 * H + k] + r * hn);
      gates[gx + k] = r;
      gates[gx + H + k] = z;
      gates[gx + 2 * H + k] = n;
      hhN[(row + j) * H + k] = hn;
      const h1 = (1 - z) * n + z * h[hj + k];
      h[hj + k] = h1;
    }
  }
}

function backward(a: RecurrentBackwardArgs, state: BackwardState, row: number, bs: number): void {
  const { hidden: H, gates, hPrev, dxProj } = a;
  const GH = 3 * H;
  const hhN = a.hhN as FloatStorage;
  const dhh = state.dhh as FloatStorage;
  const dh = state.dh;
  for (let j = 0; j < bs; j++) {
    const g0 = (row + j) * GH;
    const hp = (row + j) * H;
    for (let k = 0; k < H; k++) {
      const r = gates[g0 + k];
      const z = gates[g0 + H + k];
      const n = gates[g0 + 2 * H + k];
      const hn = hhN[(row + j) * H + k];
      const h = hPrev[hp + k];
      const dh1 = dh[j * H + k];
      const dn = dh1 * (1 - z) * (1 - n * n);
      const dz = dh1 * (h - n) * z * (1 - z);
      const dr = dn * hn * r * (1 - r);
      dxProj[g0 + k] = dr;
      dxProj[g0 + H + k] = dz;
      dxProj[g0 + 2 * H + k] = dn;
      dhh[g0 + k] = dr;
      dhh[g0 + H + k] = dz;
      dhh[g0 + 2 * H + k] = dn * r;
      dh[j * H + k] = dh1 * z; // the direct path h_{t−1} → h_t
    }
  }
}

/** The GRU's gate math for the fused loop. */
export const gru: CellKernel = {
  recurrentApart: true,
  directPath: true,
  cellState: false,
  forward,
  backward,
};
