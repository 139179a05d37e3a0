import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import { bisectRight, checkSavedBy, LRScheduler, type LRSchedulerOptions } from './lr-scheduler';
import type { Optimizer } from './optimizer';
import type { JsonValue, SchedulerStateDict } from './state-dict';

/** Throws unless `schedulers` is a non-empty list of LRSchedulers that all drive `optimizer`. */
function checkSchedulers(
  op: string,
  schedulers: readonly LRScheduler[],
  optimizer: Optimizer | null,
): Optimizer {
  if (!Array.isArray(schedulers) || schedulers.length === 0) {
    throw new ConfigError(
      op,
      'a non-empty list of schedulers',
      JSON.stringify(schedulers) ?? String(schedulers),
    );
  }
  schedulers.forEach((s, i) => {
    if (!(s instanceof LRScheduler)) {
      const name = (s as { kind?: unknown } | null)?.kind;
      throw new ConfigError(
        op,
        `an LRScheduler at schedulers[${i}]`,
        typeof name === 'string' ? name : typeof s,
        'help: ReduceLROnPlateau steps on a metric and cannot be chained (as in PyTorch 1.13)',
      );
    }
  });
  const target = optimizer ?? schedulers[0].optimizer;
  schedulers.forEach((s, i) => {
    if (s.optimizer !== target) {
      throw new ConfigError(
        op,
        'schedulers that all drive the same optimizer',
        `schedulers[${i}] driving another one`,
      );
    }
  });
  return target;
}

/** Loads each child's state from `saved._schedulers` (after checking there is one per child). */
function loadChildren(op: string, children: readonly LRScheduler[], saved: Record<string, unknown>): void {
  const states = saved._schedulers;
  if (!Array.isArray(states) || states.length !== children.length) {
    throw new ConfigError(op, `_schedulers with ${children.length} states`, JSON.stringify(states) ?? 'none');
  }
  children.forEach((child, i) => {
    child.loadStateDict(states[i] as SchedulerStateDict);
  });
}

/** Options of `SequentialLR`. */
export interface SequentialLROptions extends LRSchedulerOptions {
  /** The schedules to run one after another, all built on the same optimizer. */
  schedulers: readonly LRScheduler[];
  /** The steps at which the next schedule takes over: one fewer than schedulers, increasing. */
  milestones: readonly number[];
}

const SEQUENTIAL_LR_KEYS = optionKeys<SequentialLROptions>({
  schedulers: true,
  milestones: true,
  lastEpoch: true,
});

/**
 * Runs schedules one after another, switching at the milestones, as PyTorch 1.13's
 * `SequentialLR`: schedule k drives steps milestones[k−1] … milestones[k] − 1, and starts at its own
 * step 0 (its closed form) when it takes over. Building it resets every group's lr to its initial
 * lr and restarts the first schedule.
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, { tMax: 95 });
 * const scheduler = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * ```
 */
export class SequentialLR extends LRScheduler {
  static override readonly kind: string = 'SequentialLR';
  /** The schedulers, in the order they take over. */
  readonly schedulers: readonly LRScheduler[];
  /** The steps at which the next scheduler takes over (one fewer than the schedulers). */
  milestones: number[];
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = { milestones: '_milestones' };

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    checkOptions('SequentialLR', options, SEQUENTIAL_LR_KEYS);
    const { schedulers, milestones, lastEpoch = -1 } = options;
    super(optimizer, -1);
    const op = this.kind;
    checkSchedulers(op, schedulers, optimizer);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new ConfigError(
        op,
        `${schedulers.length - 1} milestones (one fewer than schedulers)`,
        `${Array.isArray(milestones) ? milestones.length : String(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m <= (i === 0 ? 0 : milestones[i - 1])) {
        throw new ConfigError(op, `increasing integer milestones > 0`, JSON.stringify(milestones));
      }
    });
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new ConfigError(op, 'lastEpoch to be an integer ≥ -1', String(lastEpoch));
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // Undo the first step every schedule took when it was built, then restart the first one.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]._initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler._stepTo(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /** The state, with each schedule's state under `_schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this.schedulers.map((s) => s.stateDict() as JsonValue) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    const saved = checkSavedBy(op, this.kind, stateDict, 'scheduler');
    loadChildren(op, this.schedulers, saved);
    super.loadStateDict(stateDict);
  }

  protected getLr(): number[] {
    return this.groupLrs(); // unused: step() delegates to the active schedule
  }
}

/**
 * Steps several chainable schedules together, each applying its change to the lr the previous one
 * left, as PyTorch 1.13's `ChainedScheduler`.
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.2, totalIters: 6 });
 * const decay = new ExponentialLR(opt, { gamma: 0.95 });
 * const scheduler = new ChainedScheduler([warmup, decay]); // both act on every step
 * ```
 */
export class ChainedScheduler extends LRScheduler {
  static override readonly kind: string = 'ChainedScheduler';
  /** The schedulers, each stepped on every `step()`, in this order. */
  readonly schedulers: readonly LRScheduler[];
  /** Hyperparameters kept in the state dict: field name → PyTorch's attribute name. */
  protected readonly savedFields: Readonly<Record<string, string>> = {};

  constructor(schedulers: readonly LRScheduler[]) {
    super(checkSchedulers(ChainedScheduler.kind, schedulers, null));
    this.schedulers = [...schedulers];
    this.lastLr = this.groupLrs();
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.groupLrs();
  }

  /** The state, with each schedule's state under `_schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this.schedulers.map((s) => s.stateDict() as JsonValue) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    const saved = checkSavedBy(op, this.kind, stateDict, 'scheduler');
    loadChildren(op, this.schedulers, saved);
    super.loadStateDict(stateDict);
  }

  protected getLr(): number[] {
    return this.groupLrs(); // unused: step() steps every schedule
  }
}
