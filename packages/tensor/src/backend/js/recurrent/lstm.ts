import type { FloatStorage } from '../../../dtype';
import type { RecurrentBackwardArgs, RecurrentForwardArgs } from '../../backend';
import { type BackwardState, type CellKernel, type ForwardState, sigmoid } from './cell';

// One LSTM step, gates in PyTorch's order i, f, g, o (as layers/src/recurrent/lstm-cell.ts):
//
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(W_if x + b_if + W_hf h + b_hf)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
//   c1 = f ⊙ c + i ⊙ g                      h1 = o ⊙ tanh(c1)
//
// and its backward, from dh1 (dL/dh_t, through the projection if any) and dc1 (dL/dc_t from step t+1):
//
//   dc1 += dh1 ⊙ o ⊙ (1 − tanh²(c1))        dc = dc1 ⊙ f
//   di = dc1 ⊙ g ⊙ i(1 − i)   df = dc1 ⊙ c ⊙ f(1 − f)   dg = dc1 ⊙ i ⊙ (1 − g²)   do = dh1 ⊙ tanh(c1) ⊙ o(1 − o)
//
// gates [N, 4H] (pre-activations in, i, f, g, o out), c [B, H] -> c1 (cells) [N, H], c (cPrev) [N, H], h1 [B, H]
// The loop (loop.ts) has added h W_hhᵀ into gates before forward and computes dh W_hh after backward.

function forward(a: RecurrentForwardArgs, state: ForwardState, row: number, bs: number): void {
  const { hidden: H, gates } = a;
  const GH = 4 * H;
  const cState = state.c as FloatStorage;
  const cells = a.cells as FloatStorage;
  const cPrev = a.cPrev as FloatStorage;
  const hOut = state.hOut;
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
      const c = cState[cj + k];
      const c1 = f * c + i * g;
      cPrev[rc + k] = c;
      cells[rc + k] = c1;
      cState[cj + k] = c1;
      hOut[j * H + k] = o * Math.tanh(c1);
    }
  }
}

function backward(a: RecurrentBackwardArgs, state: BackwardState, row: number, bs: number): void {
  const { hidden: H, gates, dxProj } = a;
  const GH = 4 * H;
  const cells = a.cells as FloatStorage;
  const cPrev = a.cPrev as FloatStorage;
  const dc = state.dc as FloatStorage;
  const dhFull = state.dhFull;
  for (let j = 0; j < bs; j++) {
    const g0 = (row + j) * GH;
    const rc = (row + j) * H;
    for (let k = 0; k < H; k++) {
      const i = gates[g0 + k];
      const f = gates[g0 + H + k];
      const g = gates[g0 + 2 * H + k];
      const o = gates[g0 + 3 * H + k];
      const c = cPrev[rc + k];
      const tc1 = Math.tanh(cells[rc + k]);
      const dh1 = dhFull[j * H + k];
      const dc1 = dc[j * H + k] + dh1 * o * (1 - tc1 * tc1);
      if (a.dcTrace) a.dcTrace[rc + k] = dc1;
      dxProj[g0 + k] = dc1 * g * i * (1 - i);
      dxProj[g0 + H + k] = dc1 * c * f * (1 - f);
      dxProj[g0 + 2 * H + k] = dc1 * i * (1 - g * g);
      dxProj[g0 + 3 * H + k] = dh1 * tc1 * o * (1 - o);
      dc[j * H + k] = dc1 * f;
    }
  }
}

/** The LSTM's gate math for the fused loop. */
export const lstm: CellKernel = {
  recurrentApart: false,
  directPath: false,
  cellState: true,
  forward,
  backward,
};
