import { ConfigError, type PackedSequence, type Tensor } from '@seqlab/tensor';
import type { RNNOutput } from './gru';
import { type RecurrentState, RNNBase, type RNNBaseOptions } from './rnn-base';

/** Options of `RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * A multi-layer Elman RNN (torch.nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) with
 * act tanh or relu. Parameters `weight_ih_l{l}` [H, I or D·H], `weight_hh_l{l}` [H, H],
 * `bias_ih_l{l}`, `bias_hh_l{l}` [H], init U(−1/√H, 1/√H); 1/4 of an LSTM's recurrent parameters.
 * Its gradient through time is a product of T Jacobians W_hhᵀ diag(act′): it vanishes (or
 * explodes) geometrically, which `seqlab diagnose gradients` measures.
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNOptions) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ConfigError('RNN', "nonlinearity 'tanh' or 'relu'", `'${nl}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', options);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, state?: RecurrentState): RNNOutput<Tensor>;
  forward(input: PackedSequence, state?: RecurrentState): RNNOutput<PackedSequence>;
  forward(input: Tensor | PackedSequence, state?: RecurrentState): RNNOutput<Tensor | PackedSequence>;
  forward(input: Tensor | PackedSequence, state: RecurrentState = {}): RNNOutput<Tensor | PackedSequence> {
    const { output, hN } = this.run(input, state);
    return { output, hN };
  }
}
