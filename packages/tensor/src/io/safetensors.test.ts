// parseSafetensors / serializeSafetensors against PyTorch, in both directions, plus every error path.
//
// torch -> seqlab: fixtures/safetensors/torch.safetensors was written by PyTorch 1.13 and
//   torch.json holds the values torch itself reads from it. Regenerate both with
//     /usr/bin/python3 tools/fixtures/gen_safetensors.py
// seqlab -> torch: the `from-seqlab` test serializes fixtures/safetensors/from-seqlab/spec.json and
//   compares the bytes with the committed from-seqlab/seqlab.safetensors. After changing the writer
//   or the spec, rewrite the file and check that torch loads it with the values of spec.json:
//     SEQLAB_UPDATE_FIXTURES=1 npx vitest run --project tensor packages/tensor/src/io
//     /usr/bin/python3 tools/fixtures/gen_safetensors.py --check
//
// Run: npx vitest run --project tensor packages/tensor/src/io
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DTypeError, FormatError, type SeqlabError, ShapeError } from '../errors';
import { parseSafetensors, type RawTensor, serializeSafetensors, swapByteOrder } from './safetensors';

const FIXTURES = new URL('../../fixtures/safetensors/', import.meta.url);

type ExpectedTensor = { dtype: string; shape: number[]; bits?: number[]; values?: number[] };
type TorchFixture = { metadata: Record<string, string>; tensors: Record<string, ExpectedTensor> };

function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

/** The F32 bit patterns of a Float32Array, so NaN payloads and -0 compare exactly. */
function bitsOf(data: RawTensor['data']): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

/** A RawTensor from a fixture entry (floats as F32 bits, the rest as plain values). */
function fromExpected({ dtype, shape, bits, values }: ExpectedTensor): RawTensor {
  const kind = dtype as RawTensor['dtype'];
  if (bits) return { dtype: kind, shape, data: f32FromBits(bits) };
  const list = values ?? [];
  if (dtype === 'F64') return { dtype: kind, shape, data: new Float64Array(list) };
  if (dtype === 'U8' || dtype === 'BOOL') return { dtype: kind, shape, data: new Uint8Array(list) };
  return { dtype: kind, shape, data: new Int32Array(list) };
}

/** A file with the given header (raw bytes, text, or a value to JSON-encode) and data buffer. */
function file(header: unknown, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes, 8 + json.length);
  return out;
}

function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

/** Runs `fn`, asserts it throws an instance of `type`, and returns the error. */
function thrown<T extends SeqlabError>(type: new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}

const f32 = (name: string, shape: number[], begin: number) => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] },
});

// Every dtype, with 0-d and empty tensors, and values each dtype holds exactly.
const EVERY_DTYPE: Record<string, RawTensor> = {
  f64: { dtype: 'F64', shape: [2, 2], data: new Float64Array([1 / 3, -0, Number.POSITIVE_INFINITY, 5e-324]) },
  f32: { dtype: 'F32', shape: [3], data: new Float32Array([Number.NaN, -1.5, 1e-45]) },
  f16: {
    dtype: 'F16',
    shape: [2, 3],
    data: new Float32Array([0, -0, 1, 65504, 2 ** -24, Number.NEGATIVE_INFINITY]),
  },
  bf16: { dtype: 'BF16', shape: [4], data: new Float32Array([1, -2, 2 ** -133, 3.140625]) },
  i64: { dtype: 'I64', shape: [3], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, -1]) },
  i32: { dtype: 'I32', shape: [2], data: new Int32Array([-(2 ** 31), 7]) },
  i16: { dtype: 'I16', shape: [3], data: new Int32Array([-32768, 32767, -1]) },
  i8: { dtype: 'I8', shape: [3], data: new Int32Array([-128, 127, -1]) },
  u8: { dtype: 'U8', shape: [1, 3], data: new Uint8Array([0, 128, 255]) },
  bool: { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
  scalar: { dtype: 'F32', shape: [], data: new Float32Array([3.5]) },
  empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  'empty.bf16': { dtype: 'BF16', shape: [2, 0], data: new Float32Array(0) },
};

