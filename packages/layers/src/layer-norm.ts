import {
  assertTensor,
  ConfigError,
  checkOptions,
  formatShape,
  ones,
  optionKeys,
  ShapeError,
  type Tensor,
  zeros,
} from '@seqlab/tensor';
import { Module } from './module';

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) (default true). */
  elementwiseAffine?: boolean;
}
const LAYER_NORM_KEYS = /* @__PURE__ */ optionKeys<LayerNormOptions>({ eps: true, elementwiseAffine: true });

/**
 * Normalizes over the last dims (torch.nn.LayerNorm): y = (x − mean) / √(var + eps) · weight + bias,
 * with the biased variance, over the trailing `normalizedShape` dims.
 */
export class LayerNorm extends Module {
  /** The trailing dims normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance for stability. */
  readonly eps: number;
  /** The learned scale (ones at first), shape `normalizedShape`, or null without `elementwiseAffine`. */
  readonly weight: Tensor | null;
  /** The learned shift (zeros at first), shape `normalizedShape`, or null without `elementwiseAffine`. */
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    checkOptions('LayerNorm', options, LAYER_NORM_KEYS);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new ConfigError('LayerNorm', 'a non-empty shape of positive integers', formatShape(shape));
    }
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? ones(shape) : null);
    this.bias = this.registerParameter('bias', affine ? zeros(shape) : null);
  }

  /** x [*, ...normalizedShape] → the normalised x, same shape. */
  forward(x: Tensor): Tensor {
    assertTensor('LayerNorm.forward', x);
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    if (x.ndim < k || tail.some((s, i) => s !== this.normalizedShape[i])) {
      throw new ShapeError(
        'LayerNorm.forward',
        `input of shape [*, ${this.normalizedShape.join(', ')}]`,
        formatShape(x.shape),
      );
    }
    const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const centered = x.sub(x.mean(dims, true));
    const variance = centered.mul(centered).mean(dims, true);
    let y = centered.div(variance.add(this.eps).sqrt());
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}
