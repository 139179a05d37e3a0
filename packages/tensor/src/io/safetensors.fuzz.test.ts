// Fuzzing the safetensors reader (fast-check): a seeded 200-case sample per property in `pnpm test`,
// 10,000 cases each with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). Files are
// built structure-aware: valid headers and data, then mutated (a field replaced by a wrong type,
// a huge or fractional number, overlapping or out-of-range offsets, duplicate or `__proto__` keys,
// bad metadata, a corrupt length prefix, truncated or extended data, a flipped byte), besides
// random JSON headers and random bytes.
import { FormatError, loadSafetensors, parseSafetensors } from '@seqlab/tensor';
import { checkCase, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const fuzz = fuzzSettings();

const SIZES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const DTYPES = Object.keys(SIZES);

/** A string with lone surrogates possible (any UTF-16 code unit). */
const utf16 = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  maxLength: 8,
});

const names = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '__metadata__',
    '',
    'a.b',
    '\u00e9',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
  utf16,
);

/** Values that are wrong for some field: wrong types, huge, negative, fractional, nested. */
const oddValues = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    1e300,
    -0,
    -1,
    1.5,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 64,
    Number.MAX_SAFE_INTEGER,
    4294967296,
    null,
    true,
    '8',
    'F32',
    [],
  ),
  fc.string({ maxLength: 6 }),
  fc.jsonValue({ maxDepth: 3 }),
);

interface Spec {
  name: string;
  dtype: string;
  shape: number[];
}

const specs = fc.array(
  fc.record({
    name: names,
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  }),
  { maxLength: 5 },
);

type Mutation =
  | { kind: 'none' }
  | {
      kind: 'field';
      entry: number;
      field: 'dtype' | 'shape' | 'data_offsets' | 'entry' | 'extra';
      value: unknown;
    }
  | { kind: 'shift'; entry: number; begin: number; end: number }
  | { kind: 'metadata'; value: unknown }
  | { kind: 'duplicate'; entry: number }
  | { kind: 'length'; value: bigint }
  | { kind: 'resize'; delta: number }
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'whitespace'; text: string };

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
  fc.record({
    kind: fc.constant('field' as const),
    entry: fc.nat(8),
    field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'entry', 'extra' as const),
    value: oddValues,
  }),
  fc.record({
    kind: fc.constant('shift' as const),
    entry: fc.nat(8),
    begin: fc.integer({ min: -16, max: 16 }),
    end: fc.integer({ min: -16, max: 16 }),
  }),
  fc.record({
    kind: fc.constant('metadata' as const),
    value: fc.oneof(fc.dictionary(names, fc.oneof(utf16, oddValues), { maxKeys: 4 }), oddValues),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), entry: fc.nat(8) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant('resize' as const), delta: fc.integer({ min: -24, max: 24 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('whitespace' as const),
    text: fc.constantFrom(' ', '\r\n', '\t', '\u00a0', '\ufeff'),
  }),
);

