import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, FormatError, Generator } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { BPETokenizer, DEFAULT_BPE_PATTERN } from '../index';

const VALID = fileURLToPath(new URL('../../../../../shared/datasets/sentiment/valid.jsonl', import.meta.url));
const hasShared = existsSync(VALID);
if (!hasShared) console.warn(`[data] skipping the BPE test on SST-2 sentences: ${VALID} is absent`);

const corpus = [
  'low lower lowest low low',
  'new newer newest new',
  'wide wider widest',
  'Crème brûlée, naïve café — déjà vu! 👍🏽👨‍👩‍👧',
];

const strings = [
  '',
  'a',
  'hello world',
  '  leading and trailing  ',
  'tabs\tand\nnewlines\r\n',
  'Crème brûlée, naïve café',
  'cafe\u0301 (decomposed)',
  '👍🏽 👨‍👩‍👧 🇫🇷 emoji',
  '\uFEFFstarts with a BOM',
  'mixed 東京 Москва עברית العربية',
  '\u0000\u0001 control \u007f',
  'astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\uFFFD replacement char',
];

/** A random well-formed string of code points from all planes (no lone surrogates). */
function randomString(g: Generator, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const pick = g.int(4);
    let cp: number;
    if (pick === 0) cp = 0x20 + g.int(0x5f);
    else if (pick === 1) cp = g.int(0x80);
    else if (pick === 2) cp = g.int(0xd800);
    else cp = 0xe000 + g.int(0x110000 - 0xe000);
    s += String.fromCodePoint(cp);
  }
  return s;
}

describe('BPETokenizer round trip', () => {
  const bpe = BPETokenizer.train(corpus, { vocabSize: 300 });

  it.each(strings.map((s) => [JSON.stringify(s), s]))('decode(encode(%s)) is the string', (_, s) => {
    expect(bpe.decode(bpe.encode(s))).toBe(s);
  });

  it('round-trips 300 random strings drawn from every Unicode plane', () => {
    const g = new Generator(7);
    for (let i = 0; i < 300; i++) {
      const s = randomString(g, 1 + g.int(40));
      expect(bpe.decode(bpe.encode(s))).toBe(s);
    }
  });

  it('an untrained tokenizer is plain UTF-8 bytes (offset by the specials)', () => {
    const bytes = new BPETokenizer();
    expect(bytes.encode('é€')).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac].map((b) => b + 1));
    expect(bytes.vocabSize).toBe(257);
  });

  it('replaces lone surrogates with U+FFFD by default', () => {
    expect(bpe.decode(bpe.encode('a\uD800b\uDFFF'))).toBe('a\uFFFDb\uFFFD');
  });

  it("throws on lone surrogates with loneSurrogates: 'throw'", () => {
    const strict = new BPETokenizer([], { loneSurrogates: 'throw' });
    expect(() => strict.encode('ok \uD83D!')).toThrow(FormatError);
    expect(() => strict.encode('ok \uD83D!')).toThrow(
      /BPETokenizer.encode: expected well-formed UTF-16 text, got a lone surrogate U\+D83D at index 3/,
    );
    expect(strict.decode(strict.encode('paired \uD83D\uDC4D'))).toBe('paired 👍');
  });

  it('decodes id sequences that are not valid UTF-8 to U+FFFD', () => {
    const bytes = new BPETokenizer();
    expect(bytes.decode([0xe2 + 1, 0x41 + 1])).toBe('\uFFFDA');
  });
});

