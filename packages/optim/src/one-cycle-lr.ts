import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';
import type { Optimizer, ParamGroup } from './optimizer';
import { checkInRange, checkPositive, checkPositiveInt } from './validate';

/** Options of `OneCycleLR` (PyTorch's keyword arguments, camelCased). */
export interface OneCycleLROptions extends LRSchedulerOptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs to train for (with `stepsPerEpoch`, when `totalSteps` is not given). */
  epochs?: number;
  /** Steps per epoch (with `epochs`, when `totalSteps` is not given). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing between phase ends. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop) or β1 (Adam, AdamW) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak, one for all groups or one per group (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start and end of the cycle (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** The initial lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial lr, then down to the final lr) as in the paper (default false). */
  threePhase?: boolean;
}

const ONE_CYCLE_LR_KEYS = optionKeys<OneCycleLROptions>({
  maxLr: true,
  totalSteps: true,
  epochs: true,
  stepsPerEpoch: true,
  pctStart: true,
  annealStrategy: true,
  cycleMomentum: true,
  baseMomentum: true,
  maxMomentum: true,
  divFactor: true,
  finalDivFactor: true,
  threePhase: true,
  lastEpoch: true,
});

/** One phase of the cycle (PyTorch's `_schedule_phases` entry): where it ends and what it anneals between. */
interface Phase {
  end_step: number;
  start_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  end_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  start_momentum: 'max_momentum' | 'base_momentum';
  end_momentum: 'max_momentum' | 'base_momentum';
}

type MomentumGroup = ParamGroup & { momentum?: number; betas?: readonly [number, number] };

