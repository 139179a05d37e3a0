import type { FloatStorage, Tensor } from '@seqlab/tensor';
import { type Backend, backend, jsBackend, type StateMemory } from '@seqlab/tensor/backend';
import { Optimizer, type OptimizerOptions, optionsArgument, type ParamState, type Params } from './optimizer';
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
 * On wasm, float32 buffers are views of a WebAssembly memory of the optimizer's own, which the
 * kernel updates in place (Float32Arrays all the same); a buffer from elsewhere (`loadStateDict`,
 * another backend) is copied there at its parameter's next step, so `state` then holds a new array.
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
    const b = backend();
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay, amsgrad, maximize } = group;
      const [beta1, beta2] = group.betas;
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        const x = p.data as FloatStorage; // parameters are floating (the Optimizer checks them)
        const state = this.stateOf(p);
        const m = this.#buffer(b, state, 'exp_avg', p);
        const v = this.#buffer(b, state, 'exp_avg_sq', p);
        const vMax = amsgrad ? this.#buffer(b, state, 'max_exp_avg_sq', p) : null;
        const t = ((state.step as number | undefined) ?? 0) + 1;
        state.step = t;
        // The state memory's kernel when m is in it (v and v̂ may sit in an older one, for a step).
        const s = this.#memory;
        const adamStep =
          s?.backend === b && s.views.has(m) ? s.memory.adamStep : (b.adamStep ?? jsBackend.adamStep);
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

  /** The backend's state memory in use, the next free byte in it, and the views placed there. */
  #memory: { backend: Backend; memory: StateMemory; next: number; views: WeakSet<FloatStorage> } | null =
    null;
  /** A backend that could not make a state memory (asked once). */
  #refused: Backend | null = null;

  /**
   * The buffer `key` of `p`'s state; on a backend with a state memory (wasm), a float32 one is a
   * view of it, created there or moved there (copied) from wherever it was: a buffer loaded by
   * `loadStateDict`, made on another backend, or in a memory that ran out of room
   * (NOTE(wasm-adam-state)). The memory is made for every float32 parameter's buffers at once;
   * when it is full, a new one is, and buffers move to it as their parameters step.
   */
  #buffer(b: Backend, state: ParamState, key: string, p: Tensor): FloatStorage {
    const existing = state[key];
    if (p.dtype !== 'float32' || !b.stateMemory || b === this.#refused) return this.buffer(state, key, p);
    let s = this.#memory;
    if (s?.backend === b && existing instanceof Float32Array && s.views.has(existing)) return existing;
    const bytes = ((p.numel + 3) & ~3) * 4; // 16-byte aligned views
    if (s?.backend !== b || s.next + bytes > s.memory.end) {
      let total = 0;
      for (const group of this.paramGroups) {
        for (const q of group.params) {
          if (q.dtype === 'float32') total += ((q.numel + 3) & ~3) * 4 * (group.amsgrad ? 3 : 2);
        }
      }
      const memory = b.stateMemory(total);
      if (memory === null) {
        this.#refused = b;
        return this.buffer(state, key, p);
      }
      s = this.#memory = { backend: b, memory, next: memory.start, views: new WeakSet() };
    }
    const view = new Float32Array(s.memory.buffer, s.next, p.numel);
    s.next += bytes;
    s.views.add(view);
    if (ArrayBuffer.isView(existing)) view.set(existing);
    state[key] = view;
    return view;
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
