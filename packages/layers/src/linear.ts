import {
  assertTensor,
  ConfigError,
  checkOptions,
  formatShape,
  linear,
  optionKeys,
  ShapeError,
  type Tensor,
  uniform,
} from '@seqlab/tensor';
import { Module } from './module';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}
const LINEAR_KEYS = /* @__PURE__ */ optionKeys<LinearOptions>({ bias: true });

/**
 * y = x Wᵀ + b (torch.nn.Linear). x [*, inFeatures] -> y [*, outFeatures].
 * Parameters: `weight` [outFeatures, inFeatures], `bias` [outFeatures]. Init as PyTorch:
 * both U(−1/√inFeatures, 1/√inFeatures).
 *
 * @example
 * ```ts
 * const fc = new Linear(512, 2);
 * fc.forward(randn([32, 512])).shape; // [32, 2]
 * ```
 */
export class Linear extends Module {
  /** Features of each input row. */
  readonly inFeatures: number;
  /** Features of each output row. */
  readonly outFeatures: number;
  /** The weight W, shape [outFeatures, inFeatures]. */
  readonly weight: Tensor;
  /** The bias b, shape [outFeatures], or null with `bias: false`. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions('Linear', options, LINEAR_KEYS);
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ConfigError('Linear', `a positive integer ${name}`, `${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const k = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter('weight', uniform([outFeatures, inFeatures], -k, k));
    this.bias = this.registerParameter('bias', options.bias === false ? null : uniform([outFeatures], -k, k));
  }

  /** x [*, inFeatures] → x Wᵀ + b, shape [*, outFeatures]; a ShapeError names any other shape. */
  forward(x: Tensor): Tensor {
    // x [*, in] -> [*, out]
    assertTensor('Linear.forward', x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError('Linear.forward', `input of shape [*, ${this.inFeatures}]`, formatShape(x.shape));
    }
    return linear(x, this.weight, this.bias);
  }
}
