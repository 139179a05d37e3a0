import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../index';

describe('CharTokenizer', () => {
  it('splits into code points, never inside a surrogate pair', () => {
    expect(new CharTokenizer().tokenize('Zoë 👍')).toEqual(['Z', 'o', 'ë', ' ', '👍']);
    expect(new CharTokenizer().tokenize('𝔘')).toEqual(['𝔘']);
  });

  it('normalises to NFC by default (decomposed ë is one token), or not', () => {
    expect(new CharTokenizer().tokenize('Zoe\u0308')).toEqual(['Z', 'o', '\u00eb']);
    expect(new CharTokenizer({ normalize: false }).tokenize('Zoe\u0308')).toEqual(['Z', 'o', 'e', '\u0308']);
  });

  it('lower-cases on request and truncates at maxLength', () => {
    expect(new CharTokenizer({ lowercase: true, maxLength: 3 }).tokenize('ANNA-Marie')).toEqual([
      'a',
      'n',
      'n',
    ]);
  });

  it('splits into grapheme clusters with unit "grapheme"', () => {
    const tok = new CharTokenizer({ unit: 'grapheme', normalize: false });
    expect(tok.tokenize('e\u0301👍🏽🇫🇷!')).toEqual(['e\u0301', '👍🏽', '🇫🇷', '!']);
  });

  it('gives nothing for an empty string', () => {
    expect(new CharTokenizer().tokenize('')).toEqual([]);
  });

  it('rejects bad options and non-strings', () => {
    expect(() => new CharTokenizer({ unit: 'byte' as 'grapheme' })).toThrow(ConfigError);
    expect(() => new CharTokenizer({ unit: 'byte' as 'grapheme' })).toThrow(
      /CharTokenizer: expected unit to be 'codePoint' or 'grapheme', got "byte"/,
    );
    expect(() => new CharTokenizer({ maxLength: -1 })).toThrow(/maxLength/);
    expect(() => new CharTokenizer().tokenize(null as unknown as string)).toThrow(
      /expected a string, got object/,
    );
  });
});
