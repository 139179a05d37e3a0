import { optionKeys, RECURRENT_GATES, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import { CELL_KEYS, CellBase, type CellOptions } from './cell-base';
import { readCellState } from './state';

const LSTM_CELL_KEYS = /* @__PURE__ */ optionKeys<CellOptions>(CELL_KEYS);

/** The state of an LSTM cell. */
export interface LSTMState {
  /** The hidden state h, [B, H] ([H] unbatched). */
  h: Tensor;
  /** The cell state c, [B, H] ([H] unbatched). */
  c: Tensor;
}

/**
 * One step of an LSTM (torch.nn.LSTMCell), gates in PyTorch's order i, f, g, o:
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 *
 * x [B, I] (or [I]), state {h, c} [B, H] -> {h', c'}.
 *
 * State: `{ h, c }` (canonical: what `forward` returns, so `state = cell.forward(x_t, state)` runs
 * a loop) or PyTorch's tuple `[h, c]`; both or neither (omitted, `null` or `{}`: zeros). Any other
 * container throws (see NOTE(state-forms)).
 *
 * @example
 * ```ts
 * const cell = new LSTMCell(10, 20); // or new LSTMCell({ inputSize: 10, hiddenSize: 20 })
 * let state = cell.forward(randn([3, 10]));
 * state = cell.forward(randn([3, 10]), state); // or [state.h, state.c], as PyTorch
 * ```
 */
export class LSTMCell extends CellBase {
  constructor(options: CellOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>);
  constructor(
    first: CellOptions | number,
    hiddenSize?: number,
    rest?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    super(
      'LSTMCell',
      RECURRENT_GATES.lstm,
      sizedOptions<CellOptions>('LSTMCell', LSTM_CELL_KEYS, first, hiddenSize, rest),
    );
  }

  /**
   * One step: x [B, I] (or [I]), state {h, c} [B, H] (omitted, null or `{}`: zeros) -> {h', c'}. A
   * wrong shape is a `ShapeError` naming the expected one; only h or only c, or another container,
   * is a `ConfigError`.
   */
  forward(input: Tensor, state?: Partial<LSTMState> | readonly [Tensor, Tensor] | null): LSTMState {
    const op = 'LSTMCell.forward';
    const [x, unbatched] = this.batched(op, input);
    const given = readCellState(op, state, true);
    const h = this.state(op, 'h', given.h, x.shape[0], unbatched);
    const c = this.state(op, 'c', given.c, x.shape[0], unbatched);
    const [gi, gh] = this.projections(x, h);
    const [i, f, g, o] = gi.add(gh).chunk(4, 1);
    const c1 = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    const h1 = o.sigmoid().mul(c1.tanh());
    return unbatched ? { h: h1.squeeze(0), c: c1.squeeze(0) } : { h: h1, c: c1 };
  }
}
