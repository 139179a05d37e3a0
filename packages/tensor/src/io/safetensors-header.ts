/**
 * Reading and validating a safetensors header: everything parseSafetensors checks before it touches
 * tensor data. Each check throws a FormatError naming the tensor or field at fault.
 */
import { FormatError, formatShape } from '../errors';
import { checkJsonDepth } from './json-depth';
import {
  DTYPE_LIST,
  DTYPES,
  isDType,
  isRecord,
  LONE_SURROGATE,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  quote,
  type SafetensorsDType,
  SPEC_ONLY_DTYPES,
  show,
} from './safetensors-spec';

const PARSE = 'parseSafetensors';

/** One validated header entry; `begin`/`end` are offsets into the data buffer. */
export type SafetensorsEntry = {
  /** The tensor's name, the header's key (`weight_ih_l0`). */
  name: string;
  /** The stored dtype. */
  dtype: SafetensorsDType;
  /** Size of each dimension (`[]` for a scalar). */
  shape: number[];
  /** Offset of the first byte in the data buffer. */
  begin: number;
  /** Offset one past the last byte: `end − begin` is the element count × the dtype's size. */
  end: number;
};

/**
 * A validated header: the data buffer starts at byte `dataStart` of the file, and tensor `e` is
 * bytes [dataStart + e.begin, dataStart + e.end).
 */
export type SafetensorsHeader = {
  /** Byte offset of the data buffer in the file: 8 + the header's length. */
  dataStart: number;
  /** Every tensor, in data-buffer order (ascending `begin`), covering the buffer without gaps. */
  entries: SafetensorsEntry[];
  /** The header's `__metadata__` strings (`{}` when it has none). */
  metadata: Record<string, string>;
};

/**
 * Validates the length prefix and the JSON header of a file of `fileLength` bytes that starts with
 * `bytes` (the whole file, or, to read a file in parts, at least its first 8 + header-length bytes:
 * see {@link safetensorsHeaderLength}).
 *
 * @returns where the data buffer starts, the entries sorted by offset (they tile the data buffer),
 *   and the metadata (`{}` if none)
 * @throws {FormatError} on any violation of the format
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileLength = bytes.length): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(bytes, fileLength);
  const header = readHeaderJson(bytes, headerLength);
  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = readMetadata(value);
    else entries.push(readEntry(name, value, dataLength));
  }
  checkCoverage(entries, dataLength);
  return { dataStart, entries, metadata };
}

/**
 * The header length N of a file of `fileLength` bytes from its first 8 bytes (`prefix`), checked
 * against the file and the format's bound: the header is bytes [8, 8 + N) of the file.
 *
 * @throws {FormatError} for a file under 8 bytes, N over 100,000,000 or N beyond the file's end
 */
export function safetensorsHeaderLength(prefix: Uint8Array, fileLength = prefix.length): number {
  const bytes = prefix;
  if (fileLength < 8 || bytes.length < 8) {
    throw new FormatError(
      PARSE,
      'at least 8 bytes (the header length)',
      `a ${fileLength}-byte file`,
      'The file is empty or truncated',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(
      PARSE,
      `a header length of at most ${MAX_HEADER_BYTES} bytes`,
      `${n}`,
      'This is probably not a safetensors file',
    );
  }
  const length = Number(n);
  if (length > fileLength - 8) {
    throw new FormatError(
      PARSE,
      `a header length within the ${fileLength}-byte file (at most ${fileLength - 8})`,
      `${length}`,
      'The file is truncated',
    );
  }
  return length;
}

const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readHeaderJson(bytes: Uint8Array, length: number): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(8, 8 + length));
  } catch {
    throw new FormatError(PARSE, 'the header to be UTF-8', `invalid UTF-8 in the ${length}-byte header`);
  }
  // Before JSON.parse: the checks below and every message walk the parsed value.
  checkJsonDepth(PARSE, text, 'the header');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new FormatError(
      PARSE,
      'the header to be JSON',
      `invalid JSON (${(error as Error).message})`,
      `The header starts with ${show(text.slice(0, 40))}`,
    );
  }
  if (!isRecord(header)) {
    throw new FormatError(
      PARSE,
      'the header to be a JSON object {name: {dtype, shape, data_offsets}}',
      show(header),
    );
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new FormatError(PARSE, 'unique keys in the header', `${quote(duplicate)} twice`);
  }
  return header;
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON. JSON.parse
 * silently keeps the last one; a file that says two things about one tensor is corrupt.
 * Porting note: the reference does not check this (see parseSafetensors).
 */