/** Builds a file from specs (offsets tiling the data, data from `noise`), then applies `mutation`. */
function build(list: Spec[], noise: Uint8Array, mutation: Mutation): { bytes: Uint8Array; valid: boolean } {
  const unique = new Map<string, Spec>();
  for (const s of list) if (s.name !== '__metadata__') unique.set(s.name, s);
  const pairs: [string, unknown][] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let k = 0;
  for (const s of unique.values()) {
    const size = s.shape.reduce((a, b) => a * b, 1) * SIZES[s.dtype];
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = noise.length ? noise[k++ % noise.length] : 0;
    if (s.dtype === 'BOOL') for (let i = 0; i < size; i++) data[i] &= 1;
    if (s.dtype === 'I64')
      for (let i = 0; i < size; i += 8) data.fill(data[i + 3] & 0x80 ? 0xff : 0, i + 4, i + 8);
    pairs.push([s.name, { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + size] }]);
    chunks.push(data);
    offset += size;
  }
  // A lone surrogate in a name is not Unicode text: rejected by design.
  let valid = ![...unique.keys()].some((n) => /\p{Cs}/u.test(n));
  const entryAt = (i: number) => (pairs.length ? pairs[i % pairs.length] : undefined);
  switch (mutation.kind) {
    case 'field': {
      const pair = entryAt(mutation.entry);
      if (pair) {
        if (mutation.field === 'entry') pair[1] = mutation.value;
        else if (mutation.field === 'extra') (pair[1] as Record<string, unknown>).extra = mutation.value;
        else {
          (pair[1] as Record<string, unknown>)[mutation.field] = mutation.value;
          valid = false;
        }
        if (mutation.field === 'entry') valid = false;
      }
      break;
    }
    case 'shift': {
      const pair = entryAt(mutation.entry);
      if (pair && (mutation.begin !== 0 || mutation.end !== 0)) {
        const offsets = (pair[1] as { data_offsets: number[] }).data_offsets;
        (pair[1] as { data_offsets: number[] }).data_offsets = [
          offsets[0] + mutation.begin,
          offsets[1] + mutation.end,
        ];
        valid = false;
      }
      break;
    }
    case 'metadata':
      pairs.unshift(['__metadata__', mutation.value]);
      valid = false;
      break;
    case 'duplicate': {
      const pair = entryAt(mutation.entry);
      if (pair) {
        pairs.push([pair[0], pair[1]]);
        valid = false;
      }
      break;
    }
    default:
      if (mutation.kind !== 'none' && mutation.kind !== 'whitespace') valid = false;
  }
  const sep = mutation.kind === 'whitespace' ? mutation.text : '';
  const header = `{${pairs.map(([key, value]) => `${sep}${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}${sep}}`;
  if (mutation.kind === 'whitespace' && !/^[ \t\r\n]$|^\r\n$/.test(mutation.text)) valid = false;
  return { bytes: assemble(new TextEncoder().encode(header), chunks, mutation), valid };
}

function assemble(header: Uint8Array, chunks: Uint8Array[], mutation: Mutation): Uint8Array {
  const dataLength = chunks.reduce((n, c) => n + c.length, 0);
  let bytes = new Uint8Array(8 + header.length + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  let at = 8 + header.length;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  if (mutation.kind === 'length') new DataView(bytes.buffer).setBigUint64(0, mutation.value, true);
  if (mutation.kind === 'resize') {
    const resized = new Uint8Array(Math.max(0, bytes.length + mutation.delta));
    resized.set(bytes.subarray(0, resized.length));
    bytes = resized;
  }
  if (mutation.kind === 'flip' && bytes.length > 0) bytes[mutation.at % bytes.length] ^= mutation.xor;
  return bytes;
}

/** A file whose header is `text`, followed by `data`. */
function withHeader(text: string, data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + header.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  bytes.set(data, 8 + header.length);
  return bytes;
}

const structured = fc
  .tuple(specs, fc.uint8Array({ maxLength: 64 }), mutations)
  .map(([list, noise, mutation]) => ({ ...build(list, noise, mutation), mutation }));

const files = fc.oneof(
  { weight: 6, arbitrary: structured.map((s) => s.bytes) },
  fc
    .tuple(fc.jsonValue({ maxDepth: 6 }), fc.uint8Array({ maxLength: 32 }))
    .map(([json, data]) => withHeader(JSON.stringify(json) ?? '', data)),
  fc
    .tuple(fc.string({ unit: 'binary', maxLength: 64 }), fc.uint8Array({ maxLength: 32 }))
    .map(([text, data]) => withHeader(text, data)),
  fc.uint8Array({ maxLength: 96 }),
  fc
    .integer({ min: 1_000, max: 6_000 })
    .map((n) => withHeader(`${'['.repeat(n)}${']'.repeat(n)}`, new Uint8Array())),
);

/** Bytes held by parsed tensors. */
function heldBytes(tensors: Map<string, { data: ArrayBufferView }>): number {
  let n = 0;
  for (const t of tensors.values()) n += t.data.byteLength;
  return n;
}

describe('fuzzing the safetensors reader', () => {
  test('the generator makes valid files unless it mutates them (so mutations are what fails)', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(
        structured.filter((s) => s.valid),
        ({ bytes }) => {
          expect(() => parseSafetensors(bytes)).not.toThrow();
        },
      ),
      fuzz.params,
    );
  });

  test('parseSafetensors: a FormatError or tensors within 4 × the file size, Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(files, (bytes) => {
        checkCase(fuzz, () => parseSafetensors(bytes), {
          inputSize: bytes.length,
          resultBytes: (r) => heldBytes(r.tensors),
        });
      }),
      fuzz.params,
    );
  });

  test('loadSafetensors: likewise, for the tensors it builds', { timeout: fuzz.testTimeout }, () => {
    fc.assert(
      fc.property(files, (bytes) => {
        checkCase(fuzz, () => loadSafetensors(bytes), {
          inputSize: bytes.length,
          resultBytes: (r) => heldBytes(r.tensors),
        });
      }),
      fuzz.params,
    );
  });

  test('a __proto__ tensor name and metadata key stay plain data', () => {
    const bytes = withHeader(
      '{"__metadata__":{"__proto__":"x","polluted":"y"},"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
      Uint8Array.of(7),
    );
    const { tensors, metadata } = parseSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.keys(metadata)).toEqual(['__proto__', 'polluted']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() =>
      parseSafetensors(
        withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{}}', Uint8Array.of(1)),
      ),
    ).toThrow(FormatError);
  });
});