describe('BPETokenizer training', () => {
  it('merges the most frequent pair first, byte-level, inside pre-tokenized pieces', () => {
    // Pieces 'aaab', ' aaab', ' aaab': pairs (a,a) = 6, (a,b) = 3, (' ',a) = 2 → aa first.
    const one = BPETokenizer.train(['aaab aaab aaab'], { vocabSize: 257 + 1, specials: ['<pad>'] });
    const a = 1 + 0x61;
    const b = 1 + 0x62;
    expect(one.merges).toEqual([[a, a]]);
    expect(one.tokenize('aaab')).toEqual(['aa', 'a', 'b']);
    // Merges never cross pieces: ' aaab' is its own piece.
    expect(one.tokenize('aaab aaab')).toEqual(['aa', 'a', 'b', 'Ġ', 'aa', 'a', 'b']);
    // Then (aa,a) and (a,b) both occur 3 times: the tie goes to (a,b), the pair of smaller ids.
    const two = BPETokenizer.train(['aaab aaab aaab'], { vocabSize: 257 + 2, specials: ['<pad>'] });
    expect(two.merges).toEqual([
      [a, a],
      [a, b],
    ]);
    expect(two.tokenize('aaab')).toEqual(['aa', 'ab']);
  });

  it('breaks ties by the smaller (left id, right id)', () => {
    // 'ab' and 'cd' both occur twice: (a,b) < (c,d) so ab is merged first, whatever the order.
    for (const text of ['cd ab cd ab', 'ab cd ab cd']) {
      const bpe = BPETokenizer.train([text.replaceAll(' ', '\n')], { vocabSize: 257, specials: [] });
      expect(bpe.merges).toEqual([[0x61, 0x62]]);
    }
  });

  it('is deterministic and independent of corpus order', () => {
    const one = BPETokenizer.train(corpus, { vocabSize: 320 });
    const two = BPETokenizer.train([...corpus].reverse(), { vocabSize: 320 });
    expect(two.merges).toEqual(one.merges);
    expect(one.merges.length).toBeGreaterThan(10);
  });

  it('stops at vocabSize, or earlier when no pair reaches minFrequency', () => {
    expect(BPETokenizer.train(corpus, { vocabSize: 270 }).vocabSize).toBe(270);
    const few = BPETokenizer.train(['abc'], { vocabSize: 400 });
    expect(few.merges).toEqual([]);
    const once = BPETokenizer.train(['abc'], { vocabSize: 400, minFrequency: 1 });
    expect(once.tokenize('abc')).toEqual(['abc']);
  });

  it('puts the specials first and decodes them only when asked', () => {
    const bpe = BPETokenizer.train(corpus, { vocabSize: 280, specials: ['<pad>', '<bos>', '<eos>'] });
    expect(bpe.idToToken(1)).toBe('<bos>');
    expect(bpe.tokenToId('<eos>')).toBe(2);
    const ids = [1, ...bpe.encode('lowest'), 2, 0];
    expect(bpe.decode(ids)).toBe('lowest');
    expect(bpe.decode(ids, { skipSpecials: false })).toBe('<bos>lowest<eos><pad>');
  });

  it('names tokens with the GPT-2 byte table', () => {
    const bpe = BPETokenizer.train(['the cat the hat the end\n'], { vocabSize: 300, minFrequency: 1 });
    expect(bpe.tokenize(' the\n')).toEqual(['Ġthe', 'Ċ']);
    expect(bpe.tokenToId('Ġthe')).toBe(bpe.encode(' the')[0]);
    expect(bpe.tokenToId('no such token')).toBeUndefined();
  });

  it.skipIf(!hasShared)('compresses SST-2 sentences and round-trips all of them', () => {
    const lines = readFileSync(VALID, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    const bpe = BPETokenizer.train(lines, { vocabSize: 1000 });
    let bytes = 0;
    let tokens = 0;
    for (const line of lines) {
      const ids = bpe.encode(line);
      expect(bpe.decode(ids)).toBe(line);
      bytes += new TextEncoder().encode(line).length;
      tokens += ids.length;
    }
    expect(bytes / tokens).toBeGreaterThan(2.5); // untrained: 1 byte per token
  });
});

describe('BPETokenizer JSON', () => {
  const bpe = BPETokenizer.train(corpus, { vocabSize: 300, specials: ['<pad>', '<eos>'] });

  it('round-trips through JSON text and encodes identically', () => {
    const copy = BPETokenizer.fromJSON(JSON.parse(JSON.stringify(bpe)));
    expect(copy.merges).toEqual(bpe.merges);
    expect(copy.specials).toEqual(['<pad>', '<eos>']);
    for (const s of strings) expect(copy.encode(s)).toEqual(bpe.encode(s));
  });

  const good = () => JSON.parse(JSON.stringify(bpe)) as Record<string, unknown>;
  const cases: [string, (j: Record<string, unknown>) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /expected a BPETokenizer JSON object, got \[1,2\]/],
    [
      'a wrong type tag',
      (j) => ({ ...j, type: 'Vocab' }),
      /expected type "seqlab.BPETokenizer", version 1 or 2/,
    ],
    ['a wrong version', (j) => ({ ...j, version: 3 }), /version 3/],
    ['duplicate specials', (j) => ({ ...j, specials: ['<pad>', '<pad>'] }), /distinct non-empty strings/],
    ['a non-string pattern', (j) => ({ ...j, pattern: 3 }), /expected pattern to be a string/],
    [
      'an unknown pattern name',
      (j) => ({ ...j, pattern: 'gpt5' }),
      /expected pattern to be the name of a built-in/,
    ],
    ['a bad surrogate policy', (j) => ({ ...j, loneSurrogates: 'drop' }), /loneSurrogates/],
    ['merges not an array', (j) => ({ ...j, merges: {} }), /expected merges to be an array/],
    [
      'a merge using a later id',
      (j) => ({ ...j, merges: [[2, 400]] }),
      /merge 0 to be a new pair .* got \[2,400\]/,
    ],
    [
      'a merge using a special',
      (j) => ({ ...j, merges: [[0, 5]] }),
      /merge 0 to be a new pair of two token ids in \[2, 258\)/,
    ],
    [
      'a repeated merge',
      (j) => ({
        ...j,
        merges: [
          [5, 6],
          [5, 6],
        ],
      }),
      /merge 1 to be a new pair/,
    ],
    ['a merge with three ids', (j) => ({ ...j, merges: [[5, 6, 7]] }), /merge 0/],
  ];
  it.each(cases)('rejects %s with a FormatError', (_, mutate, message) => {
    const bad = mutate(good());
    expect(() => BPETokenizer.fromJSON(bad)).toThrow(FormatError);
    expect(() => BPETokenizer.fromJSON(bad)).toThrow(message);
  });
});

