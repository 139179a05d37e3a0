// Fuzzing the tokenizers and BPETokenizer.fromJSON (fast-check): a seeded 200-case sample per
// property in `pnpm test`, 10,000 cases each with time and heap bounds in `pnpm fuzz` (see
// CONTRIBUTING.md). Texts mix words, whitespace runs, CRLF, quotes, emoji and combining marks,
// characters that normalisation or lower-casing expand, and lone surrogates. Tokenizer JSON starts
// from a trained tokenizer's and is mutated: merges that reference the newest ids (so token lengths
// double), out-of-range, fractional or huge ids, repeated pairs, odd specials, `__proto__` keys,
// wrong types and versions.
import {
  BPETokenizer,
  CharTokenizer,
  DEFAULT_BPE_PATTERN,
  type NormalizationForm,
  WordTokenizer,
} from '@seqlab/data';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { checkCase, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const fuzz = fuzzSettings();

/** Characters that stress tokenizers: expansions under NFKC/lower-casing, marks, emoji, controls. */
const tricky = fc.constantFrom(
  ' ',
  '  ',
  '\t',
  '\r\n',
  '\n',
  '\u00a0',
  '\u2028',
  "'",
  '\u2019',
  '"',
  '.',
  ',',
  '-',
  'İ',
  'ß',
  'ﷺ',
  'ﬃ',
  'é',
  'e\u0301',
  '\u0301',
  '👍🏽',
  '👨‍👩‍👧',
  '🇫🇷',
  '\ufe0f',
  '\u200d',
  '٣',
  'Ⅻ',
  '\ud800',
  '\udc00',
  '\ufeff',
  '\u0000',
  'a'.repeat(40),
  '1'.repeat(20),
);

const texts = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.string({ maxLength: 6 }), tricky), { maxLength: 12 })
      .map((parts) => parts.join('')),
  },
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
);

/** Every token (or id) a tokenizer returns comes from the text: a generous bound on their total size. */
const tokenChars = (tokens: string[]) => tokens.reduce((n, t) => n + t.length, 0);
/** NFKC can turn one character into 18 (U+FDFA), and lower-casing can double one first. */
const EXPANSION = 54;

const corpus = [
  'the movie was good , really good',
  "it's not bad ; it's great !",
  'low lower lowest newer newest widest',
  'café naïve 👍🏽 über straße',
];
const trained = BPETokenizer.train(corpus, { vocabSize: 300, minFrequency: 1, specials: ['<pad>', '<unk>'] });

describe('fuzzing the tokenizers', () => {
  test('WordTokenizer (default, whitespace and reference patterns): tokens within the text, at most maxLength', {
    timeout: fuzz.testTimeout,
  }, () => {
    const options = fc.record({
      pattern: fc.constantFrom(undefined, '\\S+', "[a-z0-9']+"),
      lowercase: fc.boolean(),
      normalize: fc.constantFrom<NormalizationForm | false>('NFC', 'NFD', 'NFKC', 'NFKD', false),
      maxLength: fc.constantFrom(undefined, 1, 3),
    });
    fc.assert(
      fc.property(texts, options, (text, { pattern, maxLength, ...rest }) => {
        const tokenizer = new WordTokenizer({
          ...rest,
          ...(pattern ? { pattern } : {}),
          ...(maxLength ? { maxLength } : {}),
        });
        const tokens = checkCase(fuzz, () => tokenizer.tokenize(text), {
          errors: [],
          inputSize: text.length,
          resultBytes: tokenChars,
          maxResultBytes: EXPANSION * text.length,
        });
        expect(tokens?.length).toBeLessThanOrEqual(maxLength ?? Number.POSITIVE_INFINITY);
      }),
      fuzz.params,
    );
  });

  test('CharTokenizer (code points and graphemes): likewise', { timeout: fuzz.testTimeout }, () => {
    const options = fc.record({
      unit: fc.constantFrom('codePoint' as const, 'grapheme' as const),
      lowercase: fc.boolean(),
      normalize: fc.constantFrom<NormalizationForm | false>('NFC', 'NFKD', false),
    });
    fc.assert(
      fc.property(texts, options, (text, opts) => {
        const tokenizer = new CharTokenizer(opts);
        checkCase(fuzz, () => tokenizer.tokenize(text), {
          errors: [],
          inputSize: text.length,
          resultBytes: tokenChars,
          maxResultBytes: EXPANSION * text.length,
        });
      }),
      fuzz.params,
    );
  });

  test('BPETokenizer.encode: at most one id per UTF-8 byte, and decode gives the text back', {
    timeout: fuzz.testTimeout,
  }, () => {
    const strict = new BPETokenizer(trained.merges, { specials: trained.specials, loneSurrogates: 'throw' });
    fc.assert(
      fc.property(texts, fc.boolean(), (text, throwOnLone) => {
        const tokenizer = throwOnLone ? strict : trained;
        const ids = checkCase(fuzz, () => tokenizer.encode(text), {
          inputSize: text.length,
          resultBytes: (r) => r.length,
          maxResultBytes: 3 * text.length,
        });
        if (ids) expect(tokenizer.decode(ids)).toBe(text.replace(/\p{Cs}/gu, '\ufffd'));
      }),
      fuzz.params,
    );
  });
});

