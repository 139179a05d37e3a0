// Optimizer and scheduler state in PyTorch's state_dict layout. An optimizer's buffers are tensors
// that share the optimizer's storage (PyTorch's `state_dict()` returns references too);
// `optimizerStateToJson` turns them into nested arrays, the JSON form, so `JSON.stringify` →
// `JSON.parse` → `loadStateDict` resumes a run bit for bit. Keys are PyTorch's (snake_case), as
// everywhere in seqlab (see STYLE.md).
import { ConfigError, type FloatStorage, formatShape, ShapeError, Tensor } from '@seqlab/tensor';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Numbers nested like a tensor's `toArray()` (PyTorch's `tensor.tolist()`): a number for a 0-d tensor. */
export type NestedNumbers = number | NestedNumbers[];

/** One parameter group in a state dict: PyTorch's option names, and the indices of its parameters. */
export interface ParamGroupState {
  /** Indices of the group's parameters, numbered across all groups in order. */
  params: number[];
  [option: string]: JsonValue;
}

/**
 * An optimizer's state, laid out like PyTorch's `optimizer.state_dict()`: `state` maps a
 * parameter's index (its position across all groups) to its state; `param_groups` holds each
 * group's options and parameter indices. `optimizer` names the class that saved it.
 *
 * A buffer is a `Tensor` shaped like its parameter and of its dtype, as `stateDict()` returns it
 * (sharing the optimizer's storage, no copy), or nested arrays of numbers, the JSON form
 * (`optimizerStateToJson`, and the state dicts of seqlab before tensors). `loadStateDict` reads both.
 *
 * Porting note: PyTorch's state dict has no `optimizer` key; ours has one so that loading into
 * another optimizer class fails loudly. In the JSON form non-finite buffer values become `null`
 * under `JSON.stringify`; `loadStateDict` reads a `null` element as NaN.
 */
export interface OptimizerStateDict {
  /** The class that saved it (`Adam`, `SGD`, …); loading into another class is a `ConfigError`. */
  optimizer: string;
  /**
   * Per parameter index, its state: buffers (a tensor shaped like the parameter, or nested arrays
   * in the JSON form; `null` for a buffer not created yet) and counters such as `step`.
   */
  state: Record<string, Record<string, Tensor | NestedNumbers | null>>;
  /** Each group's options (PyTorch's names: `lr`, `weight_decay`, …) and parameter indices. */
  param_groups: ParamGroupState[];
}

/**
 * An optimizer state dict with every buffer as nested arrays (`Tensor.toArray()`), which
 * `JSON.stringify` writes and `loadStateDict` reads back bit for bit (float32 values are exact as
 * JSON numbers). The other fields are copied. To save buffers compactly, write the tensors of
 * `stateDict()` with `saveSafetensors` instead.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(optimizerStateToJson(opt.stateDict()));
 * fresh.loadStateDict(JSON.parse(text));
 * ```
 */
export function optimizerStateToJson(stateDict: OptimizerStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [index, entry] of Object.entries(stateDict.state)) {
    const out: Record<string, NestedNumbers | null> = {};
    for (const [key, value] of Object.entries(entry)) {
      out[key] = value instanceof Tensor ? nestedFromData(value.data, value.shape) : copyJson(value);
    }
    state[index] = out;
  }
  return {
    optimizer: stateDict.optimizer,
    state,
    param_groups: copyJson(stateDict.param_groups) as ParamGroupState[],
  };
}

/** A scheduler's state as JSON: PyTorch's attribute names, and `scheduler` naming the class. */
export interface SchedulerStateDict {
  /** The class that saved it (`StepLR`, …); loading into another class is a `ConfigError`. */
  scheduler: string;
  [key: string]: JsonValue;
}

const SNAKE_EXCEPTIONS: Record<string, string> = { tMax: 'T_max', etaMin: 'eta_min' };

/** seqlab's camelCase option name → PyTorch's (`weightDecay` → `weight_decay`, `tMax` → `T_max`). */
export function snakeCase(name: string): string {
  return SNAKE_EXCEPTIONS[name] ?? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Nested arrays of `shape` holding `data` (row-major), as `Tensor.toArray()` builds them. */
export function nestedFromData(data: ArrayLike<number>, shape: readonly number[]): NestedNumbers {
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number, size: number): NestedNumbers[] => {
    const n = shape[dim];
    const inner = size / n;
    const out: NestedNumbers[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * inner, inner);
    }
    return out;
  };
  return build(0, 0, data.length);
}

/** The shape of regular nested arrays (from the first element at each level). */
function shapeOfNested(value: unknown): number[] {
  const shape: number[] = [];
  let level = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/**
 * Writes nested arrays of `shape` into `out` (row-major). Throws a ShapeError naming `what` when the
 * nesting is not exactly `shape`, and a ConfigError for a value that is neither a number nor null
 * (null reads as NaN, which is what `JSON.stringify` makes of NaN and ±Infinity).
 */
export function dataFromNested(
  op: string,
  what: string,
  value: unknown,
  shape: readonly number[],
  out: FloatStorage,
): void {
  const got = shapeOfNested(value);
  const mismatch = (actual: string): ShapeError =>
    new ShapeError(op, `${what} of shape ${formatShape(shape)} (the parameter's)`, actual);
  if (got.length !== shape.length || got.some((s, i) => s !== shape[i])) throw mismatch(formatShape(got));
  let k = 0;
  const walk = (node: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (node === null) out[k++] = Number.NaN;
      else if (typeof node === 'number') out[k++] = node;
      else throw new ConfigError(op, `numbers in ${what}`, JSON.stringify(node));
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) throw mismatch('ragged nested arrays');
    for (const child of node) walk(child, dim + 1);
  };
  walk(value, 0);
}

/** A finite number as itself; ±Infinity and NaN as the strings 'Infinity', '-Infinity', 'NaN' (JSON has none). */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** Reverses `encodeNumber`; anything else throws a ConfigError naming `what`. */
export function decodeNumber(op: string, what: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity' || value === '-Infinity' || value === 'NaN') return Number(value);
  throw new ConfigError(op, `a number for ${what}`, JSON.stringify(value) ?? String(value));
}

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of JSON data (state dicts are copied in and out, as PyTorch's `deepcopy`). */
export function copyJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
