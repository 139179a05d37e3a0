import { DTypeError } from './errors';

/**
 * Element types. `float32` is the working type of every model; `float64` exists so that
 * `gradcheck` can take finite differences precisely; `int32` holds indices and labels; `bool` holds
 * masks (one byte per element).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array behind each dtype. */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** Any tensor's flat, row-major storage. */
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Storage of a floating-point tensor. */
export type FloatStorage = Float32Array | Float64Array;

/** Allocates zeroed storage for `n` elements of `dtype`. */
export function allocate<D extends DType>(dtype: D, n: number): StorageOf[D];
export function allocate(dtype: DType, n: number): Storage {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/** The dtype whose storage `data` is. */
export function dtypeOfStorage(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/** True for `float32` and `float64`, the dtypes that can carry gradients. */
export function isFloating(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Type promotion for binary ops, as torch.result_type for same-kind tensors: bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

const DTYPES: readonly string[] = ['float32', 'float64', 'int32', 'bool'];

/**
 * Throws a DTypeError unless `dtype` is one of seqlab's dtypes (a plain-JavaScript caller may pass
 * PyTorch's `int64` or a device name).
 *
 * Porting note: there is no int64; class indices and token ids are int32.
 */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (typeof dtype === 'string' && DTYPES.includes(dtype)) return;
  throw new DTypeError(
    op,
    `a dtype among ${DTYPES.join(', ')}`,
    typeof dtype === 'string' ? `'${dtype}'` : String(dtype),
    dtype === 'int64' || dtype === 'long' ? 'Use int32 for class indices and token ids' : undefined,
  );
}

/** Throws a DTypeError unless `dtype` is floating point. */
export function assertFloating(op: string, dtype: DType, what = 'input'): void {
  if (!isFloating(dtype)) {
    throw new DTypeError(op, `a float32 or float64 ${what}`, `${dtype}`, 'Convert with .float() first');
  }
}