/** Ids a merge may name: mostly the newest ones (chains of merges), sometimes any number. */
function mergeIds(offset: number, count: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat(4).map((back) => Math.max(offset, offset + 256 + count - 1 - back)) },
    fc.integer({ min: offset, max: offset + 255 }),
    fc.constantFrom(-1, 0, 1.5, 2 ** 21, 2 ** 53, 1e300, '257', null),
  );
}

/** A chain of merges where each joins the previous one with itself or a byte: token lengths grow fast. */
const mergeChain = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()).map(([n, doubling]) => {
  const merges: [number, number][] = [[2 + 97, 2 + 97]];
  for (let i = 1; i < n; i++) merges.push(doubling ? [2 + 255 + i, 2 + 255 + i] : [2 + 255 + i, 2 + 97]);
  return merges;
});

const patterns = fc.oneof(
  fc.constantFrom(DEFAULT_BPE_PATTERN, '\\S+|\\s+', '.', '[', '', '(?:)', 'a*', '\\p{L}+', '\\p{Foo}'),
  fc.string({ maxLength: 12 }).filter((p) => !/[)\]][*+?{]/.test(p)),
  // Catastrophic backtracking on the probe's run of a's (issue 12's example).
  fc.constantFrom('(a+)+b|\\S+', '(\\w+\\s?)+$', '(a|aa)+c|.'),
);

const specialsArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<unknown>(['<pad>', '<unk>']) },
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom<unknown>('__proto__', '', null, 1, ['x'])), {
    maxLength: 4,
  }),
  fc.constantFrom<unknown>(null, '<pad>', {}),
);

const mergesArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<unknown>(trained.toJSON().merges) },
  mergeChain,
  fc
    .integer({ min: 0, max: 12 })
    .chain((count) =>
      fc.array(fc.tuple(mergeIds(2, count), mergeIds(2, count)), { minLength: count, maxLength: count }),
    ),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.constantFrom<unknown>(null, {}, 'merges'),
);

/** The trained tokenizer's JSON with one field replaced. */
const oneFieldChanged = fc
  .oneof(
    fc.record({ key: fc.constant('pattern'), value: patterns }),
    fc.record({ key: fc.constant('specials'), value: specialsArb }),
    fc.record({ key: fc.constant('merges'), value: mergesArb }),
    fc.record({
      key: fc.constantFrom('type', 'version', 'loneSurrogates'),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
  )
  .map(({ key, value }): unknown => ({ ...trained.toJSON(), [key]: value }));

/** A tokenizer's JSON: the trained one's, one field changed, every field drawn, or any JSON. */
const tokenizerJson = fc.oneof(
  { weight: 2, arbitrary: fc.constant<unknown>(trained.toJSON()) },
  { weight: 4, arbitrary: oneFieldChanged },
  fc.record({
    type: fc.constantFrom<unknown>('seqlab.BPETokenizer', 'seqlab.BPETokenizer', 'seqlab.Vocab', null),
    version: fc.constantFrom<unknown>(1, 1, 1, 2, '1', null),
    specials: specialsArb,
    pattern: fc.oneof(
      { weight: 3, arbitrary: fc.constant<unknown>(DEFAULT_BPE_PATTERN) },
      patterns,
      fc.constant<unknown>(7),
    ),
    loneSurrogates: fc.constantFrom<unknown>('replace', 'replace', 'throw', 'ignore', undefined),
    merges: mergesArb,
  }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** Parsed from text, as a file would be, so `__proto__` keys are own properties. */
const tokenizerFile = fc.oneof(
  fc.tuple(tokenizerJson, fc.option(fc.constantFrom('__proto__', 'constructor'))).map(([json, protoKey]) => {
    const text = JSON.stringify(json) ?? 'null';
    if (!protoKey || !text.startsWith('{')) return text;
    return `{"${protoKey}":{"type":"x"}${text === '{}' ? '' : ','}${text.slice(1)}`;
  }),
  fc.integer({ min: 1_000, max: 6_000 }).map((n) => `{"type":${'['.repeat(n)}${']'.repeat(n)},"version":1}`),
);

describe('fuzzing BPETokenizer.fromJSON', () => {
  test('a tokenizer or a FormatError; its tokens hold at most 1 MiB + 1 KiB per merge; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(tokenizerFile, (text) => {
        const json: unknown = JSON.parse(text);
        const tokenizer = checkCase(fuzz, () => BPETokenizer.fromJSON(json), {
          inputSize: text.length,
          resultBytes: (t) => {
            let bytes = 0;
            for (let id = 0; id < t.vocabSize; id++) bytes += t.decode([id], { skipSpecials: false }).length;
            return bytes;
          },
          maxResultBytes: 2 ** 20 + 2 ** 10 * text.length,
        });
        if (tokenizer)
          checkCase(fuzz, () => tokenizer.encode(`the newest café 👍🏽 ${'a'.repeat(30)}!`), {
            inputSize: 32,
            errors: [FormatError, ConfigError],
          });
      }),
      fuzz.params,
    );
  });
});
