import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORD_PATTERN, WordTokenizer } from '../index';

describe('WordTokenizer (default pattern)', () => {
  const tok = new WordTokenizer();

  it('lower-cases and splits punctuation off words, keeping inner apostrophes', () => {
    expect(tok.tokenize("Don't panic, it's only 42!")).toEqual([
      "don't",
      'panic',
      ',',
      "it's",
      'only',
      '42',
      '!',
    ]);
    expect(tok.tokenize('end.Start -- rock’n’roll')).toEqual(['end', '.', 'start', '-', '-', 'rock’n’roll']);
  });

  it('keeps letters of every script, accents and emoji sequences whole', () => {
    expect(tok.tokenize('Crème brûlée, Москва 東京')).toEqual(['crème', 'brûlée', ',', 'москва', '東京']);
    expect(tok.tokenize('great 👍🏽 fun 👨‍👩‍👧!')).toEqual(['great', '👍🏽', 'fun', '👨‍👩‍👧', '!']);
  });

  it('normalises to NFC by default, so composed and decomposed accents give one token', () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(tok.tokenize(decomposed)).toEqual([composed]);
    expect(tok.tokenize(composed)).toEqual([composed]);
    expect(new WordTokenizer({ normalize: false }).tokenize(decomposed)).toEqual([decomposed]);
    // NFKC folds compatibility characters: fullwidth letters and the ﬁ ligature.
    expect(new WordTokenizer({ normalize: 'NFKC' }).tokenize('ＦＵＬＬ ﬁne')).toEqual(['full', 'fine']);
  });

  it('keeps case when lowercase is false and truncates at maxLength', () => {
    expect(new WordTokenizer({ lowercase: false }).tokenize('Hello World')).toEqual(['Hello', 'World']);
    expect(new WordTokenizer({ maxLength: 2 }).tokenize('a b c d')).toEqual(['a', 'b']);
  });

  it('returns no tokens for empty or blank text', () => {
    expect(tok.tokenize('')).toEqual([]);
    expect(tok.tokenize(' \t\n ')).toEqual([]);
  });

  it('exposes the default pattern it compiled', () => {
    expect(tok.pattern.source).toBe(DEFAULT_WORD_PATTERN);
    expect(tok.pattern.flags).toBe('gu');
  });
});

describe('WordTokenizer (custom pattern)', () => {
  it("with [a-z0-9']+ matches Python's re.findall over lower-cased text", () => {
    const tok = new WordTokenizer({ pattern: "[a-z0-9']+", normalize: false });
    expect(tok.tokenize("It's a 10/10 -- isn't it?")).toEqual(["it's", 'a', '10', '10', "isn't", 'it']);
    // U+0130 lowers to i + U+0307 (full case mapping), in Python and in JavaScript alike.
    expect(tok.tokenize('\u0130zmir')).toEqual(['i', 'zmir']);
  });

  it('accepts a RegExp and adds the g flag', () => {
    const tok = new WordTokenizer({ pattern: /\d+/, lowercase: false });
    expect(tok.tokenize('a1b22c333')).toEqual(['1', '22', '333']);
    expect(tok.pattern.flags).toContain('g');
  });

  it('returns whole matches when the pattern has groups', () => {
    expect(new WordTokenizer({ pattern: '(a)(b)' }).tokenize('abab')).toEqual(['ab', 'ab']);
  });
});

describe('WordTokenizer errors', () => {
  it('rejects an invalid regex', () => {
    expect(() => new WordTokenizer({ pattern: '[a-' })).toThrow(ConfigError);
    expect(() => new WordTokenizer({ pattern: '[a-' })).toThrow(
      /WordTokenizer: expected a valid regular expression/,
    );
  });

  it('rejects a pattern that matches the empty string', () => {
    expect(() => new WordTokenizer({ pattern: '[a-z]*' })).toThrow(
      /cannot match the empty string, got \/\[a-z\]\*\/gu/,
    );
  });

  it('rejects a bad normalize form and maxLength', () => {
    expect(() => new WordTokenizer({ normalize: 'NFX' as 'NFC' })).toThrow(/expected normalize to be/);
    expect(() => new WordTokenizer({ maxLength: 0 })).toThrow(
      /expected maxLength to be a positive integer, got 0/,
    );
    expect(() => new WordTokenizer({ maxLength: 1.5 })).toThrow(ConfigError);
  });

  it('rejects a non-string text', () => {
    expect(() => new WordTokenizer().tokenize(42 as unknown as string)).toThrow(
      /WordTokenizer.tokenize: expected a string, got number/,
    );
  });
});
