import { ConfigError, checkOptions, optionKeys, Tensor } from '@seqlab/tensor';
import { checkSavedBy, readInt, readNumbers } from './lr-scheduler';
import { Optimizer } from './optimizer';
import { decodeNumber, encodeNumber, type SchedulerStateDict } from './state-dict';
import { checkInRange, checkNonNegative } from './validate';

/** Options of `ReduceLROnPlateau` (PyTorch's keyword arguments, camelCased). */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): the metric should fall; `'max'`: it should rise. */
  mode?: 'min' | 'max';
  /** Multiply the lr by this factor, in [0, 1), on a plateau (default 0.1). */
  factor?: number;
  /** Steps without improvement to tolerate before reducing (default 10). */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default): relative to the best; `'abs'`: absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

const REDUCE_KEYS = optionKeys<ReduceLROnPlateauOptions>({
  mode: true,
  factor: true,
  patience: true,
  threshold: true,
  thresholdMode: true,
  cooldown: true,
  minLr: true,
  eps: true,
});

/**
 * Reduces every group's lr by `factor` when a metric has stopped improving for more than
 * `patience` steps, as PyTorch 1.13's `ReduceLROnPlateau`. A metric a improves on the best b when
 *
 * ```text
 * min, rel:  a < b·(1 − threshold)      max, rel:  a > b·(1 + threshold)
 * min, abs:  a < b − threshold          max, abs:  a > b + threshold
 * ```
 *
 * After `patience` + 1 bad steps in a row: lr ← max(lr·factor, minLr) for every group where that
 * lowers the lr by more than `eps`; then `cooldown` steps are not counted.
 *
 * Porting notes: as in PyTorch 1.13 this is not an `LRScheduler` (its `step` takes the metric) and
 * cannot be chained. `getLastLr()` works before the first step. The state dict writes ±Infinity
 * (the best before any metric) as the strings 'Infinity' and '-Infinity'.
 *
 * @example
 * ```ts
 * const scheduler = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 3 });
 * for (let epoch = 0; epoch < 50; epoch++) {
 *   train(opt);
 *   scheduler.step(validationLoss());
 * }
 * ```
 */
export class ReduceLROnPlateau {
  /** The class name in errors and state dicts. */
  static readonly kind: string = 'ReduceLROnPlateau';
  /** The class name, as `ReduceLROnPlateau.kind`. */
  readonly kind: string = ReduceLROnPlateau.kind;
  /** The optimizer whose groups' lr this scheduler reduces. */
  readonly optimizer: Optimizer;
  /** `'min'`: the metric should fall; `'max'`: it should rise. */
  mode: 'min' | 'max';
  /** The lr is multiplied by this on a plateau. */
  factor: number;
  /** Steps without improvement tolerated before a reduction. */
  patience: number;
  /** How much better than the best a metric must be to count as an improvement. */
  threshold: number;
  /** `'rel'`: `threshold` is relative to the best; `'abs'`: absolute. */
  thresholdMode: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. */
  cooldown: number;
  /** Lower bound on the lr, one per parameter group. */
  minLrs: number[];
  /** Reductions smaller than this are skipped. */
  eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Bad steps in a row. */
  numBadEpochs = 0;
  /** Steps of cooldown left. */
  cooldownCounter = 0;
  /** Steps taken. */
  lastEpoch = 0;
  #lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const op = this.kind;
    checkOptions(op, options, REDUCE_KEYS);
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = options;
    if (!(optimizer instanceof Optimizer)) {
      throw new ConfigError(op, 'an Optimizer', optimizer === null ? 'null' : typeof optimizer);
    }
    if (mode !== 'min' && mode !== 'max')
      throw new ConfigError(op, "mode 'min' or 'max'", JSON.stringify(mode));
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ConfigError(op, "thresholdMode 'rel' or 'abs'", JSON.stringify(thresholdMode));
    }
    checkInRange(op, 'factor', factor, 0, 1);
    for (const [name, value] of [
      ['patience', patience],
      ['cooldown', cooldown],
    ] as const) {
      if (!Number.isInteger(value) || value < 0)
        throw new ConfigError(op, `${name} to be an integer ≥ 0`, String(value));
    }
    checkNonNegative(op, 'threshold', threshold);
    checkNonNegative(op, 'eps', eps);
    const groups = optimizer.paramGroups.length;
    const minLrs = typeof minLr === 'number' ? new Array<number>(groups).fill(minLr) : [...minLr];
    if (minLrs.length !== groups) {
      throw new ConfigError(op, `${groups} values for minLr (one per parameter group)`, `${minLrs.length}`);
    }
    minLrs.forEach((v, i) => {
      checkNonNegative(op, typeof minLr === 'number' ? 'minLr' : `minLr[${i}]`, v);
    });
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = this.modeWorse;
    this.#lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** The worst value of the metric for the mode: +Infinity for 'min', −Infinity for 'max'. */
  get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** True while the cooldown after a reduction lasts. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records one metric value (a number or a one-element tensor) and reduces the lr on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    if (typeof current !== 'number') {
      throw new ConfigError(`${this.kind}.step`, 'a number or a one-element Tensor', typeof current);
    }
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad steps during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The lr of every group after the last step. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** Whether metric `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** The state as JSON, with PyTorch's attribute names. */
  stateDict(): SchedulerStateDict {
    return {
      scheduler: this.kind,
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      cooldown: this.cooldown,
      min_lrs: [...this.minLrs],
      eps: this.eps,
      best: encodeNumber(this.best),
      num_bad_epochs: this.numBadEpochs,
      cooldown_counter: this.cooldownCounter,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.#lastLr],
    };
  }

  /** Restores a state from `stateDict()`; a state dict of another class throws a ConfigError. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    const saved = checkSavedBy(op, this.kind, stateDict, 'scheduler');
    const groups = this.optimizer.paramGroups.length;
    const { mode, threshold_mode: thresholdMode } = saved;
    if (mode !== 'min' && mode !== 'max')
      throw new ConfigError(op, "mode 'min' or 'max'", JSON.stringify(mode));
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ConfigError(op, "threshold_mode 'rel' or 'abs'", JSON.stringify(thresholdMode));
    }
    const number = (key: string): number => decodeNumber(op, key, saved[key]);
    const next = {
      factor: number('factor'),
      patience: readInt(op, saved, 'patience'),
      threshold: number('threshold'),
      cooldown: readInt(op, saved, 'cooldown'),
      minLrs: readNumbers(op, saved, 'min_lrs', groups),
      eps: number('eps'),
      best: number('best'),
      numBadEpochs: readInt(op, saved, 'num_bad_epochs'),
      cooldownCounter: readInt(op, saved, 'cooldown_counter'),
      lastEpoch: readInt(op, saved, 'last_epoch'),
    };
    const lastLr = readNumbers(op, saved, '_last_lr', groups);
    Object.assign(this, next, { mode, thresholdMode });
    this.#lastLr = lastLr;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }
}
