import type { Tensor } from '@seqlab/tensor';
import { CellBase, type CellOptions } from './cell-base';

/**
 * One step of a GRU (torch.nn.GRUCell), gates in PyTorch's order r, z, n; the reset gate
 * multiplies the recurrent term after its matmul, as PyTorch (and cuDNN) do:
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h
 */
export class GRUCell extends CellBase {
  constructor(options: CellOptions) {
    super('GRUCell', 3, options);
  }

  forward(input: Tensor, hState?: Tensor): Tensor {
    const [x, unbatched] = this.batched('GRUCell.forward', input);
    const h = this.state('GRUCell.forward', 'h', hState, x.shape[0], unbatched);
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
