/**
 * The safetensors format, at the level of raw typed arrays (https://github.com/huggingface/safetensors):
 *
 * ```
 * [8 bytes: N, u64 little-endian][N bytes: UTF-8 JSON header][data buffer]
 * header = { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …,
 *            "__metadata__"?: { "<key>": "<string>" } }
 * ```
 *
 * Offsets count from the start of the data buffer; tensors are row-major and little-endian.
 * Browser-safe: no node imports (file helpers live in safetensors-node.ts).
 */
import { ConfigError, DTypeError, FormatError, formatShape, ShapeError } from '../errors';
import { decodeBFloat16, decodeFloat16, encodeBFloat16, encodeFloat16 } from './float16';
import { parseSafetensorsHeader, type SafetensorsEntry } from './safetensors-header';
import {
  DTYPE_LIST,
  DTYPES,
  isDType,
  isRecord,
  LONE_SURROGATE,
  METADATA_KEY,
  type ParsedSafetensors,
  quote,
  type RawTensor,
  type SafetensorsDType,
  show,
} from './safetensors-spec';

export type { ParsedSafetensors, RawTensor, SafetensorsDType } from './safetensors-spec';

/**
 * True on every platform seqlab targets; the byte swaps below only run on big-endian hosts. A pure
 * call, so that a bundle without the safetensors reader drops it.
 */
const HOST_IS_LITTLE_ENDIAN = /* @__PURE__ */ (() => new Uint8Array(new Uint16Array([1]).buffer)[0] === 1)();

const utf8Encoder = /* @__PURE__ */ new TextEncoder();

const PARSE = 'parseSafetensors';
const SERIALIZE = 'serializeSafetensors';

/** Reverses the byte order of every `size`-byte item in place (used only on big-endian hosts). */
export function swapByteOrder(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a safetensors file held in memory. Every tensor's data is copied out of `bytes` (any
 * `byteOffset` is fine, nothing aliases the input), F16/BF16 are widened to Float32Array and
 * I64/I16/I8 are narrowed to Int32Array.
 *
 * The header is validated before any data is read, as strictly as the reference implementation
 * (huggingface/safetensors, `SafeTensors::deserialize`): header length within the file and
 * ≤ 100,000,000 bytes, UTF-8 JSON object, each entry's dtype, shape and data_offsets, byte size =
 * product of shape × dtype size, ranges that tile the data buffer with no hole or overlap,
 * `__metadata__` a string → string map (or null). Then, while decoding, I64 values must fit in
 * int32 and BOOL bytes must be 0 or 1.
 *
 * Porting note: stricter than the reference in three places, each of which would otherwise give
 * silently wrong tensors: duplicate keys (JSON.parse, like serde's HashMap, would keep the last),
 * I64 values outside int32, and BOOL bytes other than 0/1. Like the reference, unknown fields in
 * an entry are ignored.
 *
 * Copying: each tensor's bytes are copied once into a fresh ArrayBuffer and viewed in place, so
 * every view is aligned whatever `bytes.byteOffset` is, and one memcpy is the whole cost for F32,
 * F64, I32 and U8 (the same as slicing an aligned view).
 *
 * @param bytes the whole file
 * @returns the tensors, in the order of their data in the file, and the metadata (`{}` if none)
 * @throws {FormatError} `parseSafetensors: expected …, got …` naming the offending tensor or field
 *
 * @example
 * ```ts
 * const { tensors, metadata } = parseSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * const w = tensors.get('lstm.weight_ih_l0'); // { dtype: 'F32', shape: [40, 10], data: Float32Array }
 * ```
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (!(bytes instanceof Uint8Array)) {
    throw new FormatError(PARSE, 'the file as a Uint8Array', Object.prototype.toString.call(bytes));
  }
  const { dataStart, entries, metadata } = parseSafetensorsHeader(bytes);
  const tensors = new Map<string, RawTensor>();
  for (const entry of entries) {
    // A fresh copy: its buffer starts at 0, so every typed-array view on it is aligned, and nothing
    // aliases the caller's bytes. (Not bytes.slice(): Node's Buffer.slice returns a view.)
    const raw = new Uint8Array(entry.end - entry.begin);
    raw.set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    tensors.set(entry.name, decodeSafetensorsTensor(entry, raw));
  }
  return { tensors, metadata };
}

/**
 * Decodes one tensor of a validated header from its bytes. `raw` must be exactly the entry's
 * `end - begin` bytes and own its whole buffer (offset 0), which the result may view in place.
 * @internal shared with the file reader (safetensors-node.ts), which reads each tensor's byte range.
 */
