// Fuzzing Vocab.fromJSON (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases with
// time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The JSON starts from a built
// vocabulary's and is mutated: tokens that repeat or are not strings (numbers, null, objects with
// a `toString` key), specials out of place or missing `<pad>`/`<unk>`, `__proto__`, `constructor`
// and unicode tokens, wrong types and versions, besides random JSON.
import { Vocab } from '@seqlab/data';
import { checkCase, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const fuzz = fuzzSettings();

const built = Vocab.build(
  [
    ['the', 'movie', 'was', 'good'],
    ['the', 'plot', 'was', 'thin'],
  ],
  { specials: ['<pad>', '<unk>', '<bos>'] },
);

const token = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 6 }) },
  fc.constantFrom<unknown>(
    '<pad>',
    '<unk>',
    '<bos>',
    '<eos>',
    'the',
    '__proto__',
    'constructor',
    'toString',
    '',
    '\ud800',
  ),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom<unknown>(0, 1e300, null, true, [], {}, { toString: 1 }, ['<pad>']),
);

const strings = (min: number) => fc.array(token, { minLength: min, maxLength: 10 });

const vocabJson = fc.oneof(
  { weight: 2, arbitrary: fc.constant<unknown>(built.toJSON()) },
  fc.record({
    type: fc.constantFrom<unknown>('seqlab.Vocab', 'seqlab.Vocab', 'seqlab.Vocab', 'seqlab.LabelMap', null),
    version: fc.constantFrom<unknown>(1, 1, 1, 2, '1'),
    specials: fc.oneof(
      { weight: 3, arbitrary: fc.constant<unknown>(['<pad>', '<unk>']) },
      strings(0),
      fc.constantFrom<unknown>(null, '<pad>', {}),
    ),
    itos: fc.oneof(
      { weight: 3, arbitrary: strings(0).map((rest) => ['<pad>', '<unk>', ...rest]) },
      strings(0),
      fc.constantFrom<unknown>(null, 'itos', {}),
    ),
  }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** Parsed from text, as a file would be, so `__proto__` keys are own properties. */
const vocabFile = fc.oneof(
  fc.tuple(vocabJson, fc.option(fc.constantFrom('__proto__', 'constructor'))).map(([json, protoKey]) => {
    const text = JSON.stringify(json) ?? 'null';
    if (!protoKey || !text.startsWith('{')) return text;
    return `{"${protoKey}":{"itos":[]}${text === '{}' ? '' : ','}${text.slice(1)}`;
  }),
  fc.integer({ min: 1_000, max: 6_000 }).map((n) => `{"type":${'['.repeat(n)}${']'.repeat(n)},"version":1}`),
);

describe('fuzzing Vocab.fromJSON', () => {
  test('a Vocab whose ids match its tokens, or a FormatError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(vocabFile, (text) => {
        const json: unknown = JSON.parse(text);
        const vocab = checkCase(fuzz, () => Vocab.fromJSON(json), {
          inputSize: text.length,
          resultBytes: (v) => v.itos.reduce((n, t) => n + t.length, 0),
          maxResultBytes: text.length,
        });
        if (!vocab) return;
        for (const [id, t] of vocab.itos.entries()) expect(vocab.lookup(t)).toBe(id);
        for (const t of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
          expect(vocab.lookup(t)).toBe(vocab.has(t) ? vocab.itos.indexOf(t) : vocab.unkIndex);
        }
      }),
      fuzz.params,
    );
  });
});