function expectSameTensors(
  got: Map<string, RawTensor>,
  want: Record<string, RawTensor> | Map<string, RawTensor>,
) {
  const entries = want instanceof Map ? [...want] : Object.entries(want);
  expect([...got.keys()].sort()).toEqual(entries.map(([name]) => name).sort());
  for (const [name, tensor] of entries) {
    const actual = got.get(name) as RawTensor;
    expect(actual.dtype, name).toBe(tensor.dtype);
    expect(actual.shape, name).toEqual(tensor.shape);
    expect(actual.data.constructor, name).toBe(tensor.data.constructor);
    expect(Array.from(actual.data), name).toEqual(Array.from(tensor.data)); // NaN equals NaN, -0 differs from 0
  }
}

describe('parseSafetensors reads what PyTorch wrote', () => {
  const expected = fixtureJson<TorchFixture>('torch.json');
  const { tensors, metadata } = parseSafetensors(readFileSync(new URL('torch.safetensors', FIXTURES)));

  it('has every tensor, in data order, and the metadata', () => {
    // safetensors_io.py lays tensors out in name order, so data order is name order here.
    expect([...tensors.keys()]).toEqual(Object.keys(expected.tensors).sort());
    expect(metadata).toEqual(expected.metadata);
  });

  it.each(Object.entries(expected.tensors))('%s: same dtype, shape and bits as torch', (name, want) => {
    const got = tensors.get(name) as RawTensor;
    expect(got.dtype).toBe(want.dtype);
    expect(got.shape).toEqual(want.shape);
    if (want.bits) {
      expect(got.data).toBeInstanceOf(Float32Array); // F16/BF16 widened exactly as t.float() does
      expect(bitsOf(got.data)).toEqual(want.bits);
    } else {
      expect(Array.from(got.data)).toEqual(want.values);
    }
  });

  it('round-trips through serializeSafetensors', () => {
    const again = parseSafetensors(serializeSafetensors(tensors, metadata));
    expectSameTensors(again.tensors, tensors);
    expect(again.metadata).toEqual(metadata);
  });
});

describe('serializeSafetensors then parseSafetensors', () => {
  it('round-trips every dtype, 0-d and empty tensors included', () => {
    const bytes = serializeSafetensors(EVERY_DTYPE, { format: 'pt' });
    const { tensors, metadata } = parseSafetensors(bytes);
    expectSameTensors(tensors, EVERY_DTYPE);
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('keeps F32 NaN payloads and -0 bit for bit', () => {
    const data = f32FromBits([0x7fc00001, 0xffbfffff, 0x80000000, 0x00000001]);
    const { tensors } = parseSafetensors(serializeSafetensors({ x: { dtype: 'F32', shape: [4], data } }));
    expect(bitsOf((tensors.get('x') as RawTensor).data)).toEqual(bitsOf(data));
  });

  it('rounds F16 and BF16 data to nearest even on write', () => {
    const data = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 1 + 2 ** -8]);
    const { tensors } = parseSafetensors(
      serializeSafetensors({
        h: { dtype: 'F16', shape: [4], data },
        b: { dtype: 'BF16', shape: [4], data },
      }),
    );
    expect(Array.from((tensors.get('h') as RawTensor).data)).toEqual([
      1,
      1 + 2 ** -9,
      Number.POSITIVE_INFINITY,
      1 + 2 ** -8,
    ]);
    expect(Array.from((tensors.get('b') as RawTensor).data)).toEqual([1, 1, 65536, 1]);
  });

  it('gives the same bytes for a Map and an object, whatever the insertion order', () => {
    const reversed = new Map(Object.entries(EVERY_DTYPE).reverse());
    expect(serializeSafetensors(reversed)).toEqual(serializeSafetensors(EVERY_DTYPE));
  });

  it('reads typed arrays through their byteOffset and copies them', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const bytes = serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: backing.subarray(1, 3) } });
    backing[1] = 5; // the output must not alias the input
    expect(Array.from((parseSafetensors(bytes).tensors.get('x') as RawTensor).data)).toEqual([1, 2]);
  });
});

