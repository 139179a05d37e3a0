import type { Tensor } from '@seqlab/tensor';
import { CellBase, type CellOptions } from './cell-base';

/** The state of an LSTM cell. */
export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

/**
 * One step of an LSTM (torch.nn.LSTMCell), gates in PyTorch's order i, f, g, o:
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 *
 * x [B, I] (or [I]), state {h, c} [B, H] (zeros when omitted) -> {h', c'}.
 */
export class LSTMCell extends CellBase {
  constructor(options: CellOptions) {
    super('LSTMCell', 4, options);
  }

  forward(input: Tensor, state?: Partial<LSTMState>): LSTMState {
    const [x, unbatched] = this.batched('LSTMCell.forward', input);
    const h = this.state('LSTMCell.forward', 'h', state?.h, x.shape[0], unbatched);
    const c = this.state('LSTMCell.forward', 'c', state?.c, x.shape[0], unbatched);
    const [gi, gh] = this.projections(x, h);
    const [i, f, g, o] = gi.add(gh).chunk(4, 1);
    const c1 = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    const h1 = o.sigmoid().mul(c1.tanh());
    return unbatched ? { h: h1.squeeze(0), c: c1.squeeze(0) } : { h: h1, c: c1 };
  }
}
