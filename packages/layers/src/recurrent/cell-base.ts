import {
  assertTensor,
  ConfigError,
  formatShape,
  ShapeError,
  type Tensor,
  uniform,
  zeros,
} from '@seqlab/tensor';
import { Module } from '../module';

/** Options shared by the cells (torch.nn.RNNCell / LSTMCell / GRUCell arguments, camelCased). */
export interface CellOptions {
  /** Features I of the input x. */
  inputSize: number;
  /** Features H of the hidden state h (and of the LSTM's cell state c). */
  hiddenSize: number;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
}

/** Every key of `CellOptions`, for the run-time check of the cells' options. */
export const CELL_KEYS: { [K in keyof Required<CellOptions>]: true } = {
  inputSize: true,
  hiddenSize: true,
  bias: true,
};

/**
 * Shared parameters of the cells: weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H],
 * all U(−1/√H, 1/√H) as PyTorch. Cells run one time step with plain tensor ops; the layers (RNN,
 * LSTM, GRU) run whole sequences with the fused kernel, and a test proves the two agree.
 * Every cell is built from an options object or from PyTorch's positional sizes,
 * `new LSTMCell(I, H, { bias: false })`; unknown option keys throw (see `checkOptions`).
 */
export abstract class CellBase extends Module {
  /** Features I of the input x. */
  readonly inputSize: number;
  /** Features H of the hidden state. */
  readonly hiddenSize: number;
  /** The input's weights `weight_ih`, shape [G·H, I], gate blocks stacked (LSTM i, f, g, o; GRU r, z, n). */
  readonly weightIh: Tensor;
  /** The previous hidden state's weights `weight_hh`, shape [G·H, H], gate blocks as in `weightIh`. */
  readonly weightHh: Tensor;
  /** `bias_ih` [G·H], or null with `bias: false`. */
  readonly biasIh: Tensor | null;
  /** `bias_hh` [G·H], or null with `bias: false`. */
  readonly biasHh: Tensor | null;

  protected constructor(name: string, gates: number, options: CellOptions) {
    super();
    const { inputSize: I, hiddenSize: H } = options;
    for (const [key, v] of [
      ['inputSize', I],
      ['hiddenSize', H],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ConfigError(name, `a positive integer ${key}`, `${v}`);
    }
    this.inputSize = I;
    this.hiddenSize = H;
    const k = 1 / Math.sqrt(H);
    this.weightIh = this.registerParameter('weight_ih', uniform([gates * H, I], -k, k));
    this.weightHh = this.registerParameter('weight_hh', uniform([gates * H, H], -k, k));
    const bias = options.bias ?? true;
    this.biasIh = this.registerParameter('bias_ih', bias ? uniform([gates * H], -k, k) : null);
    this.biasHh = this.registerParameter('bias_hh', bias ? uniform([gates * H], -k, k) : null);
  }

  /** x [B, I] or [I] -> [B, I] plus whether to squeeze the batch dim off the results. */
  protected batched(op: string, x: Tensor): [Tensor, boolean] {
    assertTensor(op, x);
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        op,
        `input of shape [B, ${this.inputSize}] or [${this.inputSize}]`,
        formatShape(x.shape),
      );
    }
    return x.ndim === 1 ? [x.unsqueeze(0), true] : [x, false];
  }

  /** A state [B, H]: the given one (checked; [H] for unbatched input) or zeros. */
  protected state(
    op: string,
    name: string,
    s: Tensor | undefined,
    batch: number,
    unbatched: boolean,
  ): Tensor {
    if (!s) return zeros([batch, this.hiddenSize], { dtype: this.weightIh.dtype });
    const want = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    if (s.ndim !== want.length || s.shape.some((v, i) => v !== want[i])) {
      throw new ShapeError(op, `${name} of shape ${formatShape(want)}`, formatShape(s.shape));
    }
    return unbatched ? s.unsqueeze(0) : s;
  }

  /** x W_ihᵀ + b_ih and h W_hhᵀ + b_hh. */
  protected projections(x: Tensor, h: Tensor): [Tensor, Tensor] {
    let gi = x.matmul(this.weightIh.transpose(0, 1));
    let gh = h.matmul(this.weightHh.transpose(0, 1));
    if (this.biasIh) gi = gi.add(this.biasIh);
    if (this.biasHh) gh = gh.add(this.biasHh);
    return [gi, gh];
  }
}
