import { ConfigError, FormatError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { LabelMap } from './index';

describe('LabelMap', () => {
  it("'build' gives ids by first appearance and keeps them", () => {
    const labels = new LabelMap();
    expect(['spam', 'ham', 'spam', 'ham'].map((l) => labels.encode(l))).toEqual([0, 1, 0, 1]);
    expect(labels.names).toEqual(['spam', 'ham']);
    expect(labels.size).toBe(2);
    expect(labels.describe()).toBe('any label');
  });

  it('a list gives ids by position and rejects other labels', () => {
    const labels = new LabelMap(['neg', 'pos']);
    expect(labels.encode('pos')).toBe(1);
    expect(labels.encode('neutral')).toBeUndefined();
    expect(labels.describe()).toBe('one of "neg", "pos"');
  });

  it('a record may give several names one id; names lists the first', () => {
    const labels = new LabelMap({ negative: 0, positive: 1, pos: 1 });
    expect([labels.encode('pos'), labels.encode('positive'), labels.encode('negative')]).toEqual([1, 1, 0]);
    expect(labels.names).toEqual(['negative', 'positive']);
  });

  it("'integer' passes non-negative integers (numbers or strings) through", () => {
    const labels = new LabelMap('integer');
    expect([labels.encode(1), labels.encode('0'), labels.encode(3)]).toEqual([1, 0, 3]);
    expect([labels.encode(-1), labels.encode(1.5), labels.encode('01'), labels.encode(true)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(labels.size).toBe(4);
    expect(labels.names).toEqual(['0', '1', '2', '3']);
  });

  it('compares JSON numbers and booleans as strings', () => {
    const labels = new LabelMap(['false', 'true']);
    expect(labels.encode(true)).toBe(1);
  });

  it('round-trips through JSON as a fixed map', () => {
    const built = new LabelMap();
    built.encode('b');
    built.encode('a');
    const copy = LabelMap.fromJSON(JSON.parse(JSON.stringify(built)));
    expect(copy.names).toEqual(['b', 'a']);
    expect(copy.encode('c')).toBeUndefined();
    expect(LabelMap.fromJSON(new LabelMap('integer').toJSON()).encode('7')).toBe(7);
  });

  it('rejects bad specs and bad JSON', () => {
    expect(() => new LabelMap(['a', 'a'])).toThrow(ConfigError);
    expect(() => new LabelMap(['a', 'a'])).toThrow(
      /LabelMap: expected distinct label names, got "a" at position 1/,
    );
    expect(() => new LabelMap({ a: -1 })).toThrow(/expected integer ids in \[0, 2147483647\], got "a": -1/);
    // 1e300 is an integer to Number.isInteger, and no class id.
    expect(() => new LabelMap({ a: 1e300 })).toThrow(/got "a": 1e\+300/);
    expect(() => new LabelMap(5 as unknown as 'build')).toThrow(ConfigError);
    expect(() => LabelMap.fromJSON({ type: 'x' })).toThrow(FormatError);
    expect(() =>
      LabelMap.fromJSON({ type: 'seqlab.LabelMap', version: 1, mode: 'names', ids: { a: 1.5 } }),
    ).toThrow(/LabelMap.fromJSON: expected integer ids in \[0, 2147483647\]/);
    expect(() =>
      LabelMap.fromJSON({ type: 'seqlab.LabelMap', version: 1, mode: 'names', ids: { a: 2 ** 31 } }),
    ).toThrow(FormatError);
  });

  // Found by labels.fuzz.test.ts: a 60-byte file named one class 2^31 − 1 and the map had 2^31
  // classes (`names` and eval's confusion matrix are that big); a gap made a class named by its id.
  it('fromJSON refuses ids that leave a class without a name (ids 0 … N − 1 each named)', () => {
    const json = (ids: unknown) => ({ type: 'seqlab.LabelMap', version: 1, mode: 'names', ids });
    expect(() => LabelMap.fromJSON(json({ a: 2 ** 31 - 1 }))).toThrow(
      /LabelMap.fromJSON: expected ids 0 to N − 1 each given to a label, got no label for id 0 \(ids up to 2147483647\)/,
    );
    expect(() =>
      LabelMap.fromJSON(
        JSON.parse('{"type":"seqlab.LabelMap","version":1,"mode":"names","ids":{"__proto__":1}}'),
      ),
    ).toThrow(/got no label for id 0 \(ids up to 1\)/);
    expect(() => LabelMap.fromJSON(json({ a: 0, b: 0, c: 2 }))).toThrow(
      /got no label for id 1 \(ids up to 2\)/,
    );
    const aliases = LabelMap.fromJSON(json({ negative: 0, positive: 1, pos: 1 }));
    expect(aliases.size).toBe(2);
    expect(aliases.encode('pos')).toBe(1);
    expect(LabelMap.fromJSON(json({})).size).toBe(0);
  });
});
