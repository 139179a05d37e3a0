import { assertTensor, ConfigError, describeValue, dropout, type Tensor } from '@seqlab/tensor';
import { Module } from './module';

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1−p)
 * (torch.nn.Dropout); the identity after `eval()`. Masks come from the seeded global generator.
 */
export class Dropout extends Module {
  /** The probability of zeroing each element while training. */
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number') {
      // PyTorch's keyword habit, new Dropout({ p: 0.5 }): say so rather than "[object Object]".
      throw new ConfigError(
        'Dropout',
        'a probability p in [0, 1]',
        describeValue(p),
        'Pass p itself: new Dropout(0.5)',
      );
    }
    if (!(p >= 0 && p <= 1)) throw new ConfigError('Dropout', 'a probability p in [0, 1]', `${p}`);
    this.p = p;
  }

  /**
   * Training: each element zeroed with probability p and the rest scaled by 1 / (1 − p); after
   * `eval()`, x itself. Any shape; the output has x's shape.
   */
  forward(x: Tensor): Tensor {
    assertTensor('Dropout.forward', x);
    return dropout(x, this.p, { training: this.training });
  }
}