describe('serializeSafetensors layout (the reference writer, byte for byte)', () => {
  const f32Range = (n: number) => new Float32Array(Array.from({ length: n }, (_, i) => i));
  const dataBytes = (data: Float32Array) => Array.from(new Uint8Array(data.buffer));
  const expectedFile = (header: string, data: number[] = []) => {
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    return Uint8Array.from([
      padded.length,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode(padded),
      ...data,
    ]);
  };

  it('writes a header whose length is already a multiple of 8 unpadded', () => {
    const data = f32Range(6);
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    expect(serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } })).toEqual(
      expectedFile(header, dataBytes(data)),
    );
  });

  it('pads the header with spaces to a multiple of 8', () => {
    const data = f32Range(6);
    const bytes = serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } });
    expect(bytes).toEqual(
      expectedFile('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', dataBytes(data)),
    );
    expect(headerText(bytes).endsWith('}       ')).toBe(true);
  });

  it('writes an empty file as {} and puts sorted metadata first', () => {
    expect(serializeSafetensors({})).toEqual(expectedFile('{}'));
    expect(serializeSafetensors({}, {})).toEqual(expectedFile('{}')); // empty metadata is left out
    expect(serializeSafetensors({}, { z: '1', framework: 'pt' })).toEqual(
      expectedFile('{"__metadata__":{"framework":"pt","z":"1"}}'),
    );
  });

  it('orders tensors by dtype alignment, then name, so every tensor is aligned', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'U8', shape: [3], data: new Uint8Array(3) },
      a: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
      d: { dtype: 'BOOL', shape: [1], data: new Uint8Array(1) },
      c: { dtype: 'F64', shape: [1], data: new Float64Array(1) },
      f: { dtype: 'F16', shape: [1], data: new Float32Array(1) },
      e: { dtype: 'I64', shape: [1], data: new Int32Array(1) },
      a2: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
    });
    const header = JSON.parse(headerText(bytes)) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    expect(Object.keys(header)).toEqual(['e', 'c', 'a', 'a2', 'f', 'b', 'd']);
    const sizes: Record<string, number> = { I64: 8, F64: 8, F32: 4, F16: 2, U8: 1, BOOL: 1 };
    const dataStart = 8 + headerText(bytes).length;
    for (const {
      dtype,
      data_offsets: [begin],
    } of Object.values(header)) {
      expect((dataStart + begin) % (sizes[dtype] as number)).toBe(0);
    }
  });

  it('writes non-ASCII names as UTF-8', () => {
    const bytes = serializeSafetensors({ größe: { dtype: 'U8', shape: [1], data: new Uint8Array([7]) } });
    expect(headerText(bytes)).toContain('"größe"');
    expect([...parseSafetensors(bytes).tensors.keys()]).toEqual(['größe']);
  });
});

describe('seqlab -> torch fixture (from-seqlab/)', () => {
  const spec = fixtureJson<TorchFixture>('from-seqlab/spec.json');
  const tensors = Object.fromEntries(
    Object.entries(spec.tensors).map(([name, t]) => [name, fromExpected(t)]),
  );
  const bytes = serializeSafetensors(tensors, spec.metadata);
  const committed = new URL('from-seqlab/seqlab.safetensors', FIXTURES);
  if (process.env.SEQLAB_UPDATE_FIXTURES) writeFileSync(committed, bytes);

  it('serializes spec.json to exactly the committed seqlab.safetensors', () => {
    let onDisk: Uint8Array;
    try {
      onDisk = new Uint8Array(readFileSync(committed));
    } catch {
      throw new Error(
        `${committed.pathname} is missing: run with SEQLAB_UPDATE_FIXTURES=1, then gen_safetensors.py --check`,
      );
    }
    expect(headerText(bytes)).toBe(headerText(onDisk));
    expect(bytes).toEqual(onDisk);
  });

  it('parses the committed file back to the spec values', () => {
    const parsed = parseSafetensors(new Uint8Array(readFileSync(committed)));
    expect(parsed.metadata).toEqual(spec.metadata);
    expect([...parsed.tensors.keys()].sort()).toEqual(Object.keys(spec.tensors).sort());
    for (const [name, want] of Object.entries(spec.tensors)) {
      if (want.dtype === 'F16' || want.dtype === 'BF16') continue; // rounded: float16.test.ts compares with torch
      const got = parsed.tensors.get(name) as RawTensor;
      if (want.bits) expect(bitsOf(got.data), name).toEqual(want.bits);
      else expect(Array.from(got.data), name).toEqual(want.values);
    }
  });
});

