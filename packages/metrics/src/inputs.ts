import {
  ConfigError,
  checkOptions as checkOptionKeys,
  DTypeError,
  describeValue,
  formatShape,
  ShapeError,
} from '@seqlab/tensor';

/**
 * Anything with a shape that can hand over its values as float32, such as a `@seqlab/tensor`
 * Tensor. Metrics accept tensors structurally so they do not depend on the tensor class; int32
 * label tensors come through `toFloat32Array()` too, which is exact for labels below 2^24.
 *
 * @example
 * ```ts
 * const t: TensorLike = { shape: [3], toFloat32Array: () => new Float32Array([0, 1, 1]) };
 * accuracyScore(t, [0, 1, 0]); // 0.6666666666666666
 * ```
 */
export interface TensorLike {
  /** Size of each dimension, outermost first (metrics take rank 1 or 2). */
  readonly shape: readonly number[];
  /** The values as a flat, row-major Float32Array of `shape`'s product elements. */
  toFloat32Array(): Float32Array;
}

/**
 * A 1-D input: a plain array, a typed array or a rank-1 {@link TensorLike}.
 *
 * @example
 * ```ts
 * const yTrue: VectorInput = new Int32Array([0, 2, 1]);
 * ```
 */
export type VectorInput = ArrayLike<number> | TensorLike;

/**
 * A 2-D input of shape [N, C]: nested arrays (one row per sample) or a rank-2 {@link TensorLike}.
 *
 * @example
 * ```ts
 * const yScore: MatrixInput = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]];
 * ```
 */
export type MatrixInput = readonly ArrayLike<number>[] | TensorLike;

/** A dense row-major matrix after conversion: `data[i * cols + j]`. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** True for objects that look like a tensor: a `shape` array and a `toFloat32Array` method. */
export function isTensorLike(value: unknown): value is TensorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as TensorLike).shape) &&
    typeof (value as TensorLike).toFloat32Array === 'function'
  );
}

function isArrayInput(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function tensorValues(op: string, name: string, tensor: TensorLike, rank: number): Float64Array {
  if (tensor.shape.length !== rank) {
    const what = rank === 1 ? `${name} of rank 1` : `${name} of rank 2 [N, C]`;
    throw new ShapeError(
      op,
      what,
      `shape ${formatShape(tensor.shape)}`,
      rank === 1 ? 'Flatten it first' : undefined,
    );
  }
  const values = tensor.toFloat32Array();
  const size = tensor.shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new ShapeError(
      op,
      `${size} values in ${name} of shape ${formatShape(tensor.shape)}`,
      `${values.length}`,
    );
  }
  return Float64Array.from(values);
}

function checkFinite(op: string, name: string, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ConfigError(op, `finite values in ${name}`, `${values[i]} at index ${i}`);
    }
  }
}

/**
 * Converts a 1-D input to float64 and checks it: rank 1, finite values and, unless `allowEmpty`,
 * at least one sample.
 */
export function toVector(op: string, name: string, input: VectorInput, allowEmpty = false): Float64Array {
  let values: Float64Array;
  if (isTensorLike(input)) {
    values = tensorValues(op, name, input, 1);
  } else if (isArrayInput(input)) {
    values = new Float64Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const v = input[i];
      if (typeof v !== 'number') {
        throw new DTypeError(op, `numbers in ${name}`, `${describeValue(v)} at index ${i}`);
      }
      values[i] = v;
    }
  } else {
    throw new ConfigError(op, `${name} as an array, typed array or tensor`, describeValue(input));
  }
  if (!allowEmpty && values.length === 0) {
    throw new ShapeError(op, `at least one sample in ${name}`, '0 samples');
  }
  checkFinite(op, name, values);
  return values;
}

/** Like {@link toVector}, and every value must be an integer class label. */
export function toLabels(op: string, name: string, input: VectorInput, allowEmpty = false): Float64Array {
  const values = toVector(op, name, input, allowEmpty);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isInteger(values[i])) {
      throw new DTypeError(op, `integer class labels in ${name}`, `${values[i]} at index ${i}`);
    }
  }
  return values;
}

/** Converts an [N, C] input to a dense float64 matrix with N ≥ 1 and finite values. */
export function toMatrix(op: string, name: string, input: MatrixInput): Matrix {
  let matrix: Matrix;
  if (isTensorLike(input)) {
    const data = tensorValues(op, name, input, 2);
    matrix = { data, rows: input.shape[0] as number, cols: input.shape[1] as number };
  } else if (Array.isArray(input)) {
    const rows = input.length;
    const cols = rows > 0 && isArrayInput(input[0]) ? input[0].length : 0;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = input[i];
      if (!isArrayInput(row)) {
        throw new ConfigError(op, `${name} rows as arrays`, `${describeValue(row)} at row ${i}`);
      }
      if (row.length !== cols) {
        throw new ShapeError(op, `every row of ${name} to have ${cols} values`, `${row.length} in row ${i}`);
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j] as number;
    }
    matrix = { data, rows, cols };
  } else {
    throw new ConfigError(op, `${name} as nested arrays or a tensor of shape [N, C]`, describeValue(input));
  }
  if (matrix.rows === 0) throw new ShapeError(op, `at least one sample in ${name}`, '0 samples');
  checkFinite(op, name, matrix.data);
  return matrix;
}

/** Throws a ShapeError unless both inputs hold the same number of samples. */
export function checkSameLength(op: string, names: string, a: number, b: number): void {
  if (a !== b) throw new ShapeError(op, `${names} of the same length`, `lengths ${a} and ${b}`);
}

/**
 * Checks an options argument with the shared `checkOptions` of `@seqlab/tensor`: undefined or a
 * plain object whose keys are all in `allowed` (an unknown key names the camelCase spelling or the
 * nearest key, e.g. `zero_division` → `zeroDivision`). Returns the options, or `{}` for undefined.
 */
export function checkOptions<T extends object>(
  op: string,
  options: T | undefined,
  allowed: readonly string[],
): Partial<T> {
  checkOptionKeys(op, options, allowed);
  return options ?? {};
}

/** Checks a `labels` option: a non-empty array of distinct integers. Returns a copy. */
export function checkLabelList(op: string, labels: readonly number[]): number[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new ConfigError(
      op,
      'labels as a non-empty array of integers',
      Array.isArray(labels) ? '[]' : describeValue(labels),
    );
  }
  const seen = new Set<number>();
  for (const label of labels) {
    if (!Number.isInteger(label)) throw new ConfigError(op, 'integer labels', `${label} in labels`);
    if (seen.has(label))
      throw new ConfigError(op, 'distinct labels', `${label} twice in ${formatShape(labels)}`);
    seen.add(label);
  }
  return [...labels];
}

/** Checks that an option is an integer within [min, max]. */
export function checkInteger(
  op: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(op, `${name} to be an integer ${range}`, String(value));
  }
  return value;
}

/** Checks that an option is a boolean. */
export function checkBoolean(op: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(op, `${name} to be true or false`, String(value));
  return value;
}
