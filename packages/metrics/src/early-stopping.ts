import { ConfigError, describeValue, Tensor } from '@seqlab/tensor';
import { checkInteger, checkOptions } from './inputs';

/**
 * A model's weights or any other training state, keyed by name: the `Map<string, Tensor>` that
 * `Module.stateDict()` returns, or a plain object.
 *
 * @example
 * ```ts
 * const state: StateDict = { 'linear.weight': new Float32Array([0.1, 0.2]), step: 12 };
 * const weights: StateDict = model.stateDict(); // Map<string, Tensor>
 * ```
 */
export type StateDict = Record<string, unknown> | Map<string, unknown>;

/**
 * Whether a smaller (`'min'`, for losses) or a larger (`'max'`, for accuracy or F1) value is better.
 *
 * @example
 * ```ts
 * const mode: EarlyStoppingMode = 'max';
 * ```
 */
export type EarlyStoppingMode = 'min' | 'max';

/**
 * Options of {@link EarlyStopping}. The defaults are PyTorch Lightning's `EarlyStopping`.
 *
 * @example
 * ```ts
 * const options: EarlyStoppingOptions = { patience: 5, minDelta: 1e-3, mode: 'max' };
 * ```
 */
export interface EarlyStoppingOptions {
  /** How many steps in a row without improvement stop training (an integer ≥ 0). Default 3. */
  patience?: number;
  /** How much better than the best value a value must be to count as an improvement (≥ 0). Default 0. */
  minDelta?: number;
  /** Default `'min'`. */
  mode?: EarlyStoppingMode;
}

/**
 * Why training stopped: `'patience'` ran out, or a value was NaN or infinite (`'nonFinite'`).
 *
 * @example
 * ```ts
 * if (stopper.stopReason === 'nonFinite') console.warn('the loss diverged');
 * ```
 */
export type StopReason = 'patience' | 'nonFinite';

/**
 * Everything {@link EarlyStopping} needs to resume, with snake_case keys as in PyTorch Lightning's
 * `EarlyStopping.state_dict()`. `best_state` is the held snapshot itself, not a copy.
 *
 * @example
 * ```ts
 * const saved: EarlyStoppingState = stopper.stateDict();
 * ```
 */
export interface EarlyStoppingState {
  /** `'min'` or `'max'`: which way is better. */
  mode: EarlyStoppingMode;
  /** Steps in a row without improvement that stop training. */
  patience: number;
  /** The smallest change that counts as an improvement. */
  min_delta: number;
  /** The best value so far, or null before the first step. */
  best_score: number | null;
  /** The epoch of the best value, or null before the first step. */
  best_epoch: number | null;
  /** Steps since the last improvement. */
  wait_count: number;
  /** The epoch at which training stopped, or null while it goes on. */
  stopped_epoch: number | null;
  /** Why training stopped, or null while it goes on. */
  stop_reason: StopReason | null;
  /** The epoch number the next `step` gets when called without one. */
  next_epoch: number;
  /** The state held for the best epoch (the snapshot itself), or null when none was given. */
  best_state: StateDict | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A plain object or a Map (what `step` holds as the best state). */
function isStateDict(value: unknown): value is StateDict {
  return isPlainObject(value) || value instanceof Map;
}

/**
 * The default deep copy of a state dict: primitives as they are, typed arrays with `slice()`,
 * Tensors with `detach().clone()` (own storage, no graph, as `copy.deepcopy(model.state_dict())`
 * clones tensors in PyTorch), arrays, Maps and plain objects recursively, and any other object
 * through its own `clone()` method. Anything else (functions, class instances without `clone()`)
 * throws a ConfigError.
 */
function copyValue(op: string, value: unknown, path: string): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new ConfigError(
      op,
      'copyable state values',
      `a ${typeof value} at ${path}`,
      'Pass a snapshot function instead',
    );
  }
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return (value as unknown as Float32Array).slice();
  if (value instanceof Tensor) return value.detach().clone();
  if (Array.isArray(value)) return value.map((item, i) => copyValue(op, item, `${path}[${i}]`));
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    for (const [key, item] of value)
      copy.set(key, copyValue(op, item, `${path}.get(${JSON.stringify(key)})`));
    return copy;
  }
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = copyValue(op, item, `${path}.${key}`);
    return copy;
  }
  const clone = (value as { clone?: unknown }).clone;
  if (typeof clone === 'function') return clone.call(value);
  throw new ConfigError(
    op,
    'state values that are primitives, arrays, typed arrays, Tensors, Maps, plain objects or have clone()',
    `${describeValue(value)} at ${path}`,
    'Pass a snapshot function that returns your own copy instead',
  );
}

