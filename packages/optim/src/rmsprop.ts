import { Optimizer, type OptimizerOptions, type Params } from './optimizer';
import { checkNonNegative } from './validate';

/** Options of `RMSprop` (PyTorch's keyword arguments, camelCased). */
export interface RMSpropOptions extends OptimizerOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const RMSPROP_DEFAULTS: RMSpropOptions = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
};

/**
 * RMSprop, as PyTorch 1.13's `torch.optim.RMSprop` (single-tensor path). Per parameter θ with
 * gradient g:
 *
 * ```text
 * g ← −g                                  if maximize
 * g ← g + λ·θ                              if λ ≠ 0
 * s ← α·s + (1 − α)·g²
 * a ← α·a + (1 − α)·g;  d ← √(s − a²) + ε  if centered
 *                       d ← √s + ε         otherwise
 * b ← μ·b + g/d;  θ ← θ − lr·b             if μ > 0
 * θ ← θ − lr·g/d                           otherwise
 * ```
 *
 * State: `step`, `square_avg` (s), `momentum_buffer` (b) when μ > 0, `grad_avg` (a) when centered.
 *
 * @example
 * ```ts
 * const opt = new RMSprop(params, { lr: 1e-3, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  static override readonly kind: string = 'RMSprop';
  protected readonly stateKeys = ['step', 'square_avg', 'momentum_buffer', 'grad_avg'];

  constructor(
    params: Params<RMSpropOptions>,
    options: Partial<RMSpropOptions> | number = {},
    ...extra: never[]
  ) {
    super(params, RMSPROP_DEFAULTS, options, extra);
  }

  protected validateOptions(op: string, o: RMSpropOptions): void {
    checkNonNegative(op, 'eps', o.eps);
    checkNonNegative(op, 'momentum', o.momentum);
    checkNonNegative(op, 'weightDecay', o.weightDecay);
    checkNonNegative(op, 'alpha', o.alpha);
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        const x = p.data;
        const state = this.stateOf(p);
        state.step = ((state.step as number | undefined) ?? 0) + 1;
        const sq = this.buffer(state, 'square_avg', p);
        const buf = momentum > 0 ? this.buffer(state, 'momentum_buffer', p) : sq;
        const avg = centered ? this.buffer(state, 'grad_avg', p) : sq;
        for (let i = 0; i < x.length; i++) {
          let gi = maximize ? -g[i] : g[i];
          if (weightDecay !== 0) gi += weightDecay * x[i];
          sq[i] = alpha * sq[i] + (1 - alpha) * gi * gi;
          let d: number;
          if (centered) {
            avg[i] = alpha * avg[i] + (1 - alpha) * gi;
            d = Math.sqrt(sq[i] - avg[i] * avg[i]) + eps;
          } else {
            d = Math.sqrt(sq[i]) + eps;
          }
          if (momentum > 0) {
            buf[i] = momentum * buf[i] + gi / d;
            x[i] -= lr * buf[i];
          } else {
            x[i] -= (lr * gi) / d;
          }
        }
      }
    }
  }
}
