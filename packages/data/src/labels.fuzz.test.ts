// Fuzzing LabelMap.fromJSON (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases with
// time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The JSON starts from a map's own
// `toJSON()` and one field is changed: ids that are fractional, negative, huge (2^31 − 1, 1e300),
// strings or nested, names such as `__proto__`, `constructor` and `toString`, wrong types, versions
// and modes, besides random JSON; `__proto__` keys come from parsing text, as from a file.
import { LabelMap } from '@seqlab/data';
import { checkCase, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const fuzz = fuzzSettings();

const good = new LabelMap(['neg', 'pos', 'neutral']).toJSON();

const name = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
  fc.constantFrom('neg', 'pos', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '\ud800', '0'),
);

const id = fc.oneof(
  { weight: 4, arbitrary: fc.nat(5) },
  fc.constantFrom<unknown>(
    -1,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53,
    1e300,
    -0,
    '1',
    'NaN',
    null,
    true,
    [],
    {},
    [0],
  ),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
);

const ids = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(name, id, { maxKeys: 8 }) },
  fc.constantFrom<unknown>(null, [], ['neg'], 'ids', 0),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The good map's JSON with one field replaced (or removed). */
const oneFieldChanged = fc
  .oneof(
    fc.record({ key: fc.constant('ids'), value: ids }),
    fc.record({
      key: fc.constant('mode'),
      value: fc.constantFrom<unknown>('names', 'integer', 'build', null, 1),
    }),
    fc.record({
      key: fc.constant('type'),
      value: fc.constantFrom<unknown>('seqlab.LabelMap', 'seqlab.Vocab', null),
    }),
    fc.record({ key: fc.constant('version'), value: fc.constantFrom<unknown>(1, 2, '1', 1.0000001, null) }),
  )
  .chain(({ key, value }) =>
    fc.boolean().map((remove): unknown => {
      const json: Record<string, unknown> = { ...good, [key]: value };
      if (remove) delete json[key];
      return json;
    }),
  );

const labelMapJson = fc.oneof(
  { weight: 1, arbitrary: fc.constant<unknown>(good) },
  { weight: 6, arbitrary: oneFieldChanged },
  fc.jsonValue({ maxDepth: 3 }),
);

/** Parsed from text, as a file would be, so `__proto__` keys are own properties. */
const labelMapFile = fc.oneof(
  fc
    .tuple(labelMapJson, fc.option(fc.constantFrom('__proto__', 'constructor')), fc.boolean())
    .map(([json, protoKey, inIds]) => {
      const text = JSON.stringify(json) ?? 'null';
      if (!protoKey || !text.startsWith('{')) return text;
      if (inIds && text.includes('"ids":{')) return text.replace('"ids":{', `"ids":{"${protoKey}":1,`);
      return `{"${protoKey}":{"mode":"integer"}${text === '{}' ? '' : ','}${text.slice(1)}`;
    })
    .map((text) => text.replace(',}', '}')),
  fc
    .integer({ min: 1_000, max: 6_000 })
    .map(
      (n) =>
        `{"type":"seqlab.LabelMap","version":1,"mode":"names","ids":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`,
    ),
);

describe('fuzzing LabelMap.fromJSON', () => {
  test('a map with as many classes as the file names (each id encodes back), or a short FormatError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(labelMapFile, (text) => {
        const json: unknown = JSON.parse(text);
        const map = checkCase(
          fuzz,
          () => {
            try {
              return LabelMap.fromJSON(json);
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(600);
              throw error;
            }
          },
          {
            inputSize: text.length,
            // The class names a map holds (eval builds a size × size confusion matrix from them).
            resultBytes: (m) => m.size,
            maxResultBytes: text.length,
          },
        );
        if (!map || map.mode === 'integer') return;
        for (const [i, n] of map.names.entries()) expect(map.encode(n)).toBe(i);
        for (const n of ['__proto__', 'constructor', 'toString']) {
          const own = (json as { ids: Record<string, unknown> }).ids;
          expect(map.encode(n)).toBe(Object.hasOwn(own, n) ? own[n] : undefined);
        }
      }),
      fuzz.params,
    );
  });
});