function findDuplicateKey(text: string): string | undefined {
  const open: (Set<string> | null)[] = []; // one key set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j += 1;
        }
        j += 1;
      }
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = open[open.length - 1] != null;
    }
  }
  return undefined;
}

function readMetadata(value: unknown): Record<string, string> {
  // Porting note: `null` is accepted as "no metadata", as the reference's Option<HashMap> does.
  if (value === null) return {};
  if (!isRecord(value)) {
    throw new FormatError(PARSE, '__metadata__ to be an object of strings', show(value));
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new FormatError(PARSE, '__metadata__ values to be strings', `${quote(key)}: ${show(item)}`);
    }
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(item)) {
      throw new FormatError(PARSE, '__metadata__ to be valid Unicode', `a lone surrogate in ${quote(key)}`);
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function readEntry(name: string, value: unknown, dataLength: number): SafetensorsEntry {
  const what = `tensor ${quote(name)}`;
  if (LONE_SURROGATE.test(name)) {
    throw new FormatError(PARSE, 'tensor names to be valid Unicode', `a lone surrogate in ${what}`);
  }
  if (!isRecord(value)) {
    throw new FormatError(PARSE, `${what} to be an object {dtype, shape, data_offsets}`, show(value));
  }
  // Unknown fields are ignored, as in the reference (serde without deny_unknown_fields).
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDType(dtype)) {
    const known = typeof dtype === 'string' && SPEC_ONLY_DTYPES.includes(dtype);
    throw new FormatError(
      PARSE,
      `${what} dtype to be one of ${DTYPE_LIST}`,
      show(dtype),
      known
        ? `${dtype} is a valid safetensors dtype that seqlab does not read; convert it in PyTorch first`
        : undefined,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(PARSE, `${what} shape to be an array of non-negative integers`, show(shape));
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new FormatError(
      PARSE,
      `${what} data_offsets to be [begin, end] with 0 ≤ begin ≤ end`,
      show(offsets),
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new FormatError(
      PARSE,
      `${what} data_offsets within the ${dataLength}-byte data buffer`,
      `[${begin}, ${end}]`,
      'The file is truncated or its header is corrupt',
    );
  }
  const dims = shape.map((d: number) => d + 0); // + 0 turns -0 into 0
  const numel = dims.reduce((a, b) => a * b, 1);
  const size = DTYPES[dtype].size;
  if (numel * size !== end - begin) {
    throw new FormatError(
      PARSE,
      `${what} (${dtype}, shape ${formatShape(dims)}) to span ${numel} × ${size} = ${numel * size} bytes`,
      `data_offsets [${begin}, ${end}] spanning ${end - begin}`,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

/** The ranges must tile [0, dataLength) exactly, as the reference requires: no hole, no overlap. */
function checkCoverage(entries: SafetensorsEntry[], dataLength: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | undefined;
  for (const { name, begin, end } of entries) {
    if (begin !== cursor) {
      const where = previous === undefined ? 'the start of the data buffer' : `where ${previous} ends`;
      const problem =
        begin < cursor ? `overlapping ${previous}` : `leaving bytes [${cursor}, ${begin}) unused`;
      throw new FormatError(
        PARSE,
        `tensor ${quote(name)} to start at byte ${cursor}, ${where}`,
        `data_offsets [${begin}, ${end}], ${problem}`,
        'Tensor data must tile the data buffer with no hole or overlap',
      );
    }
    cursor = end;
    previous = `tensor ${quote(name)}`;
  }
  if (cursor !== dataLength) {
    throw new FormatError(
      PARSE,
      `the tensors to cover the ${dataLength}-byte data buffer`,
      `${dataLength - cursor} unused bytes after ${previous ?? 'the header (no tensors)'}`,
    );
  }
}