/**
 * The 1cycle policy, as PyTorch 1.13's `OneCycleLR`: the lr rises from maxLr/divFactor to maxLr
 * over the first pctStart of `totalSteps`, then falls to initial/finalDivFactor; momentum (or
 * Adam's β1) moves the opposite way between maxMomentum and baseMomentum. Within a phase from step
 * a to b, with p = (t − a)/(b − a):
 *
 * ```text
 * cos:     v = end + (start − end)/2·(1 + cos(πp))
 * linear:  v = start + (end − start)·p
 * phases:  [initial → max, max → min]                          (default)
 *          [initial → max, max → initial, initial → min]       (threePhase)
 * ```
 *
 * Step once per batch; stepping past `totalSteps` throws. Not chainable.
 *
 * Porting note: the per-group max/min lrs and momenta live on the scheduler (and in its state dict),
 * not in the optimizer's parameter groups.
 *
 * @example
 * ```ts
 * const scheduler = new OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 * for (const batch of loader) { train(batch); opt.step(); scheduler.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  static override readonly kind: string = 'OneCycleLR';
  /** Steps in the whole cycle (`totalSteps`, or `epochs × stepsPerEpoch`). */
  totalSteps: number;
  /** How each phase moves between its ends: cosine or linear. */
  annealStrategy: 'cos' | 'linear';
  /** Whether momentum (or Adam's β1) cycles opposite to the lr. */
  cycleMomentum: boolean;
  /** Whether momentum is Adam's β1 (`betas[0]`) rather than `momentum`. */
  useBeta1: boolean;
  /** Peak lr of each parameter group. */
  maxLrs: number[];
  /** Final lr of each parameter group (initial lr / finalDivFactor). */
  minLrs: number[];
  /** Momentum of each group at the start and the end of the cycle (the upper bound). */
  maxMomentums: number[];
  /** Momentum of each group at the lr's peak (the lower bound). */
  baseMomentums: number[];
  /** The phases: the step each ends at and the fields it moves between (PyTorch's `_schedule_phases`). */
  phases: Phase[];
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = {
    totalSteps: 'total_steps',
    annealStrategy: 'anneal_strategy',
    cycleMomentum: 'cycle_momentum',
    useBeta1: 'use_beta1',
    maxLrs: 'max_lrs',
    minLrs: 'min_lrs',
    maxMomentums: 'max_momentums',
    baseMomentums: 'base_momentums',
    phases: '_schedule_phases',
  };

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    checkOptions('OneCycleLR', options, ONE_CYCLE_LR_KEYS);
    const {
      maxLr,
      pctStart = 0.3,
      annealStrategy = 'cos',
      cycleMomentum = true,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
      lastEpoch = -1,
    } = options;
    super(optimizer, lastEpoch);
    const op = this.kind;
    const groups = optimizer.paramGroups as MomentumGroup[];
    this.totalSteps = OneCycleLR.totalStepsOf(op, options);
    checkInRange(op, 'pctStart', pctStart, 0, 1, true);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') {
      throw new ConfigError(op, "annealStrategy 'cos' or 'linear'", JSON.stringify(annealStrategy));
    }
    checkPositive(op, 'divFactor', divFactor);
    checkPositive(op, 'finalDivFactor', finalDivFactor);
    const perGroup = (
      name: string,
      value: number | readonly number[],
      check: (what: string, v: number) => void,
    ) => {
      const list = typeof value === 'number' ? groups.map(() => value) : [...value];
      if (list.length !== groups.length) {
        throw new ConfigError(
          op,
          `${groups.length} values for ${name} (one per parameter group)`,
          `${list.length}`,
        );
      }
      list.forEach((v, i) => {
        check(typeof value === 'number' ? name : `${name}[${i}]`, v);
      });
      return list;
    };
    const lrCheck = (what: string, v: number): void => checkPositive(op, what, v);
    const momentumCheck = (what: string, v: number): void => checkInRange(op, what, v, 0, 1);
    this.maxLrs = perGroup('maxLr', maxLr, lrCheck);
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    const defaults = optimizer.defaults as { momentum?: unknown; betas?: unknown };
    this.useBeta1 = Array.isArray(defaults.betas);
    this.maxMomentums = [];
    this.baseMomentums = [];
    if (cycleMomentum) {
      if (!this.useBeta1 && typeof defaults.momentum !== 'number') {
        throw new ConfigError(
          op,
          'an optimizer with momentum or betas (SGD, RMSprop, Adam, AdamW) when cycleMomentum is true',
          optimizer.kind,
          'help: pass cycleMomentum: false',
        );
      }
      this.maxMomentums = perGroup('maxMomentum', maxMomentum, momentumCheck);
      this.baseMomentums = perGroup('baseMomentum', baseMomentum, momentumCheck);
    }
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        group.initialLr = this.maxLrs[i] / divFactor;
        if (!cycleMomentum) return;
        if (this.useBeta1)
          group.betas = [this.maxMomentums[i], (group.betas as readonly [number, number])[1]];
        else group.momentum = this.maxMomentums[i];
      });
      this.baseLrs = groups.map((group) => group.initialLr as number);
    }
    this.minLrs = groups.map((group) => (group.initialLr as number) / finalDivFactor);
    const total = this.totalSteps;
    this.phases = threePhase
      ? [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: 2 * pctStart * total - 2,
            start_lr: 'max_lr',
            end_lr: 'initial_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'initial_lr',
            end_lr: 'min_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'max_momentum',
          },
        ]
      : [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'max_lr',
            end_lr: 'min_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
        ];
    this._initialStep(); // see NOTE(initial-step) in lr-scheduler.ts
  }

  private static totalStepsOf(op: string, { totalSteps, epochs, stepsPerEpoch }: OneCycleLROptions): number {
    if (totalSteps !== undefined) {
      checkPositiveInt(op, 'totalSteps', totalSteps);
      return totalSteps;
    }
    if (epochs === undefined || stepsPerEpoch === undefined) {
      throw new ConfigError(op, 'totalSteps, or epochs and stepsPerEpoch', 'neither');
    }
    checkPositiveInt(op, 'epochs', epochs);
    checkPositiveInt(op, 'stepsPerEpoch', stepsPerEpoch);
    return epochs * stepsPerEpoch;
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps) {
      throw new ConfigError(
        `${this.kind}.step`,
        `at most totalSteps = ${this.totalSteps} steps`,
        `step ${t + 1}`,
        'help: make totalSteps (or epochs × stepsPerEpoch) cover the whole run',
      );
    }
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    const groups = this.optimizer.paramGroups as MomentumGroup[];
    return groups.map((group, i) => {
      const values = {
        initial_lr: group.initialLr as number,
        max_lr: this.maxLrs[i],
        min_lr: this.minLrs[i],
        max_momentum: this.maxMomentums[i] as number,
        base_momentum: this.baseMomentums[i] as number,
      };
      let start = 0;
      for (let k = 0; k < this.phases.length; k++) {
        const phase = this.phases[k];
        if (t <= phase.end_step || k === this.phases.length - 1) {
          const pct = (t - start) / (phase.end_step - start);
          if (this.cycleMomentum) {
            const momentum = anneal(values[phase.start_momentum], values[phase.end_momentum], pct);
            if (this.useBeta1) group.betas = [momentum, (group.betas as readonly [number, number])[1]];
            else group.momentum = momentum;
          }
          return anneal(values[phase.start_lr], values[phase.end_lr], pct);
        }
        start = phase.end_step;
      }
      return group.lr; // unreachable: the last phase always matches
    });
  }
}

/** Cosine anneal from `start` to `end` as `pct` goes from 0 to 1 (PyTorch's `_annealing_cos`). */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

/** Linear anneal from `start` to `end` as `pct` goes from 0 to 1 (PyTorch's `_annealing_linear`). */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}