describe('BPETokenizer JSON: the pattern is a built-in name, never a regex from the file (ReDoS)', () => {
  const bpe = BPETokenizer.train(corpus, { vocabSize: 300 });

  it('stores the built-in pattern by name', () => {
    expect(bpe.patternName).toBe('gpt2');
    expect(bpe.toJSON()).toMatchObject({ version: 2, pattern: 'gpt2' });
    expect(BPETokenizer.fromJSON(bpe.toJSON()).pattern).toBe(DEFAULT_BPE_PATTERN);
  });

  it('refuses a catastrophic-backtracking pattern with a FormatError naming the field', () => {
    // (a+)+b backtracks 2^n times on "aaa…a" with no b: seconds at 30 characters, if ever compiled.
    const hostile = { ...bpe.toJSON(), pattern: '(a+)+b|\\S+' };
    expect(() => BPETokenizer.fromJSON(hostile)).toThrow(FormatError);
    expect(() => BPETokenizer.fromJSON(hostile)).toThrow(
      'BPETokenizer.fromJSON: expected pattern to be the name of a built-in pattern (gpt2), got "(a+)+b|\\\\S+". A regex read from a file is never compiled',
    );
    expect(() => BPETokenizer.fromJSON({ ...hostile, version: 1 })).toThrow(
      /expected pattern to be the name/,
    );
  });

  it('loads a version 1 file whose pattern is the built-in source, as that built-in', () => {
    const v1 = { ...bpe.toJSON(), version: 1, pattern: DEFAULT_BPE_PATTERN };
    const copy = BPETokenizer.fromJSON(v1);
    expect(copy.patternName).toBe('gpt2');
    for (const s of strings) expect(copy.encode(s)).toEqual(bpe.encode(s));
    // In version 1 a name is not a name: "gpt2" was the regex /gpt2/.
    expect(() => BPETokenizer.fromJSON({ ...v1, pattern: 'gpt2' })).toThrow(FormatError);
  });

  it('loads a custom pattern only when the caller trusts it', () => {
    const words = new BPETokenizer([], { pattern: '\\S+|\\s+' });
    expect(words.patternName).toBeNull();
    const json = words.toJSON();
    expect(json.pattern).toBe('\\S+|\\s+');
    expect(() => BPETokenizer.fromJSON(json)).toThrow(FormatError);
    const copy = BPETokenizer.fromJSON(json, { trustedPatterns: ['\\S+|\\s+'] });
    expect(copy.tokenize('ab  c')).toEqual(words.tokenize('ab  c'));
  });

  it('refuses a constructor pattern that is a built-in name (its JSON would read back as the built-in)', () => {
    expect(() => new BPETokenizer([], { pattern: 'gpt2' })).toThrow(ConfigError);
    expect(() => new BPETokenizer([], { pattern: 'gpt2' })).toThrow('BPE_PATTERNS["gpt2"]');
  });
});