/**
 * Stops training when a monitored value has not improved for `patience` steps, remembers the best
 * value and its epoch, and can hold a copy of the weights from that epoch.
 *
 * A value improves when it beats the best so far by more than `minDelta` (smaller in `'min'`
 * mode, larger in `'max'`). After `patience` steps in a row without improvement, `step` returns
 * true and `shouldStop` stays true until `reset()`. A NaN or infinite value stops at once
 * (Lightning's `check_finite`).
 *
 * Porting note: PyTorch has no early stopping; the rules and defaults follow PyTorch Lightning's
 * `EarlyStopping` callback (patience 3, min_delta 0, mode 'min').
 *
 * Best weights: pass `state` to `step`. It is copied only when the value improves:
 * - a state dict (`model.stateDict()`'s `Map<string, Tensor>`, or a plain object) is deep-copied
 *   (tensors cloned, typed arrays sliced, arrays, Maps and plain objects copied recursively, other
 *   objects copied with their `clone()` method), so later training cannot change the copy;
 * - a function is called and its result kept as it is, so it decides how (and whether) to copy.
 *
 * `bestState` returns the held copy itself; load it into the model, do not mutate it.
 * `stateDict()` / `loadStateDict()` save and restore the counters with that copy (by reference),
 * so a resumed run stops at the same epoch as an uninterrupted one.
 *
 * @example
 * ```ts
 * const stopper = new EarlyStopping({ patience: 2, mode: 'min' });
 * for (const [epoch, loss] of [0.9, 0.7, 0.71, 0.72, 0.6].entries()) {
 *   if (stopper.step(loss, epoch, model.stateDict())) break; // stops at epoch 3
 * }
 * stopper.bestEpoch; // 1
 * stopper.bestValue; // 0.7
 * model.loadStateDict(stopper.bestState!);
 * ```
 */
export class EarlyStopping {
  /** Steps in a row without improvement that stop training. */
  readonly patience: number;
  /** How much better than the best value a value must be to count as an improvement. */
  readonly minDelta: number;
  /** `'min'` (a loss) or `'max'` (an accuracy). */
  readonly mode: EarlyStoppingMode;
  private best: number | null = null;
  private bestAt: number | null = null;
  private wait = 0;
  private stoppedAt: number | null = null;
  private reason: StopReason | null = null;
  private nextEpoch = 0;
  private snapshot: StateDict | null = null;

