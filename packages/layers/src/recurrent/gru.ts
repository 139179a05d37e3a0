import { optionKeys, type PackedSequence, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import { RNN_BASE_KEYS, RNNBase, type RNNBaseOptions } from './rnn-base';
import type { InitialState } from './state';

const GRU_KEYS = /* @__PURE__ */ optionKeys<RNNBaseOptions>(RNN_BASE_KEYS);

/** What `GRU.forward` and `RNN.forward` return. */
export interface RNNOutput<O extends Tensor | PackedSequence> {
  /** h_t of the last layer for every step: [T, B, D·H] ([B, T, D·H] with batchFirst), or packed. */
  output: O;
  /** Final hidden states [L·D, B, H]. */
  hN: Tensor;
}

/**
 * A multi-layer gated recurrent unit RNN (torch.nn.GRU). Each layer computes (gate order r, z, n;
 * the reset gate multiplies the recurrent term after its matmul, as PyTorch):
 *
 *   r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)   z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
 *   n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))   h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
 *
 * Three gates instead of the LSTM's four and no cell state: 3/4 of its recurrent parameters.
 * Parameters as LSTM's with 3H rows: `weight_ih_l{l}` [3H, I or D·H], `weight_hh_l{l}` [3H, H],
 * `bias_ih_l{l}`, `bias_hh_l{l}` [3H]. Init U(−1/√H, 1/√H). Shapes, options and construction as
 * `LSTM` (`new GRU(I, H, { numLayers: 2 })` works too). Initial state: `h0` [L·D, B, H] (canonical,
 * PyTorch's form, so `gru.forward(x2, hN)` continues a sequence) or `{ h0 }`; any other container
 * throws (see NOTE(state-forms)).
 *
 * @example
 * ```ts
 * const gru = new GRU({ inputSize: 128, hiddenSize: 256, numLayers: 2, bidirectional: true, batchFirst: true });
 * gru.forward(randn([32, 50, 128])).output.shape; // [32, 50, 512]
 * ```
 */
export class GRU extends RNNBase {
  constructor(options: RNNBaseOptions);
  constructor(
    inputSize: number,
    hiddenSize: number,
    options?: Omit<RNNBaseOptions, 'inputSize' | 'hiddenSize'>,
  );
  constructor(
    first: RNNBaseOptions | number,
    hiddenSize?: number,
    rest?: Omit<RNNBaseOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    super('GRU', sizedOptions<RNNBaseOptions>('GRU', GRU_KEYS, first, hiddenSize, rest));
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