describe('parseSafetensors input handling', () => {
  const good = serializeSafetensors(EVERY_DTYPE);

  it.each([1, 2, 3, 5, 7])('reads a file that starts at byteOffset %i of a larger buffer', (offset) => {
    const backing = new Uint8Array(offset + good.length + 3);
    backing.set(good, offset);
    expectSameTensors(parseSafetensors(backing.subarray(offset, offset + good.length)).tensors, EVERY_DTYPE);
  });

  it('copies tensor data out of the input, for a Node Buffer too', () => {
    const input = Buffer.from(good); // Buffer.slice would return a view: the parser must not use it
    const { tensors } = parseSafetensors(input);
    input.fill(0xee);
    expectSameTensors(tensors, EVERY_DTYPE);
    for (const { data } of tensors.values()) expect(data.buffer).not.toBe(input.buffer);
  });

  it('accepts header keys in any order, unknown fields, null metadata and zero-size tensors anywhere', () => {
    const bytes = file(
      {
        b: { dtype: 'U8', shape: [2], data_offsets: [4, 6], note: 'ignored, as the reference does' },
        z: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
        a: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
        __metadata__: null,
      },
      Uint8Array.from([0, 0, 0x80, 0x3f, 1, 2]),
    );
    const { tensors, metadata } = parseSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['a', 'z', 'b']); // data order
    expect(Array.from((tensors.get('a') as RawTensor).data)).toEqual([1]);
    expect(metadata).toEqual({});
  });

  it('keeps metadata keys that look like Object.prototype members as plain data', () => {
    const { metadata } = parseSafetensors(file('{"__metadata__":{"__proto__":"x","constructor":"y"}}'));
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.entries(metadata)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });
});

