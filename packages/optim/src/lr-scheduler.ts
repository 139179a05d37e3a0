import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import { Optimizer } from './optimizer';
import { copyJson, isRecord, type JsonValue, type SchedulerStateDict } from './state-dict';
import { checkPositive, checkPositiveInt } from './validate';

/** Options every LR scheduler takes. */
export interface LRSchedulerOptions {
  /**
   * Index of the last step taken (default −1: start the schedule). Another value resumes a schedule
   * and needs every group's `initialLr`, e.g. from a loaded optimizer state dict.
   */
  lastEpoch?: number;
}

/** Index of the first element of sorted `xs` greater than `x` (Python's `bisect.bisect_right`). */
export function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Throws a ConfigError unless `stateDict` is an object saved by a `kind`. */
export function checkSavedBy(
  op: string,
  kind: string,
  stateDict: unknown,
  key: string,
): Record<string, unknown> {
  if (!isRecord(stateDict) || stateDict[key] !== kind) {
    const got = isRecord(stateDict) ? `one saved by ${String(stateDict[key])}` : String(stateDict);
    throw new ConfigError(
      op,
      `a state dict saved by ${kind}`,
      got,
      'help: load it into the class that saved it',
    );
  }
  return stateDict;
}

/** A JSON number array of length `n` from a state dict, or a ConfigError naming `key`. */
export function readNumbers(op: string, saved: Record<string, unknown>, key: string, n: number): number[] {
  const value = saved[key];
  if (!Array.isArray(value) || value.length !== n || value.some((v) => typeof v !== 'number')) {
    throw new ConfigError(
      op,
      `${key} with ${n} numbers (one per parameter group)`,
      JSON.stringify(value) ?? 'none',
    );
  }
  return [...value];
}

/** A JSON integer from a state dict, or a ConfigError naming `key`. */
export function readInt(op: string, saved: Record<string, unknown>, key: string): number {
  const value = saved[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(op, `an integer ${key}`, JSON.stringify(value) ?? 'none');
  }
  return value;
}

/**
 * Base class of the learning-rate schedules, as PyTorch 1.13's `_LRScheduler`: each `step()`
 * advances `lastEpoch` and writes a new `lr` into every parameter group of the optimizer. Most
 * schedules are chainable — they compute the next lr from the group's current one — so several can
 * drive one optimizer (`ChainedScheduler`). Building a schedule takes its first step (lastEpoch 0)
 * and records each group's starting lr as `initialLr`.
 *
 * Call `scheduler.step()` after `optimizer.step()`, once per epoch (or per batch for OneCycleLR).
 *
 * Porting notes: PyTorch's deprecated `step(epoch)` and its call-order warnings are left out; the
 * closed form it selected is still used where SequentialLR needs it. `verbose` is left out.
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train(opt);
 *   scheduler.step();
 * }
 * ```
 */
export abstract class LRScheduler {
  /** The class name in errors and state dicts (a static, so that it survives minification). */
  static readonly kind: string = 'LRScheduler';
  /** This schedule's class name, e.g. `StepLR`. */
  readonly kind: string;
  /** The optimizer whose groups' `lr` this schedule writes. */
  readonly optimizer: Optimizer;
  /** Each group's `initialLr` when the schedule was built. */
  baseLrs: number[];
  /** Index of the last step (0 after construction). */
  lastEpoch: number;
  /** @internal How many times `step()` ran (PyTorch's `_step_count`; CosineAnnealingLR reads it). */
  _stepCount = 0;
  /** The lrs written by the last step. */
  protected lastLr: number[] = [];
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected abstract readonly savedFields: Readonly<Record<string, string>>;

  // NOTE(initial-step): PyTorch's base constructor takes the first step, which needs the subclass's
  // fields; JavaScript sets those only after super() returns, so every concrete schedule calls
  // `this._initialStep()` at the end of its own constructor instead.
  protected constructor(optimizer: Optimizer, lastEpoch = -1) {
    this.kind = new.target.kind;
    if (!(optimizer instanceof Optimizer)) {
      throw new ConfigError(this.kind, 'an Optimizer', optimizer === null ? 'null' : typeof optimizer);
    }
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new ConfigError(this.kind, 'lastEpoch to be an integer ≥ -1', String(lastEpoch));
    }
    optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) group.initialLr ??= group.lr;
      else if (group.initialLr === undefined) {
        throw new ConfigError(
          this.kind,
          `paramGroups[${i}].initialLr when resuming with lastEpoch ${lastEpoch}`,
          'none',
          "help: load the optimizer's state dict first, or start with lastEpoch: -1",
        );
      }
    });
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Advances the schedule by one step and writes the new lr into every parameter group. */
  step(): void {
    this._stepCount += 1;
    this.lastEpoch += 1;
    this.apply(this.getLr());
  }

  /** The lr of every group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** @internal Jumps to `epoch` with the closed form where there is one (PyTorch's `step(epoch)`). */
  _stepTo(epoch: number): void {
    this._stepCount += 1;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.getLr());
  }

  /** @internal Resets the step count and takes the first step (PyTorch's `_initial_step`). */
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The schedule's state as JSON: PyTorch's attribute names, hyperparameters included. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {
      scheduler: this.kind,
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      _step_count: this._stepCount,
      _last_lr: [...this.lastLr],
    };
    const fields = this as unknown as Record<string, JsonValue>;
    for (const [field, key] of Object.entries(this.savedFields)) out[key] = copyJson(fields[field]);
    return out;
  }

  /**
   * Restores a state from `stateDict()`, hyperparameters included (as PyTorch does). Throws a
   * ConfigError for a state dict of another schedule or with another number of parameter groups.
   */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    const saved = checkSavedBy(op, this.kind, stateDict, 'scheduler');
    const groups = this.optimizer.paramGroups.length;
    const baseLrs = readNumbers(op, saved, 'base_lrs', groups);
    const lastLr = readNumbers(op, saved, '_last_lr', groups);
    const lastEpoch = readInt(op, saved, 'last_epoch');
    const stepCount = readInt(op, saved, '_step_count');
    const fields = this as unknown as Record<string, JsonValue>;
    const hyper = Object.entries(this.savedFields).map(([field, key]) => {
      const value = saved[key];
      const kindOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
      if (kindOf(value) !== kindOf(fields[field])) {
        throw new ConfigError(op, `${key} of type ${kindOf(fields[field])}`, JSON.stringify(value) ?? 'none');
      }
      return [field, copyJson(value as JsonValue)] as const;
    });
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
    this.lastEpoch = lastEpoch;
    this._stepCount = stepCount;
    for (const [field, value] of hyper) fields[field] = value;
  }

  /** The next lr of every group (PyTorch's chainable `get_lr`), with `lastEpoch` already advanced. */
  protected abstract getLr(): number[];

  /** The lr at `lastEpoch` from `baseLrs` alone, or null for schedules without a closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** The current lr of every group. */
  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  private apply(lrs: readonly number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.lastLr = this.groupLrs();
  }
}

