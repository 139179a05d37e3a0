import type { DType } from '../dtype';
import { DTypeError } from '../errors';
import { checkOptions, optionKeys } from '../options';
import { Tensor } from '../tensor';
import { parseSafetensors, type RawTensor, type SafetensorsDType, serializeSafetensors } from './safetensors';

/** Options of `saveSafetensors`. */
export interface SaveSafetensorsOptions {
  /** String metadata stored in the header (`__metadata__`), e.g. `{ format: 'pt' }`. */
  metadata?: Record<string, string>;
  /** Store float32 tensors as F16 or BF16 (rounded to nearest even) instead of F32. */
  floatDType?: 'F32' | 'F16' | 'BF16';
}
const SAVE_KEYS = /* @__PURE__ */ optionKeys<SaveSafetensorsOptions>({ metadata: true, floatDType: true });

const DTYPE_OF: Record<SafetensorsDType, DType> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I32: 'int32',
  I16: 'int32',
  I8: 'int32',
  U8: 'int32',
  BOOL: 'bool',
};

function toTensor(raw: RawTensor): Tensor {
  const dtype = DTYPE_OF[raw.dtype];
  const data = raw.dtype === 'U8' ? Int32Array.from(raw.data) : raw.data;
  return new Tensor(data, raw.shape, dtype);
}

/**
 * Reads a safetensors file held in memory into tensors (browser-safe). F16/BF16 widen to float32,
 * I64/I16/I8/U8 become int32 (I64 values must fit), F64 stays float64, BOOL becomes bool. Corrupt
 * or malicious bytes throw a FormatError before any tensor is made.
 *
 * @example
 * ```ts
 * const { tensors } = loadSafetensors(new Uint8Array(await (await fetch('model.safetensors')).arrayBuffer()));
 * model.loadStateDict(tensors);
 * ```
 */
export function loadSafetensors(bytes: Uint8Array): {
  /** Every tensor of the file by name, in the file's data order. */
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__` strings (`{}` when it has none). */
  metadata: Record<string, string>;
} {
  const parsed = parseSafetensors(bytes);
  return { tensors: tensorsFromRaw(parsed.tensors), metadata: parsed.metadata };
}

/** Turns parsed raw tensors (from `parseSafetensors`) into tensors, with `loadSafetensors`' dtype mapping. */
export function tensorsFromRaw(raw: Map<string, RawTensor>): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of raw) tensors.set(name, toTensor(t));
  return tensors;
}

/** The RawTensor form of a tensor, for the safetensors writer. */
export function toRawTensor(t: Tensor, floatDType: 'F32' | 'F16' | 'BF16' = 'F32'): RawTensor {
  switch (t.dtype) {
    case 'float32':
      return { dtype: floatDType, shape: [...t.shape], data: t.data };
    case 'float64':
      return { dtype: 'F64', shape: [...t.shape], data: t.data };
    case 'int32':
      return { dtype: 'I32', shape: [...t.shape], data: t.data };
    case 'bool':
      return { dtype: 'BOOL', shape: [...t.shape], data: t.data };
    default:
      throw new DTypeError('saveSafetensors', 'a float32, float64, int32 or bool tensor', `${t.dtype}`);
  }
}

/**
 * Serializes named tensors (a state dict) to safetensors bytes (browser-safe); PyTorch reads them
 * with `safetensors.torch.load` or any spec-following reader.
 */
export function saveSafetensors(
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Uint8Array {
  checkOptions('saveSafetensors', options, SAVE_KEYS);
  const raw = new Map<string, RawTensor>();
  for (const [name, t] of tensors instanceof Map ? tensors : Object.entries(tensors)) {
    raw.set(name, toRawTensor(t, options.floatDType));
  }
  return serializeSafetensors(raw, options.metadata);
}
