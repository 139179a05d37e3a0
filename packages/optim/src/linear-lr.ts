import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';
import type { Optimizer } from './optimizer';
import { checkInRange, checkPositiveInt } from './validate';

/** Options of `LinearLR`. */
export interface LinearLROptions extends LRSchedulerOptions {
  /** Factor of the initial lr at step 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor of the initial lr from step `totalIters` on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps over which the factor moves from start to end (default 5). */
  totalIters?: number;
}

const LINEAR_LR_KEYS = optionKeys<LinearLROptions>({
  startFactor: true,
  endFactor: true,
  totalIters: true,
  lastEpoch: true,
});

/**
 * Moves every group's lr linearly from startFactor·lr_0 to endFactor·lr_0 over `totalIters` steps
 * (a warm-up with the defaults), as PyTorch's `LinearLR`. Chainable form:
 *
 * ```text
 * lr_0 ← lr_0·s
 * lr_t = lr_{t−1}·(1 + (e − s) / (N·s + (t − 1)·(e − s)))     for 0 < t ≤ N, unchanged after
 * ```
 *
 * Closed form lr_t = lr_0·(s + (e − s)·min(t, N)/N).
 *
 * Porting note: startFactor must be > 0 (PyTorch 1.13 accepts 0 and then divides by zero).
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 500 });
 * ```
 */
export class LinearLR extends LRScheduler {
  static override readonly kind: string = 'LinearLR';
  /** Factor of the initial lr at step 0. */
  startFactor: number;
  /** Factor of the initial lr from step `totalIters` on. */
  endFactor: number;
  /** Steps over which the factor moves from startFactor to endFactor. */
  totalIters: number;
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = {
    startFactor: 'start_factor',
    endFactor: 'end_factor',
    totalIters: 'total_iters',
  };

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    checkOptions('LinearLR', options, LINEAR_LR_KEYS);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    if (!(startFactor > 0 && startFactor <= 1))
      throw new ConfigError(this.kind, 'startFactor in (0, 1]', String(startFactor));
    checkInRange(this.kind, 'endFactor', endFactor, 0, 1, true);
    checkPositiveInt(this.kind, 'totalIters', totalIters);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._initialStep(); // see NOTE(initial-step) in lr-scheduler.ts
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    const lrs = this.groupLrs();
    if (t === 0) return lrs.map((lr) => lr * s);
    if (t > n) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(n, t)) / n));
  }
}
