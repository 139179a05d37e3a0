import { assertTensor } from './check-tensor';
import { allocate, checkDType, type DType, dtypeOfStorage, type Storage } from './dtype';
import { ConfigError, DTypeError, formatShape, ShapeError } from './errors';
import { checkOptions, optionKeys } from './options';
import { defaultGenerator, type Generator } from './random';
import { checkShape, numel, type Shape } from './shape';
import { type NestedArray, Tensor } from './tensor';

/** Options shared by the creation functions. */
export interface CreationOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Whether the new leaf tensor tracks gradients (floating dtypes only). */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreationOptions {
  /** Generator to draw from (default: the global one reset by `manualSeed`). */
  generator?: Generator;
}

/** Nested arrays of numbers or booleans, as accepted by `tensor()`. */
export type TensorLike = number | boolean | readonly TensorLike[];

const CREATION_KEYS = /* @__PURE__ */ optionKeys<CreationOptions>({ dtype: true, requiresGrad: true });
const TENSOR_KEYS = /* @__PURE__ */ optionKeys<CreationOptions & { shape?: readonly number[] }>({
  dtype: true,
  requiresGrad: true,
  shape: true,
});
const RANDOM_KEYS = /* @__PURE__ */ optionKeys<RandomOptions>({
  dtype: true,
  requiresGrad: true,
  generator: true,
});

function finish(t: Tensor, options: CreationOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: TensorLike): number[] {
  const shape: number[] = [];
  let level: TensorLike = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as TensorLike;
    if (level === undefined) break;
  }
  return shape;
}

/**
 * Creates a tensor from nested arrays (`tensor([[1, 2], [3, 4]])`), or from a typed array and a
 * shape (`tensor(new Float32Array(6), { shape: [2, 3] })`; the array is used, not copied).
 *
 * Porting note: integer data gives float32 unless `dtype: 'int32'` is passed (PyTorch infers
 * int64); an Int32Array gives int32, booleans give bool.
 *
 * @example
 * ```ts
 * const ids = tensor([[4, 9, 1]], { dtype: 'int32' });
 * const x = tensor([0.5, -1], { requiresGrad: true });
 * ```
 */
export function tensor(
  data: TensorLike | Storage,
  options: CreationOptions & { shape?: readonly number[] } = {},
): Tensor {
  checkOptions('tensor', options, TENSOR_KEYS);
  if (options.dtype !== undefined) checkDType('tensor', options.dtype);
  if (ArrayBuffer.isView(data)) {
    const shape = options.shape ?? [data.length];
    checkShape('tensor', shape);
    if (numel(shape) !== data.length) {
      throw new ShapeError(
        'tensor',
        `${numel(shape)} values for shape ${formatShape(shape)}`,
        `${data.length}`,
      );
    }
    const own = dtypeOfStorage(data);
    const dtype = options.dtype ?? own;
    const storage = dtype === own ? data : allocate(dtype, data.length);
    if (storage !== data) storage.set(data);
    return finish(new Tensor(storage, shape, dtype), options);
  }
  const shape = inferShape(data);
  if (options.shape && numel(options.shape) !== numel(shape)) {
    throw new ShapeError(
      'tensor',
      `${numel(options.shape)} values for shape ${formatShape(options.shape)}`,
      `${numel(shape)}`,
    );
  }
  const flat: (number | boolean)[] = [];
  let sawBool = false;
  const walk = (node: TensorLike, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(node))
        throw new ShapeError(
          'tensor',
          `a regular nested array of shape ${formatShape(shape)}`,
          'a ragged one',
        );
      if (typeof node === 'boolean') sawBool = true;
      else if (typeof node !== 'number') throw new DTypeError('tensor', 'numbers or booleans', typeof node);
      flat.push(node as number | boolean);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new ShapeError(
        'tensor',
        `a regular nested array of shape ${formatShape(shape)}`,
        `a ragged one at depth ${dim}`,
      );
    }
    for (const child of node) walk(child, dim + 1);
  };
  walk(data, 0);
  const dtype = options.dtype ?? (sawBool ? 'bool' : 'float32');
  const storage = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) storage[i] = Number(flat[i]);
  return finish(new Tensor(storage, options.shape ?? shape, dtype), options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options: CreationOptions = {}): Tensor {
  checkShape('full', shape);
  checkOptions('full', options, CREATION_KEYS);
  return filled('full', shape, value, options);
}

