/**
 * What the safetensors format says, in one place: the dtypes seqlab supports and their sizes, the
 * header-size bound, and the small helpers every message uses. See safetensors.ts for the layout.
 */
import { formatValue } from '../errors';

/** The safetensors dtypes seqlab reads and writes (the spec also has U16, U32, U64, F8_*, …). */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/**
 * One tensor as stored in a safetensors file, before it becomes a Tensor. `data` is row-major with
 * `shape`'s product elements, and its array type follows `dtype`:
 *
 * | dtype           | data         | note                                                  |
 * |-----------------|--------------|-------------------------------------------------------|
 * | F32, F16, BF16  | Float32Array | F16/BF16 widened on read, rounded (nearest even) on write |
 * | F64             | Float64Array |                                                       |
 * | I64, I32, I16, I8 | Int32Array | I64/I16/I8 values must fit the stored type and int32  |
 * | U8, BOOL        | Uint8Array   | BOOL holds only 0 and 1                               |
 */
export type RawTensor = {
  /** The dtype stored in the file (`F32`, `BF16`, `I64`, …). */
  dtype: SafetensorsDType;
  /** Size of each dimension, outermost first (`[]` for a scalar). */
  shape: number[];
  /** The values, row-major, in the array type the table above gives for `dtype`. */
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
};

/** What `parseSafetensors` returns: the tensors in data-buffer order, and the string metadata. */
export type ParsedSafetensors = {
  /** Every tensor by name, in data-buffer order. */
  tensors: Map<string, RawTensor>;
  /** The header's `__metadata__` strings (`{}` when it has none). */
  metadata: Record<string, string>;
};

/** How one dtype is stored in a file and held in memory. */
export type DTypeInfo = {
  /** bytes per element in the file */
  size: number;
  /** the array class of RawTensor.data */
  array: typeof Float32Array | typeof Float64Array | typeof Int32Array | typeof Uint8Array;
  /** position in the reference writer's layout: larger alignment first, as in safetensors' `prepare` */
  rank: number;
};

/** Every supported dtype, in the reference writer's layout order. */
export const DTYPES: Record<SafetensorsDType, DTypeInfo> = {
  I64: { size: 8, array: Int32Array, rank: 0 },
  F64: { size: 8, array: Float64Array, rank: 1 },
  F32: { size: 4, array: Float32Array, rank: 2 },
  I32: { size: 4, array: Int32Array, rank: 3 },
  BF16: { size: 2, array: Float32Array, rank: 4 },
  F16: { size: 2, array: Float32Array, rank: 5 },
  I16: { size: 2, array: Int32Array, rank: 6 },
  I8: { size: 1, array: Int32Array, rank: 7 },
  U8: { size: 1, array: Uint8Array, rank: 8 },
  BOOL: { size: 1, array: Uint8Array, rank: 9 },
};
/** The supported dtypes, as error messages list them. */
export const DTYPE_LIST = 'F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL';
/** Valid in the safetensors spec, but not read by seqlab (no matching typed array in RawTensor). */
export const SPEC_ONLY_DTYPES = [
  'U16',
  'U32',
  'U64',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
];

/** The reference implementation's bound on the header size (safetensors' MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;
/** The header key that holds the string metadata instead of a tensor. */
export const METADATA_KEY = '__metadata__';

/** True if `value` is one of the supported dtype names. */
export function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

/** True for a non-null, non-array object (what JSON calls an object). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A lone UTF-16 surrogate: JSON can escape one (`"\ud800"`), but it is not Unicode text. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** A tensor or metadata name as messages write it: JSON-quoted, cut at 200 characters. */
export function quote(name: string): string {
  return formatValue(name, 200);
}

/** Short JSON-ish rendering of an unexpected value for error messages (bounded, see formatValue). */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  return formatValue(value);
}
