import { optionKeys, RECURRENT_GATES, type Tensor } from '@seqlab/tensor';
import { sizedOptions } from './arguments';
import { CELL_KEYS, CellBase, type CellOptions } from './cell-base';
import { readCellState } from './state';

const GRU_CELL_KEYS = /* @__PURE__ */ optionKeys<CellOptions>(CELL_KEYS);

/**
 * One step of a GRU (torch.nn.GRUCell), gates in PyTorch's order r, z, n; the reset gate
 * multiplies the recurrent term after its matmul, as PyTorch (and cuDNN) do:
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * x [B, I] (or [I]), h [B, H] -> h' [B, H]. State: `h` as a Tensor (canonical, PyTorch's form;
 * omitted or `null`: zeros); any other container throws (see NOTE(state-forms)).
 * Built from options or PyTorch's positional sizes: `new GRUCell(10, 20)`.
 */
export class GRUCell extends CellBase {
  constructor(options: CellOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>);
  constructor(
    first: CellOptions | number,
    hiddenSize?: number,
    rest?: Omit<CellOptions, 'inputSize' | 'hiddenSize'>,
  ) {
    super(
      'GRUCell',
      RECURRENT_GATES.gru,
      sizedOptions<CellOptions>('GRUCell', GRU_CELL_KEYS, first, hiddenSize, rest),
    );
  }

  /**
   * One step: x [B, I] (or [I]), h [B, H] (omitted or null: zeros) -> h' [B, H]. A wrong shape is a
   * `ShapeError` naming the expected one; a state that is not a Tensor is a `ConfigError`.
   */
  forward(input: Tensor, hState?: Tensor | null): Tensor {
    const op = 'GRUCell.forward';
    const [x, unbatched] = this.batched(op, input);
    const h = this.state(op, 'h', readCellState(op, hState, false).h, x.shape[0], unbatched);
    const [gi, gh] = this.projections(x, h);
    const [ir, iz, inn] = gi.chunk(3, 1);
    const [hr, hz, hn] = gh.chunk(3, 1);
    const r = ir.add(hr).sigmoid();
    const z = iz.add(hz).sigmoid();
    const n = inn.add(r.mul(hn)).tanh();
    const h1 = z.neg().add(1).mul(n).add(z.mul(h));
    return unbatched ? h1.squeeze(0) : h1;
  }
}
