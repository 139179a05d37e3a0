import { ConfigError } from '@seqlab/tensor';
import { Optimizer, type OptimizerOptions, type Params } from './optimizer';
import { checkNonNegative } from './validate';

/** Options of `SGD` (PyTorch's keyword arguments, camelCased). */
export interface SGDOptions extends OptimizerOptions {
  /** Learning rate (no default: every group needs one). */
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const SGD_DEFAULTS: SGDOptions = {
  lr: Number.NaN, // PyTorch's `required`: a missing lr fails validation with a hint.
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
};

/**
 * Stochastic gradient descent, optionally with momentum, as PyTorch 1.13's `torch.optim.SGD`
 * (single-tensor path). Per parameter θ with gradient g, at step t:
 *
 * ```text
 * g ← −g                          if maximize
 * g ← g + λ·θ                      if λ ≠ 0
 * if μ ≠ 0:
 *   b ← g                          at the first step
 *   b ← μ·b + (1 − τ)·g            afterwards
 *   g ← g + μ·b  (nesterov)   or   g ← b
 * θ ← θ − lr·g
 * ```
 *
 * State: `momentum_buffer` (null while momentum is 0).
 *
 * @example
 * ```ts
 * const opt = new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  static override readonly kind: string = 'SGD';
  protected readonly stateKeys = ['momentum_buffer'];

  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> | number = {}, ...extra: never[]) {
    super(params, SGD_DEFAULTS, options, extra);
  }

  protected validateOptions(op: string, o: SGDOptions): void {
    checkNonNegative(op, 'momentum', o.momentum);
    checkNonNegative(op, 'weightDecay', o.weightDecay);
    if (!Number.isFinite(o.dampening)) throw new ConfigError(op, 'a finite dampening', String(o.dampening));
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ConfigError(
        op,
        'momentum > 0 and dampening = 0 with nesterov: true',
        `momentum ${o.momentum}, dampening ${o.dampening}`,
      );
    }
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        const x = p.data;
        const state = this.stateOf(p);
        if (momentum === 0) {
          for (let i = 0; i < x.length; i++) {
            let d = maximize ? -g[i] : g[i];
            if (weightDecay !== 0) d += weightDecay * x[i];
            x[i] -= lr * d;
          }
          state.momentum_buffer ??= null;
          continue;
        }
        const first = !ArrayBuffer.isView(state.momentum_buffer);
        const buf = this.buffer(state, 'momentum_buffer', p);
        for (let i = 0; i < x.length; i++) {
          let d = maximize ? -g[i] : g[i];
          if (weightDecay !== 0) d += weightDecay * x[i];
          buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
          d = nesterov ? d + momentum * buf[i] : buf[i];
          x[i] -= lr * d;
        }
      }
    }
  }
}
