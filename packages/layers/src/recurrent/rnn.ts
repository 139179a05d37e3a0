import { ConfigError, optionKeys, type PackedSequence, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import type { RNNOutput } from './gru';
import { RNN_BASE_KEYS, RNNBase, type RNNBaseOptions } from './rnn-base';
import type { InitialState } from './state';

/** Options of `RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

// Object.assign, not a spread, so that a bundle without RNN drops it (a pure call; a spread may run getters).
const RNN_KEYS = /* @__PURE__ */ optionKeys<RNNOptions>(
  /* @__PURE__ */ Object.assign({}, RNN_BASE_KEYS, { nonlinearity: true as const }),
);

/**
 * A multi-layer Elman RNN (torch.nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) with
 * act tanh or relu. Parameters `weight_ih_l{l}` [H, I or D·H], `weight_hh_l{l}` [H, H],
 * `bias_ih_l{l}`, `bias_hh_l{l}` [H], init U(−1/√H, 1/√H); 1/4 of an LSTM's recurrent parameters.
 * Its gradient through time is a product of T Jacobians W_hhᵀ diag(act′): it vanishes (or
 * explodes) geometrically, which `seqlab diagnose gradients` measures.
 *
 * Construction and options as `LSTM` (`new RNN(I, H, { nonlinearity: 'relu' })` works too).
 * Initial state: `h0` [L·D, B, H] (canonical, PyTorch's form) or `{ h0 }`; any other container
 * throws (see NOTE(state-forms)).
 */
export class RNN extends RNNBase {
  /** The activation of every layer: `tanh` (default) or `relu`. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<RNNOptions, 'inputSize' | 'hiddenSize'>);
  constructor(
    first: RNNOptions | number,
    hiddenSize?: number,
    rest?: Omit<RNNOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    const options = sizedOptions<RNNOptions>('RNN', RNN_KEYS, first, hiddenSize, rest);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ConfigError('RNN', "nonlinearity 'tanh' or 'relu'", `'${nl}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', options);
    this.nonlinearity = nl;
  }

  /**
   * Runs the layer over a padded batch: input [T, B, I] ([B, T, I] with batchFirst, [T, I] unbatched)
   * -> `output` [T, B, D·H], `hN` [L·D, B, H]. A wrong input or state shape is a `ShapeError` naming the expected shape; a state in a container the layer does not take is a `ConfigError` (NOTE(state-forms)).
   */
  forward(input: Tensor, state?: InitialState | null): RNNOutput<Tensor>;
  /**
   * Runs the layer over a packed batch (`packPaddedSequence`): each sequence stops at its own length,
   * so the final states are those of its last real step, and `output` is packed the same way.
   */
  forward(input: PackedSequence, state?: InitialState | null): RNNOutput<PackedSequence>;
  /** Either form, for a caller that holds `Tensor | PackedSequence`; the output has the input's form. */
  forward(input: Tensor | PackedSequence, state?: InitialState | null): RNNOutput<Tensor | PackedSequence>;
  forward(input: Tensor | PackedSequence, state?: InitialState | null): RNNOutput<Tensor | PackedSequence> {
    const { output, hN } = this.run(input, state);
    return { output, hN };
  }
}