/** `full` after its options were checked, with the caller's op name for shape errors. */
function filled(op: string, shape: Shape, value: number, options: CreationOptions): Tensor {
  checkShape(op, shape);
  const dtype = options.dtype ?? 'float32';
  checkDType(op, dtype);
  const t = new Tensor(allocate(dtype, numel(shape)), shape, dtype);
  if (value !== 0) t.data.fill(value);
  return finish(t, options);
}

/** A tensor of zeros. */
export function zeros(shape: Shape, options: CreationOptions = {}): Tensor {
  checkShape('zeros', shape);
  checkOptions('zeros', options, CREATION_KEYS);
  return filled('zeros', shape, 0, options);
}

/** A tensor of ones. */
export function ones(shape: Shape, options: CreationOptions = {}): Tensor {
  checkShape('ones', shape);
  checkOptions('ones', options, CREATION_KEYS);
  return filled('ones', shape, 1, options);
}

/** Zeros with the shape (and by default dtype) of `like`. */
export function zerosLike(like: Tensor, options: CreationOptions = {}): Tensor {
  assertTensor('zerosLike', like, 'like');
  checkOptions('zerosLike', options, CREATION_KEYS);
  return filled('zerosLike', like.shape, 0, { dtype: like.dtype, ...options });
}

/** Ones with the shape (and by default dtype) of `like`. */
export function onesLike(like: Tensor, options: CreationOptions = {}): Tensor {
  assertTensor('onesLike', like, 'like');
  checkOptions('onesLike', options, CREATION_KEYS);
  return filled('onesLike', like.shape, 1, { dtype: like.dtype, ...options });
}

/** `value` with the shape (and by default dtype) of `like`. */
export function fullLike(like: Tensor, value: number, options: CreationOptions = {}): Tensor {
  assertTensor('fullLike', like, 'like');
  checkOptions('fullLike', options, CREATION_KEYS);
  return filled('fullLike', like.shape, value, { dtype: like.dtype, ...options });
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`, like torch.arange; with one
 * argument, 0 … end−1. Integer arguments give int32 unless a dtype is passed.
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  checkOptions('arange', options, CREATION_KEYS);
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new ConfigError(
      'arange',
      'finite bounds and a non-zero step',
      `start=${lo}, end=${hi}, step=${step}`,
    );
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const integral = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype = options.dtype ?? (integral ? 'int32' : 'float32');
  checkDType('arange', dtype);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return finish(new Tensor(data, [n], dtype), options);
}

/** The n × m identity matrix (m defaults to n). */
export function eye(n: number, m = n, options: CreationOptions = {}): Tensor {
  checkOptions('eye', options, CREATION_KEYS);
  checkShape('eye', [n, m]);
  const t = filled('eye', [n, m], 0, options);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

function randomFloat(
  op: string,
  shape: Shape,
  options: RandomOptions,
  fill: (g: Generator, data: Float32Array | Float64Array) => void,
): Tensor {
  checkShape(op, shape);
  checkOptions(op, options, RANDOM_KEYS);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(op, 'float32 or float64', dtype);
  const t = new Tensor(allocate(dtype, numel(shape)), shape, dtype);
  fill(options.generator ?? defaultGenerator(), t.data as Float32Array | Float64Array);
  return finish(t, options);
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return randomFloat('rand', shape, options, (g, data) => g.fillUniform(data, 0, 1));
}

/** Standard normal samples. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  return randomFloat('randn', shape, options, (g, data) => g.fillNormal(data, 0, 1));
}

/** Uniform samples in [low, high), as torch.nn.init.uniform_. */
export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  checkShape('uniform', shape);
  checkOptions('uniform', options, RANDOM_KEYS);
  if (!(low <= high)) throw new ConfigError('uniform', 'low ≤ high', `low=${low}, high=${high}`);
  return randomFloat('uniform', shape, options, (g, data) => g.fillUniform(data, low, high));
}

/** Integers uniform in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  checkOptions('randint', options, RANDOM_KEYS);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ConfigError('randint', 'integers low < high', `low=${low}, high=${high}`);
  }
  checkShape('randint', shape);
  const dtype = options.dtype ?? 'int32';
  const g = options.generator ?? defaultGenerator();
  const t = new Tensor(allocate(dtype, numel(shape)), shape, dtype);
  for (let i = 0; i < t.data.length; i++) t.data[i] = low + g.int(high - low);
  return finish(t, options);
}

export type { NestedArray };