export function decodeSafetensorsTensor(entry: SafetensorsEntry, raw: Uint8Array): RawTensor {
  const { name, dtype, shape } = entry;
  if (dtype === 'I64') return { dtype, shape, data: narrowInt64(raw, name) };
  const size = DTYPES[dtype].size;
  if (!HOST_IS_LITTLE_ENDIAN && size > 1) swapByteOrder(raw, size);
  switch (dtype) {
    case 'F64':
      return { dtype, shape, data: new Float64Array(raw.buffer) };
    case 'F32':
      return { dtype, shape, data: new Float32Array(raw.buffer) };
    case 'F16':
      return { dtype, shape, data: decodeFloat16(new Uint16Array(raw.buffer)) };
    case 'BF16':
      return { dtype, shape, data: decodeBFloat16(new Uint16Array(raw.buffer)) };
    case 'I32':
      return { dtype, shape, data: new Int32Array(raw.buffer) };
    case 'I16':
      return { dtype, shape, data: new Int32Array(new Int16Array(raw.buffer)) };
    case 'I8':
      return { dtype, shape, data: new Int32Array(new Int8Array(raw.buffer)) };
    case 'U8':
      return { dtype, shape, data: raw };
    case 'BOOL': {
      const bad = raw.findIndex((b) => b > 1);
      if (bad >= 0) {
        throw new FormatError(
          PARSE,
          `tensor ${quote(name)} (BOOL) to hold only bytes 0 and 1`,
          `${raw[bad]} at index ${bad}`,
        );
      }
      return { dtype, shape, data: raw };
    }
  }
}

