// Hostile JSON: a nesting bound checked before parsing, and messages that stay short whatever a
// file holds. Every parser of seqlab's JSON files calls checkJsonDepth; the safetensors header is
// the one in this package.
import { describe, expect, it } from 'vitest';
import { FormatError, formatValue } from '../errors';
import { checkJsonDepth, jsonDepth, MAX_JSON_DEPTH } from './json-depth';
import { parseSafetensors } from './safetensors';

/** `[[[…]]]` nested `n` deep: 10 KB at n = 5,000. */
const nestedArrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** `{"a":{"a":…1}}` nested `n` deep. */
const nestedObjects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

/** A safetensors file whose header is `header` (padded to a multiple of 8) and no data. */
function withHeader(header: string): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('jsonDepth', () => {
  it('counts the nesting of arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('"[[[{{{"')).toBe(0);
    expect(jsonDepth('{"a": [1, {"b": "]]]\\"[["}], "c": []}')).toBe(3);
    expect(jsonDepth(nestedArrays(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH);
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth(nestedArrays(100_000), 10)).toBe(11);
  });
});

describe('checkJsonDepth', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more, naming the file`, () => {
    expect(() => checkJsonDepth('readJson', nestedObjects(MAX_JSON_DEPTH), 'a.json')).not.toThrow();
    expect(() => checkJsonDepth('readJson', nestedObjects(MAX_JSON_DEPTH + 1), 'a.json')).toThrow(
      new FormatError(
        'readJson',
        `JSON nested at most ${MAX_JSON_DEPTH} deep in a.json`,
        `more than ${MAX_JSON_DEPTH} levels of arrays or objects`,
      ),
    );
  });
});

describe('a safetensors header nested 5,000 deep is a FormatError, not a stack overflow', () => {
  it.each([
    ['in a tensor entry', `{"w":${nestedArrays(5000)}}`],
    ['in __metadata__', `{"__metadata__":${nestedObjects(5000)}}`],
    ['in a shape', `{"w":{"dtype":"F32","shape":${nestedArrays(5000)},"data_offsets":[0,0]}}`],
  ])('%s', (_, header) => {
    let caught: unknown;
    try {
      parseSafetensors(withHeader(header));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FormatError);
    expect((caught as FormatError).message).toContain(`JSON nested at most ${MAX_JSON_DEPTH} deep`);
  });
});

describe('formatValue', () => {
  it('renders JSON-like values in full when short', () => {
    expect(formatValue('pos')).toBe('"pos"');
    expect(formatValue([1, 2, -3])).toBe('[1,2,-3]');
    expect(formatValue({ a: null, b: [true] })).toBe('{"a":null,"b":[true]}');
    expect(formatValue(undefined)).toBe('undefined');
    expect(formatValue(Number.NaN)).toBe('NaN');
  });

  it('bounds the length and the depth, whatever the input', () => {
    const long = formatValue('x'.repeat(10_000_000));
    expect(long).toHaveLength(60);
    expect(long.endsWith('…')).toBe(true);
    expect(formatValue(JSON.parse(nestedArrays(100_000)))).toBe('[[[[…]]]]');
    expect(formatValue(JSON.parse(nestedObjects(100_000)))).toBe('{"a":{"a":{"a":{…}}}}');
    expect(
      formatValue(
        Array.from({ length: 1_000_000 }, (_, i) => i),
        20,
      ),
    ).toBe('[0,1,2,3,4,5,6,7,8,…');
  });
});
