import {
  ConfigError,
  checkOptions,
  DTypeError,
  describeValue,
  type FloatStorage,
  formatShape,
  optionKeys,
  ShapeError,
  Tensor,
} from '@seqlab/tensor';
import {
  dataFromNested,
  isRecord,
  type JsonValue,
  type OptimizerStateDict,
  type ParamGroupState,
  snakeCase,
} from './state-dict';

/** The options every optimizer has. */
export interface OptimizerOptions {
  /** Learning rate. */
  lr: number;
}

/** An option value: a number, a flag, or a pair (Adam's `betas`). */
export type OptionValue = number | boolean | readonly [number, number];

/**
 * A parameter group: its tensors and its options. The options are plain, writable fields, so a
 * learning-rate schedule (or you) can change `lr` (or `momentum`, `betas`) between steps.
 */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  /** The tensors this group updates. */
  params: Tensor[];
  /** The lr a schedule started from (PyTorch's `initial_lr`); the first LR scheduler sets it. */
  initialLr?: number;
};

/** A parameter group as given to an optimizer: its tensors, and options that override the defaults. */
export type ParamGroupInit<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  /** The group's tensors (floating, each in one group only). */
  params: Iterable<Tensor>;
};

/** What an optimizer takes: a list of tensors (one group), or a list of parameter groups. */
export type Params<O extends OptimizerOptions = OptimizerOptions> =
  | Iterable<Tensor>
  | Iterable<ParamGroupInit<O>>;

/** Per-parameter state: buffers shaped like the parameter (or null), and counters such as `step`. */
export type ParamState = Record<string, FloatStorage | number | null>;

/** Options of `Optimizer.zeroGrad`. */
export interface ZeroGradOptions {
  /** Drop the gradients (`grad = null`) instead of filling them with zeros (default true). */
  setToNone?: boolean;
}

const ZERO_GRAD_KEYS = optionKeys<ZeroGradOptions>({ setToNone: true });

const optionList = (keys: Iterable<string>): string => [...keys].join(', ');

/**
 * A copy of a tensor buffer of a state dict for parameter `p`: a ShapeError unless it has `p`'s
 * shape, a DTypeError unless `p`'s dtype (a float64 buffer for a float32 parameter would lose
 * precision silently, or the other way gain digits the run never had).
 */
function bufferFromTensor(op: string, what: string, value: Tensor, p: Tensor): FloatStorage {
  if (value.shape.length !== p.shape.length || value.shape.some((n, i) => n !== p.shape[i])) {
    throw new ShapeError(
      op,
      `${what} of shape ${formatShape(p.shape)} (the parameter's)`,
      formatShape(value.shape),
    );
  }
  if (value.dtype !== p.dtype) {
    throw new DTypeError(
      op,
      `${what} of dtype ${p.dtype} (the parameter's)`,
      value.dtype,
      `help: convert it first, e.g. tensor(buffer.data, { dtype: '${p.dtype}', shape })`,
    );
  }
  return (value.data as FloatStorage).slice();
}

/**
 * An optimizer constructor's second argument as options: an options object, or a number, which is
 * PyTorch's positional learning rate (`new Adam(params, 0.1)` is `{ lr: 0.1 }`). Anything else,
 * and arguments after it (`new SGD(params, 0.1, 0.9)`: PyTorch's positional momentum), throw.
 */
export function optionsArgument<O extends OptimizerOptions>(
  kind: string,
  options: Partial<O> | number | undefined,
  extra: readonly unknown[] = [],
): Partial<O> {
  if (extra.length > 0) {
    throw new ConfigError(
      kind,
      '(params, lr) or (params, { lr, ...options })',
      `${extra.length} more argument${extra.length === 1 ? '' : 's'} (${extra.map(describeValue).join(', ')})`,
      'help: pass the other options by name, e.g. { lr: 0.1, momentum: 0.9 }',
    );
  }
  if (options === undefined) return {};
  if (typeof options === 'number') return { lr: options } as Partial<O>;
  const proto = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new ConfigError(
      kind,
      'options as { lr, ... } or a number (the learning rate)',
      describeValue(options),
    );
  }
  return options;
}