describe('parseSafetensors rejects corrupt files with a FormatError', () => {
  const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const ab = { a, b: { dtype: 'U8', shape: [3], data_offsets: [8, 11] } };
  const good = file(ab, 11);
  const cases: [string, Uint8Array, string][] = [
    ['an empty file', new Uint8Array(0), 'expected at least 8 bytes (the header length), got a 0-byte file'],
    ['a 7-byte file', new Uint8Array(7), 'got a 7-byte file. The file is empty or truncated'],
    [
      'a header length past the end',
      good.subarray(0, 30),
      'expected a header length within the 30-byte file (at most 22), got',
    ],
    [
      'a u64::MAX header length',
      file({}, 0, 2n ** 64n - 1n),
      'expected a header length of at most 100000000 bytes, got 18446744073709551615',
    ],
    [
      'a header length just above 100 MB',
      file({}, 0, 100_000_001n),
      'at most 100000000 bytes, got 100000001',
    ],
    [
      'a truncated data buffer',
      good.subarray(0, good.length - 2),
      'tensor "b" data_offsets within the 9-byte data buffer, got [8, 11]. The file is truncated',
    ],
    [
      'invalid UTF-8',
      file(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      'expected the header to be UTF-8, got invalid UTF-8',
    ],
    ['a byte-order mark', file('\ufeff{}'), 'expected the header to be JSON, got invalid JSON'],
    ['bad JSON', file('{"a": {"dtype": '), 'expected the header to be JSON, got invalid JSON'],
    ['an empty header', file(''), 'expected the header to be JSON'],
    [
      'a JSON array',
      file([]),
      'expected the header to be a JSON object {name: {dtype, shape, data_offsets}}, got []',
    ],
    ['JSON null', file(null), 'header to be a JSON object {name: {dtype, shape, data_offsets}}, got null'],
    [
      'an entry that is not an object',
      file({ a: [1, 2] }),
      'expected tensor "a" to be an object {dtype, shape, data_offsets}, got [1,2]',
    ],
    [
      'an unknown dtype',
      file({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16),
      'expected tensor "a" dtype to be one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, got "F128"',
    ],
    [
      'a spec dtype seqlab does not read',
      file({ a: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, 4),
      'got "U32". U32 is a valid safetensors dtype that seqlab does not read',
    ],
    [
      'a lowercase dtype',
      file({ a: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, 4),
      'dtype to be one of',
    ],
    [
      'a missing dtype',
      file({ a: { shape: [1], data_offsets: [0, 4] } }, 4),
      'dtype to be one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, got nothing (missing)',
    ],
    [
      'a negative dimension',
      file({ a: { dtype: 'F32', shape: [-1, 2], data_offsets: [0, 0] } }),
      'expected tensor "a" shape to be an array of non-negative integers, got [-1,2]',
    ],
    [
      'a fractional dimension',
      file({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }, 6),
      'shape to be an array of non-negative integers, got [1.5]',
    ],
    [
      'an unsafe dimension',
      file('{"a":{"dtype":"U8","shape":[1e300],"data_offsets":[0,0]}}'),
      'shape to be an array of non-negative integers, got [1e+300]',
    ],
    [
      'a shape that is not an array',
      file({ a: { dtype: 'F32', shape: '2', data_offsets: [0, 8] } }, 8),
      'shape to be an array of non-negative integers, got "2"',
    ],
    [
      'begin > end',
      file({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8),
      'expected tensor "a" data_offsets to be [begin, end] with 0 ≤ begin ≤ end, got [8,4]',
    ],
    [
      'one offset',
      file({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, 4),
      'data_offsets to be [begin, end] with 0 ≤ begin ≤ end, got [4]',
    ],
    ['a negative offset', file({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), 'got [-4,0]'],
    [
      'missing data_offsets',
      file({ a: { dtype: 'F32', shape: [1] } }, 4),
      'data_offsets to be [begin, end] with 0 ≤ begin ≤ end, got nothing (missing)',
    ],
    [
      'offsets out of range',
      file({ ...f32('a', [2], 0), b: { dtype: 'U8', shape: [92], data_offsets: [8, 100] } }, 11),
      'expected tensor "b" data_offsets within the 11-byte data buffer, got [8, 100]',
    ],
    [
      'a size mismatch',
      file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      'expected tensor "a" (F32, shape [3]) to span 3 × 4 = 12 bytes, got data_offsets [0, 8] spanning 8',
    ],
    [
      'an F16 size mismatch',
      file({ h: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] } }, 16),
      'expected tensor "h" (F16, shape [2, 2]) to span 4 × 2 = 8 bytes, got data_offsets [0, 16] spanning 16',
    ],
    [
      'overlapping ranges',
      file({ ...f32('a', [2], 0), b: { dtype: 'U8', shape: [3], data_offsets: [6, 9] } }, 9),
      'expected tensor "b" to start at byte 8, where tensor "a" ends, got data_offsets [6, 9], overlapping tensor "a"',
    ],
    [
      'two tensors on the same bytes',
      file({ ...f32('a', [2], 0), ...f32('b', [2], 0) }, 8),
      'expected tensor "b" to start at byte 8, where tensor "a" ends, got data_offsets [0, 8], overlapping tensor "a"',
    ],
    [
      'a hole between tensors',
      file({ ...f32('a', [2], 0), b: { dtype: 'U8', shape: [3], data_offsets: [10, 13] } }, 13),
      'got data_offsets [10, 13], leaving bytes [8, 10) unused. Tensor data must tile the data buffer with no hole or overlap',
    ],
    [
      'a hole at the start',
      file(f32('a', [2], 4), 12),
      'expected tensor "a" to start at byte 0, the start of the data buffer, got data_offsets [4, 12]',
    ],
    [
      'trailing bytes',
      file(ab, 13),
      'expected the tensors to cover the 13-byte data buffer, got 2 unused bytes after tensor "b"',
    ],
    [
      'data but no tensors',
      file({}, 4),
      'expected the tensors to cover the 4-byte data buffer, got 4 unused bytes after the header (no tensors)',
    ],
    [
      'a duplicate tensor name',
      file(`{"a":${JSON.stringify(a)},"a":${JSON.stringify(a)}}`, 8),
      'expected unique keys in the header, got "a" twice',
    ],
    [
      'a duplicate escaped name',
      file(`{"\\u0061":${JSON.stringify(a)},"a":${JSON.stringify(a)}}`, 8),
      'got "a" twice',
    ],
    [
      'a duplicate field',
      file('{"a":{"dtype":"F32","dtype":"U8","shape":[2],"data_offsets":[0,8]}}', 8),
      'got "dtype" twice',
    ],
    ['a duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), 'got "k" twice'],
    [
      'metadata that is not an object',
      file({ __metadata__: ['pt'] }),
      'expected __metadata__ to be an object of strings, got ["pt"]',
    ],
    [
      'a non-string metadata value',
      file({ __metadata__: { epoch: 3 } }),
      'expected __metadata__ values to be strings, got "epoch": 3',
    ],
    [
      'a lone surrogate in a name',
      file(`{"\\ud800":${JSON.stringify(a)}}`, 8),
      'expected tensor names to be valid Unicode, got a lone surrogate in tensor "\\ud800"',
    ],
    [
      'a lone surrogate in metadata',
      file('{"__metadata__":{"k":"\\udc00"}}'),
      'expected __metadata__ to be valid Unicode, got a lone surrogate in "k"',
    ],
    [
      'I64 above int32',
      file(
        { i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
        Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]),
      ),
      'expected tensor "i" (I64) values within int32 [-2147483648, 2147483647], got 2147483648 at index 1. seqlab keeps integer tensors as Int32Array',
    ],
    [
      'I64 below int32',
      file(
        { i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
        Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff]),
      ),
      'got -2147483649 at index 0',
    ],
    [
      'I64 with a high word only',
      file(
        { i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
        Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]),
      ),
      'got 4294967296 at index 0',
    ],
    [
      'a BOOL byte other than 0 or 1',
      file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, Uint8Array.from([1, 0, 2])),
      'expected tensor "m" (BOOL) to hold only bytes 0 and 1, got 2 at index 2',
    ],
  ];

  it.each(cases)('%s', (_, bytes, message) => {
    const error = thrown(FormatError, () => parseSafetensors(bytes));
    expect(error.op).toBe('parseSafetensors');
    expect(error.message).toMatch(/^parseSafetensors: expected /);
    expect(error.message).toContain(message);
  });

  it('rejects input that is not a Uint8Array', () => {
    const error = thrown(FormatError, () => parseSafetensors(new ArrayBuffer(16) as unknown as Uint8Array));
    expect(error.message).toBe(
      'parseSafetensors: expected the file as a Uint8Array, got [object ArrayBuffer]',
    );
  });

  it('accepts the boundary values those checks reject', () => {
    const int64 = file(
      { i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
      Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff]),
    );
    expect(Array.from((parseSafetensors(int64).tensors.get('i') as RawTensor).data)).toEqual([
      2 ** 31 - 1,
      -(2 ** 31),
    ]);
    expect(parseSafetensors(file({}, 0, 2n)).tensors.size).toBe(0); // header "{}" exactly fills its length
  });
});

describe('serializeSafetensors rejects bad input', () => {
  const expectMessage = ({ message }: Error, fragment: string) => {
    expect(message).toMatch(/^serializeSafetensors: expected /);
    expect(message).toContain(fragment);
  };
  const ok = (data: RawTensor['data'] = new Float32Array(6)): RawTensor => ({
    dtype: 'F32',
    shape: [2, 3],
    data,
  });
  const serialize = (tensors: unknown, metadata?: unknown) =>
    serializeSafetensors(tensors as Record<string, RawTensor>, metadata as Record<string, string>);

  it.each([
    [
      'an empty name',
      { '': ok() },
      'expected tensor names to be non-empty Unicode strings other than "__metadata__", got ""',
    ],
    ['the __metadata__ name', { __metadata__: ok() }, 'got "__metadata__"'],
    ['a lone surrogate name', new Map([['\ud800', ok()]]), 'got "\\ud800"'],
    [
      'a tensor that is not an object',
      { w: null },
      'expected tensor "w" to be {dtype, shape, data}, got null',
    ],
    [
      'tensors that are neither a Map nor an object',
      null,
      'expected tensors as a Map or an object of RawTensor, got null',
    ],
  ])('ConfigError for %s', (_, tensors, message) => {
    expectMessage(
      thrown(ConfigError, () => serialize(tensors)),
      message,
    );
  });

  it.each([
    [
      'a non-string metadata value',
      { epoch: 3 },
      'serializeSafetensors: expected metadata values to be strings, got "epoch": 3. safetensors stores only strings; JSON.stringify other values',
    ],
    [
      'metadata that is not an object',
      ['pt'],
      'serializeSafetensors: expected metadata to be an object of strings, got ["pt"]',
    ],
    [
      'a lone surrogate in metadata',
      { k: '\udc00' },
      'expected metadata to be valid Unicode, got a lone surrogate in "k"',
    ],
  ])('ConfigError for %s', (_, metadata, message) => {
    expect(thrown(ConfigError, () => serialize({ w: ok() }, metadata)).message).toContain(message);
  });

  it.each([
    [
      'an unknown dtype',
      { dtype: 'F8', shape: [1], data: new Float32Array(1) },
      'expected tensor "w" dtype to be one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, got "F8"',
    ],
    [
      'F16 data that is not a Float32Array',
      { dtype: 'F16', shape: [2], data: new Float64Array(2) },
      'expected tensor "w" data to be a Float32Array for dtype F16, got Float64Array',
    ],
    [
      'I64 data as a BigInt64Array',
      { dtype: 'I64', shape: [1], data: new BigInt64Array(1) },
      'data to be an Int32Array for dtype I64, got BigInt64Array',
    ],
    [
      'BOOL data as a plain array',
      { dtype: 'BOOL', shape: [1], data: [1] },
      'data to be a Uint8Array for dtype BOOL, got [1]',
    ],
    [
      'a BOOL value of 2',
      { dtype: 'BOOL', shape: [3], data: Uint8Array.from([0, 1, 2]) },
      'expected tensor "w" (BOOL) data to hold only 0 and 1, got 2 at index 2',
    ],
    [
      'an I16 value out of range',
      { dtype: 'I16', shape: [2], data: Int32Array.from([1, 40000]) },
      'expected tensor "w" (I16) values within [-32768, 32767], got 40000 at index 1',
    ],
    [
      'an I8 value out of range',
      { dtype: 'I8', shape: [1], data: Int32Array.from([-129]) },
      '(I8) values within [-128, 127], got -129 at index 0',
    ],
  ])('DTypeError for %s', (_, tensor, message) => {
    expectMessage(
      thrown(DTypeError, () => serialize({ w: tensor })),
      message,
    );
  });

  it.each([
    [
      'a data length that does not match the shape',
      ok(new Float32Array(5)),
      'expected tensor "w" data of length 6 for shape [2, 3], got 5',
    ],
    [
      'a negative dimension',
      { dtype: 'F32', shape: [-2], data: new Float32Array(0) },
      'expected tensor "w" shape to be an array of non-negative integers, got [-2]',
    ],
    ['a fractional dimension', { dtype: 'F32', shape: [0.5], data: new Float32Array(0) }, 'got [0.5]'],
    ['a shape that is not an array', { dtype: 'F32', shape: 6, data: new Float32Array(6) }, 'got 6'],
  ])('ShapeError for %s', (_, tensor, message) => {
    expectMessage(
      thrown(ShapeError, () => serialize({ w: tensor })),
      message,
    );
  });
});

describe('swapByteOrder (big-endian hosts only)', () => {
  it.each([
    [2, [2, 1, 4, 3, 6, 5, 8, 7]],
    [4, [4, 3, 2, 1, 8, 7, 6, 5]],
    [8, [8, 7, 6, 5, 4, 3, 2, 1]],
  ])('reverses each %i-byte item', (size, expected) => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapByteOrder(bytes, size);
    expect(Array.from(bytes)).toEqual(expected);
  });
});
