import { optionKeys, type PackedSequence, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import { RNN_BASE_KEYS, RNNBase, type RNNBaseOptions } from './rnn-base';
import type { InitialState } from './state';

/** Options of `LSTM`. */
export interface LSTMOptions extends RNNBaseOptions {
  /** Project h to this size with W_hr (an LSTM with projections, O = projSize < H); 0 = off. */
  projSize?: number;
  /**
   * Added to the forget-gate slice of every b_ih after PyTorch's init (Jozefowicz et al. 2015;
   * Keras' `unit_forget_bias`). Default 0 keeps PyTorch's initialisation exactly; +1 or +2 opens
   * the cell-state gradient highway at initialisation.
   */
  forgetBias?: number;
}

const LSTM_KEYS = /* @__PURE__ */ optionKeys<LSTMOptions>({
  ...RNN_BASE_KEYS,
  projSize: true,
  forgetBias: true,
});

/** What `LSTM.forward` returns. */
export interface LSTMOutput<O extends Tensor | PackedSequence> {
  /** h_t of the last layer for every step: [T, B, D·O] ([B, T, D·O] with batchFirst), or packed. */
  output: O;
  /** Final hidden states [L·D, B, O]. */
  hN: Tensor;
  /** Final cell states [L·D, B, H]. */
  cN: Tensor;
}

/**
 * A multi-layer long short-term memory RNN (torch.nn.LSTM). For each element of the input
 * sequence, each layer computes (gate order i, f, g, o, as PyTorch's weight layout):
 *
 *   i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)    f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
 *   g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg) o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
 *   c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t                    h_t = o_t ⊙ tanh(c_t)   (then h_t W_hrᵀ with projSize)
 *
 * Reference loop (what the fused kernel computes, and what the tests compare it with):
 * `for t in 0..T−1: {h, c} = cell.forward(x[t], {h, c}); out[t] = h`.
 *
 * Shapes: B batch, T steps, I inputSize, H hiddenSize, O = projSize || H, D = 2 if bidirectional,
 * L numLayers. Parameters per layer l (suffix `_reverse` for the second direction):
 * `weight_ih_l{l}` [4H, I or D·O], `weight_hh_l{l}` [4H, O], `bias_ih_l{l}`, `bias_hh_l{l}` [4H],
 * `weight_hr_l{l}` [O, H] with projSize. Init: every parameter U(−1/√H, 1/√H), as PyTorch.
 *
 * Construction: an options object, or PyTorch's positional sizes `new LSTM(I, H, { ...options })`.
 * Option keys are checked at run time: an unknown one (`batch_first`, `droput`) throws a
 * ConfigError naming the camelCase spelling; there are no snake_case aliases.
 *
 * Initial state: `{ h0, c0 }` (canonical) or PyTorch's tuple `[h0, c0]`, h0 [L·D, B, O] and
 * c0 [L·D, B, H] ([L·D, ·] unbatched); both or neither (zeros). Any other container throws
 * (see NOTE(state-forms)). To continue from a previous call: `lstm.forward(x2, { h0: hN, c0: cN })`.
 *
 * @example
 * ```ts
 * const lstm = new LSTM({ inputSize: 100, hiddenSize: 256, numLayers: 2, batchFirst: true, dropout: 0.3 });
 * const { output, hN, cN } = lstm.forward(randn([32, 50, 100]));
 * output.shape; // [32, 50, 256];  hN.shape, cN.shape: [2, 32, 256]
 * lstm.forward(randn([32, 50, 100]), { h0: hN, c0: cN }); // or [hN, cN], as PyTorch
 * ```
 */
export class LSTM extends RNNBase {
  /** The forget-gate bias added at construction ({@link LSTMOptions.forgetBias}; 0: PyTorch's init). */
  readonly forgetBias: number;

  constructor(options: LSTMOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<LSTMOptions, 'inputSize' | 'hiddenSize'>);
  constructor(
    first: LSTMOptions | number,
    hiddenSize?: number,
    rest?: Omit<LSTMOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    const options = sizedOptions<LSTMOptions>('LSTM', LSTM_KEYS, first, hiddenSize, rest);
    super('LSTM', options);
    this.forgetBias = options.forgetBias ?? 0;
    if (this.forgetBias !== 0) this.addForgetBias(this.forgetBias);
  }

  /**
   * Runs the layer over a padded batch: input [T, B, I] ([B, T, I] with batchFirst, [T, I] unbatched)
   * -> `output` [T, B, D·O], `hN` [L·D, B, O], `cN` [L·D, B, H]. A wrong input or state shape is a `ShapeError` naming the expected shape; a state in a container the layer does not take is a `ConfigError` (NOTE(state-forms)).
   */
  forward(input: Tensor, state?: InitialState | null): LSTMOutput<Tensor>;
  /**
   * Runs the layer over a packed batch (`packPaddedSequence`): each sequence stops at its own length,
   * so the final states are those of its last real step, and `output` is packed the same way.
   */
  forward(input: PackedSequence, state?: InitialState | null): LSTMOutput<PackedSequence>;
  /** Either form, for a caller that holds `Tensor | PackedSequence`; the output has the input's form. */
  forward(input: Tensor | PackedSequence, state?: InitialState | null): LSTMOutput<Tensor | PackedSequence>;
  forward(input: Tensor | PackedSequence, state?: InitialState | null): LSTMOutput<Tensor | PackedSequence> {
    const { output, hN, cN } = this.run(input, state);
    return { output, hN, cN: cN as Tensor };
  }
}
