import type { FloatStorage } from '@seqlab/tensor';
import { backend, jsBackend } from '@seqlab/tensor/backend';
import { Optimizer, type OptimizerOptions, optionsArgument, type Params } from './optimizer';
import { checkInRange, checkNonNegative } from './validate';

/** Options of `Adam` and `AdamW` (PyTorch's keyword arguments, camelCased). */
export interface AdamOptions extends OptimizerOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment estimates, each in [0, 1) (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 penalty for Adam, decoupled decay for AdamW (default 0; AdamW 0.01). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad; default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
};

/**
 * Adam, as PyTorch 1.13's `torch.optim.Adam` (single-tensor path), with weight decay as an L2
 * penalty on the gradient. `AdamW` is this class with the decay decoupled from the gradient. Per
 * parameter θ with gradient g, at step t = 1, 2, …:
 *
 * ```text
 * g ← −g                                   if maximize
 * g ← g + λ·θ                               Adam, if λ ≠ 0
 * θ ← θ·(1 − lr·λ)                          AdamW
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * v̂ ← max(v̂, v)                            if amsgrad (v̂ is used below instead of v)
 * θ ← θ − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 * ```
 *
 * State: `step`, `exp_avg` (m), `exp_avg_sq` (v), and `max_exp_avg_sq` (v̂) with amsgrad; buffers
 * are kept in the parameter's dtype (float32), as PyTorch does, and the update runs in float64: the
 * active backend's `adamStep` kernel (the js backend's loop, or a native one with the same bits).
 *
 * @example
 * ```ts
 * const opt = new Adam(params, { lr: 1e-3 });
 * opt.zeroGrad();
 * loss.backward();
 * clipGradNorm(params, 5);
 * opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  static override readonly kind: string = 'Adam';
  protected readonly stateKeys = ['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  /** Decay θ by lr·λ directly instead of adding λ·θ to the gradient (AdamW). */
  protected readonly decoupledWeightDecay: boolean = false;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}, ...extra: never[]) {
    super(params, ADAM_DEFAULTS, options, extra);
  }

  protected validateOptions(op: string, o: AdamOptions): void {
    checkNonNegative(op, 'eps', o.eps);
    checkInRange(op, 'betas[0]', o.betas[0], 0, 1);
    checkInRange(op, 'betas[1]', o.betas[1], 0, 1);
    checkNonNegative(op, 'weightDecay', o.weightDecay);
  }

  step(): void {
    const decoupled = this.decoupledWeightDecay;
    const adamStep = backend().adamStep ?? jsBackend.adamStep;
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay, amsgrad, maximize } = group;
      const [beta1, beta2] = group.betas;
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        const x = p.data as FloatStorage; // parameters are floating (the Optimizer checks them)
        const state = this.stateOf(p);
        const m = this.buffer(state, 'exp_avg', p);
        const v = this.buffer(state, 'exp_avg_sq', p);
        const vMax = amsgrad ? this.buffer(state, 'max_exp_avg_sq', p) : null;
        const t = ((state.step as number | undefined) ?? 0) + 1;
        state.step = t;
        adamStep({
          param: x,
          grad: g,
          expAvg: m,
          expAvgSq: v,
          maxExpAvgSq: vMax,
          beta1,
          beta2,
          eps,
          stepSize: lr / (1 - beta1 ** t),
          bias2Sqrt: Math.sqrt(1 - beta2 ** t),
          l2: decoupled ? 0 : weightDecay,
          decay: decoupled ? 1 - lr * weightDecay : 1,
          maximize,
        });
      }
    }
  }
}

/**
 * AdamW: Adam with decoupled weight decay (θ ← θ·(1 − lr·λ) before the Adam update, instead of an
 * L2 term in the gradient), as PyTorch 1.13's `torch.optim.AdamW`. Same options and state as
 * `Adam`; `weightDecay` defaults to 0.01. See `Adam` for the update equations.
 *
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0.05 });
 * ```
 */
export class AdamW extends Adam {
  static override readonly kind: string = 'AdamW';
  protected override readonly decoupledWeightDecay: boolean = true;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}, ...extra: never[]) {
    super(params, { weightDecay: 0.01, ...optionsArgument<AdamOptions>('AdamW', options, extra) });
  }
}