  constructor(options?: EarlyStoppingOptions) {
    const op = 'EarlyStopping';
    const {
      patience = 3,
      minDelta = 0,
      mode = 'min',
    } = checkOptions(op, options, ['patience', 'minDelta', 'mode']);
    this.patience = checkInteger(op, 'patience', patience, 0);
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) {
      throw new ConfigError(op, 'minDelta to be a finite number ≥ 0', String(minDelta));
    }
    if (mode !== 'min' && mode !== 'max')
      throw new ConfigError(op, "mode 'min' or 'max'", `'${String(mode)}'`);
    this.minDelta = minDelta;
    this.mode = mode;
  }

  /** The best value so far, or null before the first step. */
  get bestValue(): number | null {
    return this.best;
  }

  /** The epoch of the best value, or null before the first step. */
  get bestEpoch(): number | null {
    return this.bestAt;
  }

  /** Steps since the last improvement. */
  get epochsWithoutImprovement(): number {
    return this.wait;
  }

  /** True once patience ran out or a value was not finite; stays true until `reset()`. */
  get shouldStop(): boolean {
    return this.reason !== null;
  }

  /** The epoch at which `shouldStop` became true, or null. */
  get stoppedEpoch(): number | null {
    return this.stoppedAt;
  }

  /** Why training should stop, or null. */
  get stopReason(): StopReason | null {
    return this.reason;
  }

  /** The state held from the best epoch (not a copy), or null if none was passed. */
  get bestState(): StateDict | null {
    return this.snapshot;
  }

  /** Whether `value` would count as an improvement on the best value so far. */
  isImprovement(value: number): boolean {
    if (this.best === null) return Number.isFinite(value);
    return this.mode === 'min' ? value + this.minDelta < this.best : value - this.minDelta > this.best;
  }

  /**
   * Records the value of one epoch and returns whether to stop. `epoch` defaults to the previous
   * epoch + 1 (0 at first); `state` (a state dict, or a function returning one) is kept when the
   * value improves, as described on the class. Throws a ConfigError for a non-number value, a bad
   * epoch, or a state that is neither an object nor a function or cannot be copied.
   */
  step(value: number, epoch?: number, state?: StateDict | (() => StateDict)): boolean {
    const op = 'EarlyStopping.step';
    if (typeof value !== 'number') throw new ConfigError(op, 'a number', describeValue(value));
    const at = epoch === undefined ? this.nextEpoch : checkInteger(op, 'epoch', epoch, 0);
    if (state !== undefined && typeof state !== 'function' && !isStateDict(state)) {
      throw new ConfigError(op, 'state as a state dict or a function returning one', describeValue(state));
    }
    if (!Number.isFinite(value)) {
      this.stop(at, 'nonFinite');
    } else if (this.isImprovement(value)) {
      // Copy first: a state that cannot be copied throws before anything changes.
      if (state !== undefined) this.snapshot = this.copy(op, state);
      this.best = value;
      this.bestAt = at;
      this.wait = 0;
    } else {
      this.wait += 1;
      if (this.wait >= this.patience) this.stop(at, 'patience');
    }
    this.nextEpoch = at + 1;
    return this.shouldStop;
  }

  private stop(epoch: number, reason: StopReason): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.stoppedAt = epoch;
  }

  private copy(op: string, state: StateDict | (() => StateDict)): StateDict {
    if (typeof state !== 'function') return copyValue(op, state, 'state') as StateDict;
    const snapshot = state();
    if (!isStateDict(snapshot)) {
      throw new ConfigError(op, 'the snapshot function to return a state dict', describeValue(snapshot));
    }
    return snapshot;
  }

  /** The counters and the held best state, for checkpoints. */
  stateDict(): EarlyStoppingState {
    return {
      mode: this.mode,
      patience: this.patience,
      min_delta: this.minDelta,
      best_score: this.best,
      best_epoch: this.bestAt,
      wait_count: this.wait,
      stopped_epoch: this.stoppedAt,
      stop_reason: this.reason,
      next_epoch: this.nextEpoch,
      best_state: this.snapshot,
    };
  }

  /**
   * Restores what `stateDict()` returned. Throws a ConfigError if it was saved with other options
   * (construct the EarlyStopping with the same ones) or a field is missing or invalid.
   */
  loadStateDict(state: EarlyStoppingState): void {
    const op = 'EarlyStopping.loadStateDict';
    if (!isPlainObject(state)) throw new ConfigError(op, 'a state dict', describeValue(state));
    for (const [key, mine] of [
      ['mode', this.mode],
      ['patience', this.patience],
      ['min_delta', this.minDelta],
    ] as const) {
      if (state[key] !== mine) {
        throw new ConfigError(
          op,
          `${key} ${String(mine)}`,
          String(state[key]),
          'Construct EarlyStopping with the options it was saved with',
        );
      }
    }
    const nullable = (key: keyof EarlyStoppingState, ok: (v: unknown) => boolean) => {
      const v = state[key];
      if (v !== null && !ok(v)) throw new ConfigError(op, `a valid ${key}`, `${String(v)}`);
    };
    const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    nullable('best_score', (v) => typeof v === 'number' && Number.isFinite(v));
    nullable('best_epoch', isCount);
    nullable('stopped_epoch', isCount);
    nullable('stop_reason', (v) => v === 'patience' || v === 'nonFinite');
    nullable('best_state', isStateDict);
    for (const key of ['wait_count', 'next_epoch'] as const) {
      if (!isCount(state[key])) throw new ConfigError(op, `${key} to be an integer ≥ 0`, String(state[key]));
    }
    this.best = state.best_score;
    this.bestAt = state.best_epoch;
    this.wait = state.wait_count;
    this.stoppedAt = state.stopped_epoch;
    this.reason = state.stop_reason;
    this.nextEpoch = state.next_epoch;
    this.snapshot = state.best_state;
  }

  /** Forgets everything, as if newly constructed with the same options. */
  reset(): void {
    this.best = null;
    this.bestAt = null;
    this.wait = 0;
    this.stoppedAt = null;
    this.reason = null;
    this.nextEpoch = 0;
    this.snapshot = null;
  }
}