describe('BPETokenizer token sizes', () => {
  // Found by tokenizers.fuzz.test.ts: each merge may join the previous one with itself, so n merges
  // (a file of a few hundred bytes) spelled tokens of 2^n bytes, all allocated when loading.
  const doubling = (n: number): [number, number][] =>
    Array.from({ length: n }, (_, i) => (i === 0 ? [98, 98] : [256 + i, 256 + i]));

  it('refuses merges that spell more than 1 MiB + 1 KiB per merge of tokens', () => {
    const json = {
      type: 'seqlab.BPETokenizer',
      version: 2,
      specials: ['<pad>'],
      pattern: 'gpt2',
      loneSurrogates: 'replace',
      merges: doubling(24),
    };
    expect(JSON.stringify(json).length).toBeLessThan(400);
    expect(() => BPETokenizer.fromJSON(json)).toThrow(FormatError);
    expect(() => BPETokenizer.fromJSON(json)).toThrow(
      'BPETokenizer.fromJSON: expected merges whose tokens hold at most 1073152 bytes in all (1 MiB + 1 KiB per merge), got 2097150 bytes by merge 19',
    );
    expect(() => new BPETokenizer(doubling(60))).toThrow(ConfigError);
  });

  it('loads long chains that stay within the bound', () => {
    const bpe = new BPETokenizer(doubling(10));
    expect(bpe.vocabSize).toBe(1 + 256 + 10);
    expect(bpe.decode(bpe.encode('a'.repeat(1024)))).toBe('a'.repeat(1024));
    expect(bpe.encode('a'.repeat(1024))).toEqual([266]);
  });
});

describe('BPETokenizer errors', () => {
  it('rejects a vocabSize below specials + 256 and a bad minFrequency', () => {
    expect(() => BPETokenizer.train(corpus, { vocabSize: 200 })).toThrow(ConfigError);
    expect(() => BPETokenizer.train(corpus, { vocabSize: 200 })).toThrow(
      /BPETokenizer.train: expected vocabSize an integer in \[257, 2097152\]/,
    );
    expect(() => BPETokenizer.train(corpus, { vocabSize: 300, minFrequency: 0 })).toThrow(/minFrequency/);
  });

  it('rejects out-of-range ids in decode and idToToken', () => {
    const bpe = new BPETokenizer();
    expect(() => bpe.decode([257])).toThrow(/BPETokenizer.decode: expected token ids in \[0, 257\), got 257/);
    expect(() => bpe.idToToken(-1)).toThrow(ConfigError);
  });

  it('rejects bad constructor options with a ConfigError', () => {
    expect(() => new BPETokenizer([[300, 1]])).toThrow(ConfigError);
    expect(() => new BPETokenizer([], { specials: [''] })).toThrow(/distinct non-empty strings/);
    expect(() => new BPETokenizer([], { loneSurrogates: 'x' as 'throw' })).toThrow(/loneSurrogates/);
    expect(() => new BPETokenizer().encode(1 as unknown as string)).toThrow(/expected a string, got number/);
  });
});