/** Throws unless `params` can be iterated; a Module (it has `parameters()`) gets a hint. */
function checkParamsArgument(kind: string, params: unknown): void {
  const iterable =
    typeof params === 'object' &&
    params !== null &&
    typeof (params as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
  const expected = 'a list of tensors or of parameter groups';
  if (params instanceof Map) {
    throw new ConfigError(
      kind,
      expected,
      describeValue(params),
      'help: pass model.parameters() (a state dict holds detached copies)',
    );
  }
  if (iterable) return;
  if (typeof (params as { parameters?: unknown } | null)?.parameters === 'function') {
    throw new ConfigError(
      kind,
      expected,
      `${describeValue(params)} (a module)`,
      'help: pass model.parameters()',
    );
  }
  throw new ConfigError(kind, expected, describeValue(params));
}

/**
 * Base class of every optimizer: parameter groups with per-group options, per-parameter state,
 * `zeroGrad`, `step` and a `stateDict` that resumes training exactly.
 *
 * The options of a group are the optimizer's defaults overridden by the group's own. Parameters
 * must be floating-point leaf tensors with `requiresGrad`, each in one group once. `step()` skips
 * parameters whose `grad` is null, as PyTorch does. Optimizers write into `param.data` directly:
 * the update is not part of any autograd graph.
 *
 * Porting notes: `zeroGrad()` drops gradients by default (`setToNone: true`, PyTorch 2.0's default;
 * 1.13 zeroes them). `step()` takes no closure. The `foreach`, `fused`, `capturable` and
 * `differentiable` options do not exist: every optimizer runs one loop per parameter, PyTorch's
 * single-tensor path. Validation is stricter than PyTorch's: lr must be > 0 when a group is created
 * (a state dict may carry an lr a schedule annealed to 0), every group's options are checked (not
 * only the defaults), unknown options and parameters listed twice throw instead of warning.
 *
 * The options argument is an options object or a number, PyTorch's positional `lr`
 * (`new Adam(params, 0.1)`); further positional options (PyTorch's `SGD(params, 0.1, 0.9)`) throw
 * and must be named. A model passed instead of its parameters throws with `help: pass model.parameters()`.
 *
 * To write an optimizer, subclass it with a static `kind`, the `stateKeys` its state may hold,
 * `validateOptions` and `step` (see `SGD` for the smallest one).
 *
 * @example
 * ```ts
 * const opt = new SGD([{ params: encoder, lr: 0.01 }, { params: head }], { lr: 0.1, momentum: 0.9 });
 * opt.paramGroups[0].lr = 0.005; // per-group options are plain fields
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The class name in errors and state dicts (a static, so that it survives minification). */
  static readonly kind: string = 'Optimizer';
  /** This optimizer's class name, e.g. `Adam`, as in its errors and `stateDict().optimizer`. */
  readonly kind: string;
  /** The options a group gets unless it sets its own. */
  readonly defaults: Readonly<O>;
  /** The parameter groups, in order. Their options are writable. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  readonly state = new Map<Tensor, ParamState>();
  /** The keys a parameter's state may have (PyTorch's names). */
  protected abstract readonly stateKeys: readonly string[];
  readonly #owner = new Map<Tensor, string>();

  /**
   * @param params A list of tensors, or of parameter groups `{ params, ...options }`.
   * @param defaults Every option of this optimizer with its default value.
   * @param optionsOrLr The caller's options, which override `defaults` for every group, or a
   *   number: the learning rate, PyTorch's positional `lr`.
   * @param extra Arguments after the options, which are refused (see `optionsArgument`).
   */
  protected constructor(
    params: Params<O>,
    defaults: O,
    optionsOrLr: Partial<O> | number | undefined,
    extra: readonly unknown[] = [],
  ) {
    this.kind = new.target.kind;
    const options = optionsArgument<O>(this.kind, optionsOrLr, extra);
    this.checkOptionKeys(this.kind, defaults, options);
    this.defaults = Object.freeze({ ...defaults, ...options });
    if (params instanceof Tensor) {
      throw new ConfigError(
        this.kind,
        'a list of tensors or of parameter groups',
        'a single Tensor',
        'help: pass [param]',
      );
    }
    checkParamsArgument(this.kind, params);
    const list = [...(params as Iterable<Tensor | ParamGroupInit<O>>)];
    if (list.length === 0)
      throw new ConfigError(this.kind, 'a non-empty list of parameters', 'an empty list');
    const groups = list.every((p) => p instanceof Tensor)
      ? [{ params: list } as unknown as ParamGroupInit<O>]
      : list;
    for (const group of groups) {
      if (group instanceof Tensor) {
        throw new ConfigError(this.kind, 'either tensors or parameter groups', 'a list that mixes both');
      }
      this.addParamGroup(group);
    }
  }

  /**
   * Adds a parameter group (PyTorch's `add_param_group`), e.g. to unfreeze layers while training.
   * Its options default to the optimizer's.
   */
  addParamGroup(group: ParamGroupInit<O>): void {
    const index = this.paramGroups.length;
    const where = `paramGroups[${index}]`;
    if (!isRecord(group) || group.params === undefined) {
      throw new ConfigError(
        this.kind,
        `${where} to be { params, ...options }`,
        JSON.stringify(group) ?? String(group),
      );
    }
    const { params, ...overrides } = group;
    this.checkOptionKeys(this.kind, this.defaults, overrides as unknown as Partial<O>);
    const tensors = params instanceof Tensor ? [params] : [...params];
    const seen = new Map<Tensor, string>();
    tensors.forEach((p, i) => {
      this.checkParam(p, `${where}.params[${i}]`, seen);
      seen.set(p, `${where}.params[${i}]`);
    });
    const options = { ...this.defaults, ...overrides } as Record<string, unknown>;
    for (const [key, value] of Object.entries(options)) if (Array.isArray(value)) options[key] = [...value]; // own betas
    this.checkLr(this.kind, `${where}.lr`, options.lr, false);
    this.validateOptions(this.kind, options as O);
    for (const [p, at] of seen) this.#owner.set(p, at);
    this.paramGroups.push({ ...(options as O), params: tensors });
  }

  /**
   * Clears the gradients of every parameter: `grad = null` (default), or, with
   * `{ setToNone: false }`, fills the existing gradient tensors with zeros. A dropped gradient that
   * only the optimizers and `clipGradNorm` read goes back to the storage pool, for the next
   * backward's gradient of that parameter; one you read through `.grad` (or set) keeps its values.
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    checkOptions(`${this.kind}.zeroGrad`, options, ZERO_GRAD_KEYS);
    const { setToNone = true } = options;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p._peekGrad();
        if (grad === null) continue;
        if (setToNone) p._dropGrad();
        else grad.data.fill(0);
      }
    }
  }

  /** Updates every parameter that has a gradient, once. */
  abstract step(): void;

  /**
   * The optimizer's state, laid out like PyTorch's `state_dict()`: each parameter's buffers as
   * tensors keyed by parameter index, and each group's options. As in PyTorch, the buffers are
   * references, not copies: a tensor of the parameter's shape and dtype over the optimizer's own
   * storage, so later steps change them. Save them before stepping again (`saveSafetensors`), or
   * take the JSON form with `optimizerStateToJson`.
   *
   * Porting note: PyTorch 1.13 copies nothing either; its `step` is a tensor, ours a number.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const packed: ParamGroupState = { params: [] };
      for (const key of Object.keys(this.defaults)) {
        const value = (group as unknown as Record<string, OptionValue>)[key];
        packed[snakeCase(key)] = Array.isArray(value) ? [...value] : (value as JsonValue);
      }
      if (group.initialLr !== undefined) packed.initial_lr = group.initialLr;
      packed.params = group.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return packed;
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const entry: OptimizerStateDict['state'][string] = {};
      for (const [key, value] of Object.entries(s)) {
        entry[key] = ArrayBuffer.isView(value) ? new Tensor(value, p.shape, p.dtype) : value;
      }
      state[String(index.get(p))] = entry;
    }
    return { optimizer: this.kind, state, param_groups: paramGroups };
  }

  /**
   * Restores a state from `stateDict()`, group options included; the buffers are copied, so the
   * state dict stays the caller's. A buffer may be a tensor (of the parameter's shape and dtype) or
   * nested arrays, the JSON form (`optimizerStateToJson` after `JSON.parse`, and state dicts saved
   * by seqlab before buffers were tensors), whose numbers are rounded to the parameter's dtype.
   * Throws a ConfigError for a state dict of another optimizer class or with other group or
   * parameter counts, a ShapeError when a buffer's shape differs from its parameter's, and a
   * DTypeError when a tensor buffer's dtype does. Nothing changes unless the whole state dict is valid.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    if (!isRecord(stateDict)) {
      throw new ConfigError(op, 'a state dict { optimizer, state, param_groups }', String(stateDict));
    }
    if (stateDict.optimizer !== this.kind) {
      throw new ConfigError(
        op,
        `a state dict saved by ${this.kind}`,
        `one saved by ${String(stateDict.optimizer)}`,
        'help: load it into an optimizer of the class that saved it',
      );
    }
    const saved = stateDict.param_groups;
    if (!Array.isArray(saved) || !isRecord(stateDict.state)) {
      throw new ConfigError(op, 'the keys state and param_groups', Object.keys(stateDict).join(', '));
    }
    if (saved.length !== this.paramGroups.length) {
      throw new ConfigError(op, `${this.paramGroups.length} parameter groups`, `${saved.length}`);
    }
    // Saved parameter index -> our parameter, group by group (PyTorch's id_map).
    const byIndex = new Map<string, Tensor>();
    const options = saved.map((group, g) => {
      const ours = this.paramGroups[g].params;
      if (!isRecord(group) || !Array.isArray(group.params) || group.params.length !== ours.length) {
        const got = isRecord(group) && Array.isArray(group.params) ? group.params.length : 'none';
        throw new ConfigError(op, `param_groups[${g}] with ${ours.length} params`, `${got}`);
      }
      group.params.forEach((i, k) => {
        byIndex.set(String(i), ours[k]);
      });
      return this.readGroupOptions(op, group, g);
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(stateDict.state)) {
      const p = byIndex.get(key);
      if (!p) throw new ConfigError(op, `state keys that are parameter indices in param_groups`, `"${key}"`);
      if (!isRecord(entry)) throw new ConfigError(op, `an object for state["${key}"]`, JSON.stringify(entry));
      state.set(p, this.readParamState(op, key, entry, p));
    }
    // Everything is valid: apply.
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
    this.paramGroups.forEach((group, g) => {
      const { initialLr, ...rest } = options[g];
      Object.assign(group, rest);
      if (initialLr === undefined) delete group.initialLr;
      else group.initialLr = initialLr;
    });
  }

  /** Checks a group's options (lr is checked by the base). Throws a ConfigError naming `op`. */
  protected abstract validateOptions(op: string, options: O): void;

  /** The gradient of `p` as flat data, or null when it has none; a gradient of another size throws. */
  protected gradData(p: Tensor): FloatStorage | null {
    const grad = p._peekGrad();
    if (grad === null) return null;
    if (grad.numel !== p.numel) {
      throw new ShapeError(
        `${this.kind}.step`,
        `a gradient of shape ${formatShape(p.shape)} (the parameter's)`,
        formatShape(grad.shape),
      );
    }
    return grad.data as FloatStorage;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** The buffer `key` of `p`'s state, created filled with `fill` (in the parameter's dtype) when missing. */
  protected buffer(state: ParamState, key: string, p: Tensor, fill = 0): FloatStorage {
    const existing = state[key];
    if (ArrayBuffer.isView(existing)) return existing;
    const created = p.dtype === 'float64' ? new Float64Array(p.numel) : new Float32Array(p.numel);
    if (fill !== 0) created.fill(fill);
    state[key] = created;
    return created;
  }

  /** Throws unless `lr` is a finite number > 0 (≥ 0 when loading a state a schedule may have annealed to 0). */
  protected checkLr(op: string, name: string, lr: unknown, allowZero: boolean): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0 || (lr === 0 && !allowZero)) {
      const hint =
        lr === undefined || Number.isNaN(lr)
          ? `help: ${this.kind} has no default lr; pass { lr }`
          : undefined;
      throw new ConfigError(op, `${name} ${allowZero ? '≥' : '>'} 0`, String(lr), hint);
    }
  }

  /** Unknown keys throw through the shared `checkOptions`, so messages match every other package's. */
  private checkOptionKeys(op: string, defaults: O, options: Partial<O>): void {
    checkOptions(op, options, Object.keys(defaults));
  }

  private checkParam(p: unknown, where: string, seen: ReadonlyMap<Tensor, string>): void {
    if (!(p instanceof Tensor)) {
      throw new ConfigError(this.kind, `a Tensor at ${where}`, describeValue(p));
    }
    if (p.dtype !== 'float32' && p.dtype !== 'float64') {
      throw new DTypeError(this.kind, `a float32 or float64 parameter at ${where}`, p.dtype);
    }
    if (!p.requiresGrad) {
      throw new ConfigError(
        this.kind,
        `a parameter with requiresGrad: true at ${where}`,
        'requiresGrad: false',
        'help: set requiresGrad = true, or leave frozen tensors out of the optimizer',
      );
    }
    if (!p.isLeaf) {
      throw new ConfigError(
        this.kind,
        `a leaf tensor at ${where}`,
        `the output of ${p.gradFn}`,
        'help: optimize the tensors you created, not results computed from them',
      );
    }
    const first = this.#owner.get(p) ?? seen.get(p) ?? null;
    if (first !== null) {
      throw new ConfigError(
        this.kind,
        'each parameter in one group, once',
        `the tensor at ${first} again at ${where}`,
      );
    }
  }

  private readGroupOptions(op: string, group: Record<string, unknown>, g: number): Partial<ParamGroup<O>> {
    const out: Record<string, unknown> = {};
    for (const [key, fallback] of Object.entries(this.defaults as Record<string, OptionValue>)) {
      const name = snakeCase(key);
      const value = group[name];
      const what = `param_groups[${g}].${name}`;
      if (Array.isArray(fallback)) {
        if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number')) {
          throw new ConfigError(op, `a pair of numbers for ${what}`, JSON.stringify(value) ?? 'none');
        }
        out[key] = [value[0], value[1]];
      } else if (typeof value !== typeof fallback) {
        throw new ConfigError(op, `a ${typeof fallback} for ${what}`, JSON.stringify(value) ?? 'none');
      } else {
        out[key] = value;
      }
    }
    this.checkLr(op, `param_groups[${g}].lr`, out.lr, true);
    this.validateOptions(`${op} param_groups[${g}]`, out as O);
    const initialLr = group.initial_lr;
    if (initialLr !== undefined && typeof initialLr !== 'number') {
      throw new ConfigError(op, `a number for param_groups[${g}].initial_lr`, JSON.stringify(initialLr));
    }
    out.initialLr = initialLr;
    return out as Partial<ParamGroup<O>>;
  }

  private readParamState(op: string, key: string, entry: Record<string, unknown>, p: Tensor): ParamState {
    const s: ParamState = {};
    for (const [name, value] of Object.entries(entry)) {
      if (!this.stateKeys.includes(name)) {
        throw new ConfigError(
          op,
          `state keys of ${this.kind} (${optionList(this.stateKeys)})`,
          `"${name}" in state["${key}"]`,
          'help: was it saved by another optimizer?',
        );
      }
      if (name === 'step') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
          throw new ConfigError(op, `a step count ≥ 0 in state["${key}"].step`, JSON.stringify(value));
        }
        s[name] = value;
      } else if (value === null) {
        s[name] = null;
      } else if (value instanceof Tensor) {
        s[name] = bufferFromTensor(op, `state["${key}"].${name}`, value, p);
      } else {
        const data = p.dtype === 'float64' ? new Float64Array(p.numel) : new Float32Array(p.numel);
        dataFromNested(op, `state["${key}"].${name}`, value, p.shape, data);
        s[name] = data;
      }
    }
    return s;
  }
}