/** Options of `StepLR`. */
export interface StepLROptions extends LRSchedulerOptions {
  /** Decay the lr every `stepSize` steps. */
  stepSize: number;
  /** Multiplicative decay factor γ (default 0.1). */
  gamma?: number;
}

const STEP_LR_KEYS = optionKeys<StepLROptions>({ stepSize: true, gamma: true, lastEpoch: true });

/**
 * Multiplies every group's lr by γ every `stepSize` steps, as PyTorch's `StepLR`:
 * lr_t = lr_{t−1}·γ when t > 0 and t mod stepSize = 0, else lr_{t−1}; closed form
 * lr_t = lr_0·γ^⌊t / stepSize⌋.
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // 0.05 → 0.005 at step 30
 * ```
 */
export class StepLR extends LRScheduler {
  static override readonly kind: string = 'StepLR';
  /** Steps between two decays. */
  stepSize: number;
  /** Multiplicative factor of the lr decay. */
  gamma: number;
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = {
    stepSize: 'step_size',
    gamma: 'gamma',
  };

  constructor(optimizer: Optimizer, options: StepLROptions) {
    checkOptions('StepLR', options, STEP_LR_KEYS);
    const { stepSize, gamma = 0.1, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkPositiveInt(this.kind, 'stepSize', stepSize);
    checkPositive(this.kind, 'gamma', gamma);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this._initialStep(); // see NOTE(initial-step)
  }

  protected getLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions extends LRSchedulerOptions {
  /** Steps at which to decay; a step listed k times decays by γ^k. */
  milestones: readonly number[];
  /** Multiplicative decay factor γ (default 0.1). */
  gamma?: number;
}

const MULTISTEP_LR_KEYS = optionKeys<MultiStepLROptions>({ milestones: true, gamma: true, lastEpoch: true });

/**
 * Multiplies every group's lr by γ at each milestone, as PyTorch's `MultiStepLR`:
 * lr_t = lr_{t−1}·γ^(times t is listed); closed form lr_t = lr_0·γ^(milestones ≤ t).
 *
 * @example
 * ```ts
 * const scheduler = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  static override readonly kind: string = 'MultiStepLR';
  /** The milestones, sorted (repeats kept). */
  milestones: number[];
  /** Multiplicative factor of the lr decay. */
  gamma: number;
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = {
    milestones: 'milestones',
    gamma: 'gamma',
  };

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    checkOptions('MultiStepLR', options, MULTISTEP_LR_KEYS);
    const { milestones, gamma = 0.1, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 0)
        throw new ConfigError(this.kind, `milestones[${i}] to be an integer ≥ 0`, String(m));
    });
    checkPositive(this.kind, 'gamma', gamma);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this._initialStep(); // see NOTE(initial-step)
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    const lrs = this.groupLrs();
    return count === 0 ? lrs : lrs.map((lr) => lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions extends LRSchedulerOptions {
  /** Multiplicative decay factor γ per step. */
  gamma: number;
}

const EXPONENTIAL_LR_KEYS = optionKeys<ExponentialLROptions>({ gamma: true, lastEpoch: true });

/**
 * Multiplies every group's lr by γ every step, as PyTorch's `ExponentialLR`: lr_t = lr_{t−1}·γ;
 * closed form lr_t = lr_0·γ^t.
 *
 * @example
 * ```ts
 * const scheduler = new ExponentialLR(opt, { gamma: 0.95 });
 * ```
 */
export class ExponentialLR extends LRScheduler {
  static override readonly kind: string = 'ExponentialLR';
  /** Multiplicative factor of the lr at every step. */
  gamma: number;
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = { gamma: 'gamma' };

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    checkOptions('ExponentialLR', options, EXPONENTIAL_LR_KEYS);
    const { gamma, lastEpoch = -1 } = options;
    super(optimizer, lastEpoch);
    checkPositive(this.kind, 'gamma', gamma);
    this.gamma = gamma;
    this._initialStep(); // see NOTE(initial-step)
  }

  protected getLr(): number[] {
    const lrs = this.groupLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}