/** I64 → int32, read through a little-endian DataView (so no host byte order is involved). */
function narrowInt64(raw: Uint8Array, name: string): Int32Array {
  const view = new DataView(raw.buffer);
  const out = new Int32Array(raw.length / 8);
  for (let i = 0; i < out.length; i++) {
    const low = view.getInt32(8 * i, true);
    const high = view.getInt32(8 * i + 4, true);
    // Fits in int32 iff the high word is the sign extension of the low word.
    if (high !== low >> 31) {
      throw new FormatError(
        PARSE,
        `tensor ${quote(name)} (I64) values within int32 [-2147483648, 2147483647]`,
        `${view.getBigInt64(8 * i, true)} at index ${i}`,
        'seqlab keeps integer tensors as Int32Array',
      );
    }
    out[i] = low;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

type Prepared = { name: string; dtype: SafetensorsDType; shape: number[]; bytes: Uint8Array };

/**
 * Writes tensors (and optional string metadata) as a safetensors file.
 *
 * F32, F64, I32, U8 and BOOL data are written as given; F16 and BF16 tensors carry Float32Array
 * data that is rounded to nearest even, bit for bit as `t.half()` / `t.to(torch.bfloat16)` do;
 * I64, I16 and I8 tensors carry Int32Array data (I16/I8 values must fit).
 *
 * The layout is the reference writer's: `__metadata__` first (keys sorted, omitted when empty),
 * then the tensors ordered by dtype alignment (8-byte dtypes first, … BOOL last) and by name within
 * a dtype; the header is padded with spaces to a multiple of 8. So every tensor's data starts at a
 * multiple of its element size and readers can view it without copying. The output is deterministic.
 *
 * @param tensors name → tensor; a Map or a plain object
 * @param metadata optional string → string map, stored under `__metadata__`
 * @returns the file's bytes
 * @throws {ConfigError} a name that is empty, `__metadata__` or not valid Unicode; a metadata value that is not a string
 * @throws {DTypeError} an unknown dtype, data of the wrong array type for the dtype, a value the dtype cannot hold
 * @throws {ShapeError} a shape that is not non-negative integers, or data whose length is not the shape's product
 *
 * @example
 * ```ts
 * const bytes = serializeSafetensors(
 *   { 'embedding.weight': { dtype: 'F16', shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } },
 *   { format: 'pt' },
 * );
 * ```
 */
export function serializeSafetensors(
  tensors: Record<string, RawTensor> | Map<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (!(tensors instanceof Map) && !isRecord(tensors)) {
    throw new ConfigError(SERIALIZE, 'tensors as a Map or an object of RawTensor', show(tensors));
  }
  const list = [...(tensors instanceof Map ? tensors : Object.entries(tensors))].map(([name, t]) =>
    prepare(name, t),
  );
  // Names compare by UTF-16 code unit; the reference compares UTF-8 bytes. The two orders differ
  // only between astral characters and U+E000–U+FFFF, and only the layout (never validity) depends on it.
  list.sort(
    (a, b) => DTYPES[a.dtype].rank - DTYPES[b.dtype].rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const fields: string[] = [];
  const meta = prepareMetadata(metadata);
  if (meta.length > 0) fields.push(`"${METADATA_KEY}":{${meta.join(',')}}`);
  let offset = 0;
  for (const { name, dtype, shape, bytes } of list) {
    fields.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},` +
        `"data_offsets":[${offset},${offset + bytes.length}]}`,
    );
    offset += bytes.length;
  }
  const json = utf8Encoder.encode(`{${fields.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20 /* space */, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { bytes } of list) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function prepareMetadata(metadata: Record<string, string> | undefined): string[] {
  if (metadata === undefined) return [];
  if (!isRecord(metadata))
    throw new ConfigError(SERIALIZE, 'metadata to be an object of strings', show(metadata));
  return Object.keys(metadata)
    .sort()
    .map((key) => {
      const value: unknown = metadata[key];
      if (typeof value !== 'string') {
        throw new ConfigError(
          SERIALIZE,
          'metadata values to be strings',
          `${quote(key)}: ${show(value)}`,
          'safetensors stores only strings; JSON.stringify other values',
        );
      }
      if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
        throw new ConfigError(SERIALIZE, 'metadata to be valid Unicode', `a lone surrogate in ${quote(key)}`);
      }
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
}

/** Validates one tensor and returns its little-endian bytes (a view when no conversion is needed). */
function prepare(name: string, tensor: RawTensor): Prepared {
  if (typeof name !== 'string' || name === '' || name === METADATA_KEY || LONE_SURROGATE.test(name)) {
    throw new ConfigError(
      SERIALIZE,
      'tensor names to be non-empty Unicode strings other than "__metadata__"',
      show(name),
    );
  }
  const what = `tensor ${quote(name)}`;
  if (!isRecord(tensor)) throw new ConfigError(SERIALIZE, `${what} to be {dtype, shape, data}`, show(tensor));
  const { dtype, shape, data } = tensor;
  if (!isDType(dtype))
    throw new DTypeError(SERIALIZE, `${what} dtype to be one of ${DTYPE_LIST}`, show(dtype));
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(SERIALIZE, `${what} shape to be an array of non-negative integers`, show(shape));
  }
  const array = DTYPES[dtype].array;
  if (!(data instanceof array)) {
    const got = ArrayBuffer.isView(data) ? data.constructor.name : show(data);
    const article = array === Int32Array ? 'an' : 'a';
    throw new DTypeError(SERIALIZE, `${what} data to be ${article} ${array.name} for dtype ${dtype}`, got);
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  if (data.length !== numel) {
    throw new ShapeError(
      SERIALIZE,
      `${what} data of length ${numel} for shape ${formatShape(shape)}`,
      `${data.length}`,
    );
  }
  const dims = shape.map((d) => d + 0);
  return { name, dtype, shape: dims, bytes: encode(name, dtype, data) };
}

/** The tensor's bytes in file order (little-endian): a view of `data` when nothing needs converting. */
function encode(name: string, dtype: SafetensorsDType, data: RawTensor['data']): Uint8Array {
  switch (dtype) {
    case 'F16':
      return littleEndian(encodeFloat16(data as Float32Array), 2);
    case 'BF16':
      return littleEndian(encodeBFloat16(data as Float32Array), 2);
    case 'I64': {
      // Sign-extend each int32 into a little-endian (low, high) pair.
      const out = new DataView(new ArrayBuffer(data.length * 8));
      for (let i = 0; i < data.length; i++) {
        out.setInt32(8 * i, data[i], true);
        out.setInt32(8 * i + 4, data[i] >> 31, true);
      }
      return new Uint8Array(out.buffer);
    }
    case 'I16':
      return littleEndian(narrowInts(name, dtype, data as Int32Array, Int16Array, -32768, 32767), 2);
    case 'I8':
      return littleEndian(narrowInts(name, dtype, data as Int32Array, Int8Array, -128, 127), 1);
    case 'BOOL': {
      const bad = (data as Uint8Array).findIndex((b) => b > 1);
      if (bad >= 0) {
        throw new DTypeError(
          SERIALIZE,
          `tensor ${quote(name)} (BOOL) data to hold only 0 and 1`,
          `${data[bad]} at index ${bad}`,
        );
      }
      return littleEndian(data, 1);
    }
    default:
      return littleEndian(data, DTYPES[dtype].size); // F64, F32, I32, U8 as given
  }
}

/** The bytes of `a`: a view on little-endian hosts, a byte-swapped copy on big-endian ones. */
function littleEndian(a: ArrayBufferView, size: number): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || size === 1) return bytes;
  const copy = bytes.slice();
  swapByteOrder(copy, size);
  return copy;
}

function narrowInts<T extends Int16Array | Int8Array>(
  name: string,
  dtype: 'I16' | 'I8',
  data: Int32Array,
  array: new (n: number) => T,
  min: number,
  max: number,
): T {
  const out = new array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min || v > max) {
      throw new DTypeError(
        SERIALIZE,
        `tensor ${quote(name)} (${dtype}) values within [${min}, ${max}]`,
        `${v} at index ${i}`,
      );
    }
    out[i] = v;
  }
  return out;
}
