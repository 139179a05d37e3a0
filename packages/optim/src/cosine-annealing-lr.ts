import { checkOptions, optionKeys } from '@seqlab/tensor';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';
import type { Optimizer } from './optimizer';
import { checkNonNegative, checkPositiveInt } from './validate';

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** Half-period T_max of the cosine, in steps. */
  tMax: number;
  /** Minimum lr η_min (default 0). */
  etaMin?: number;
}

const COSINEANNEALING_LR_KEYS = optionKeys<CosineAnnealingLROptions>({
  tMax: true,
  etaMin: true,
  lastEpoch: true,
});

/**
 * Cosine annealing from each group's initial lr η_max down to η_min over T_max steps, as
 * PyTorch 1.13's `CosineAnnealingLR`, with its recursive (chainable) form:
 *
 * ```text
 * η_t = η_min + (η_{t−1} − η_min)·(1 + cos(πt/T_max)) / (1 + cos(π(t−1)/T_max))
 * η_t = η_{t−1} + (η_max − η_min)·(1 − cos(π/T_max)) / 2       when (t − 1 − T_max) mod 2T_max = 0
 * ```
 *
 * When nothing else changes the lr this equals the closed form
 * η_t = η_min + (η_max − η_min)·(1 + cos(πt/T_max))/2; past T_max it rises again (no restarts).
 *
 * @example
 * ```ts
 * const scheduler = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  static override readonly kind: string = 'CosineAnnealingLR';
  /** T_max: the steps of half a cosine period, from the initial lr down to etaMin. */
  tMax: number;
  /** η_min, the lowest lr. */
  etaMin: number;
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = { tMax: 'T_max', etaMin: 'eta_min' };

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    checkOptions('CosineAnnealingLR', options, COSINEANNEALING_LR_KEYS);
    const { tMax, etaMin = 0, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkPositiveInt(this.kind, 'tMax', tMax);
    checkNonNegative(this.kind, 'etaMin', etaMin);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._initialStep(); // see NOTE(initial-step) in lr-scheduler.ts
  }

  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch: t } = this;
    if (t === 0) return this.groupLrs();
    if (this._stepCount === 1 && t > 0) {
      return this.baseLrs.map(
        (base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2,
      );
    }
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return this.optimizer.paramGroups.map(
        (group, i) => group.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    }
    const ratio = (1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax));
    return this.groupLrs().map((lr) => ratio * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { tMax, etaMin, lastEpoch: t } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2);
  }
}
