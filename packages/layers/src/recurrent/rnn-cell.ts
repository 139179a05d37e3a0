import { ConfigError, type Tensor } from '@seqlab/tensor';
import { CellBase, type CellOptions } from './cell-base';

/** Options of `RNNCell`. */
export interface RNNCellOptions extends CellOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * One step of an Elman RNN (torch.nn.RNNCell): h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
 * x [B, I] (or [I]), h [B, H] -> h' [B, H].
 */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNCellOptions) {
    super('RNNCell', 1, options);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ConfigError('RNNCell', "nonlinearity 'tanh' or 'relu'", `'${nl}'`);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, h?: Tensor): Tensor {
    const [x, unbatched] = this.batched('RNNCell.forward', input);
    const h0 = this.state('RNNCell.forward', 'h', h, x.shape[0], unbatched);
    const [gi, gh] = this.projections(x, h0);
    const pre = gi.add(gh);
    const out = this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
    return unbatched ? out.squeeze(0) : out;
  }
}
