import type { RecurrentBackwardArgs, RecurrentForwardArgs } from '../../backend';
import type { BackwardState, CellKernel, ForwardState } from './cell';

// One Elman RNN step (as layers/src/recurrent/rnn-cell.ts), nonlinearity tanh or relu:
//
//   h1 = tanh(W_ih x + b_ih + W_hh h + b_hh)   or   relu(…)
//
// and its backward, from dh1 (dL/dh_t), with the saved h1 standing in for the pre-activation:
//
//   dpre = dh1 ⊙ (1 − h1²)   or   dh1 ⊙ [h1 > 0]
//
// gates [N, H] (pre-activations in, h1 out) -> h1 [B, H]
// PyTorch's relu passes NaN through (v > 0 || v !== v); its gradient is 0 where h1 is 0 or NaN.

/** The Elman RNN's gate math for the fused loop, with relu or tanh (made once per nonlinearity). */
function rnnCell(relu: boolean): CellKernel {
  function forward(a: RecurrentForwardArgs, state: ForwardState, row: number, bs: number): void {
    const { hidden: H, gates } = a;
    const h = state.h;
    const n = bs * H;
    const base = row * H;
    for (let k = 0; k < n; k++) {
      const v = gates[base + k];
      const h1 = relu ? (v > 0 || v !== v ? v : 0) : Math.tanh(v);
      gates[base + k] = h1;
      h[k] = h1;
    }
  }

  function backward(a: RecurrentBackwardArgs, state: BackwardState, row: number, bs: number): void {
    const { hidden: H, gates, dxProj } = a;
    const dh = state.dh;
    for (let k = 0, p = row * H; k < bs * H; k++, p++) {
      const h1 = gates[p];
      dxProj[p] = relu ? (h1 > 0 ? dh[k] : 0) : dh[k] * (1 - h1 * h1);
    }
  }

  return { recurrentApart: false, directPath: false, cellState: false, forward, backward };
}

export const rnnTanh: CellKernel = rnnCell(false);
export const rnnRelu: CellKernel = rnnCell(true);
