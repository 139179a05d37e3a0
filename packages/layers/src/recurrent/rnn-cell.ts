import { ConfigError, optionKeys, RECURRENT_GATES, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import { CELL_KEYS, CellBase, type CellOptions } from './cell-base';
import { readCellState } from './state';

/** Options of `RNNCell`. */
export interface RNNCellOptions extends CellOptions {
  /** The activation of h' = act(W_ih x + b_ih + W_hh h + b_hh): `tanh` (default) or `relu`. */
  nonlinearity?: 'tanh' | 'relu';
}

// Object.assign, not a spread, so that a bundle without RNNCell drops it (a pure call; a spread may run getters).
const RNN_CELL_KEYS = /* @__PURE__ */ optionKeys<RNNCellOptions>(
  /* @__PURE__ */ Object.assign({}, CELL_KEYS, { nonlinearity: true as const }),
);

/**
 * One step of an Elman RNN (torch.nn.RNNCell): h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
 * x [B, I] (or [I]), h [B, H] -> h' [B, H]. State: `h` as a Tensor (canonical, PyTorch's form;
 * omitted or `null`: zeros); any other container throws (see NOTE(state-forms)).
 * Built from options or PyTorch's positional sizes: `new RNNCell(10, 20, { nonlinearity: 'relu' })`.
 */
export class RNNCell extends CellBase {
  /** The activation: `tanh` (default) or `relu`. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNCellOptions);
  constructor(
    inputSize: number,
    hiddenSize: number,
    options?: Omit<RNNCellOptions, 'inputSize' | 'hiddenSize'>,
  );
  constructor(
    first: RNNCellOptions | number,
    hiddenSize?: number,
    rest?: Omit<RNNCellOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    const options = sizedOptions<RNNCellOptions>('RNNCell', RNN_CELL_KEYS, first, hiddenSize, rest);
    super('RNNCell', RECURRENT_GATES.rnn_tanh, options);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ConfigError('RNNCell', "nonlinearity 'tanh' or 'relu'", `'${nl}'`);
    this.nonlinearity = nl;
  }

  /**
   * One step: x [B, I] (or [I]), h [B, H] (omitted or null: zeros) -> h' [B, H]. A wrong shape is a
   * `ShapeError` naming the expected one; a state that is not a Tensor is a `ConfigError`.
   */
  forward(input: Tensor, h?: Tensor | null): Tensor {
    const op = 'RNNCell.forward';
    const [x, unbatched] = this.batched(op, input);
    const h0 = this.state(op, 'h', readCellState(op, h, false).h, x.shape[0], unbatched);
    const [gi, gh] = this.projections(x, h0);
    const pre = gi.add(gh);
    const out = this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
    return unbatched ? out.squeeze(0) : out;
  }
}
