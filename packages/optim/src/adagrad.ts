import { Optimizer, type OptimizerOptions, type ParamGroupInit, type Params } from './optimizer';
import { checkNonNegative } from './validate';

/** Options of `Adagrad` (PyTorch's keyword arguments, camelCased). */
export interface AdagradOptions extends OptimizerOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay δ: step t uses lr / (1 + (t − 1)·δ) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const ADAGRAD_DEFAULTS: AdagradOptions = {
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
};

/**
 * Adagrad, as PyTorch 1.13's `torch.optim.Adagrad` (single-tensor path, dense gradients). Per
 * parameter θ with gradient g, at step t = 1, 2, …:
 *
 * ```text
 * g ← −g                          if maximize
 * g ← g + λ·θ                      if λ ≠ 0
 * η ← lr / (1 + (t − 1)·δ)
 * s ← s + g²                       (s starts at initialAccumulatorValue)
 * θ ← θ − η·g / (√s + ε)
 * ```
 *
 * State: `step` and `sum` (s), created for every parameter when the optimizer is built, as in
 * PyTorch.
 *
 * @example
 * ```ts
 * const opt = new Adagrad(params, { lr: 0.1, initialAccumulatorValue: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  static override readonly kind: string = 'Adagrad';
  protected readonly stateKeys = ['step', 'sum'];

  constructor(
    params: Params<AdagradOptions>,
    options: Partial<AdagradOptions> | number = {},
    ...extra: never[]
  ) {
    super(params, ADAGRAD_DEFAULTS, options, extra);
  }

  /** Adds a group and creates its parameters' state (`step` 0, `sum` filled with the initial value). */
  override addParamGroup(group: ParamGroupInit<AdagradOptions>): void {
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1];
    for (const p of added.params) {
      const state = this.stateOf(p);
      state.step = 0;
      this.buffer(state, 'sum', p, added.initialAccumulatorValue);
    }
  }

  protected validateOptions(op: string, o: AdagradOptions): void {
    checkNonNegative(op, 'lrDecay', o.lrDecay);
    checkNonNegative(op, 'weightDecay', o.weightDecay);
    checkNonNegative(op, 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative(op, 'eps', o.eps);
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = group;
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        const x = p.data;
        const state = this.stateOf(p);
        const sum = this.buffer(state, 'sum', p, initialAccumulatorValue);
        const t = ((state.step as number | undefined) ?? 0) + 1;
        state.step = t;
        const clr = lr / (1 + (t - 1) * lrDecay);
        for (let i = 0; i < x.length; i++) {
          let gi = maximize ? -g[i] : g[i];
          if (weightDecay !== 0) gi += weightDecay * x[i];
          sum[i] += gi * gi;
          x[i] -= (clr * gi) / (Math.sqrt(sum[i]) + eps);
        }
      }
    }
  }
}
