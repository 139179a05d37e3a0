import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import {
  type NormalizationForm,
  type NormalizeOptions,
  normalizeText,
  resolveNormalizeOptions,
  type Tokenizer,
} from './tokenizer';

/** Options of `CharTokenizer`. */
export interface CharTokenizerOptions extends NormalizeOptions {
  /**
   * What a character is: a Unicode code point (`'codePoint'`, default; Python's `list(text)`) or a
   * user-perceived character (`'grapheme'`, via `Intl.Segmenter`: `e` + U+0301 and 👍🏽 stay one token).
   */
  unit?: 'codePoint' | 'grapheme';
}

/**
 * Splits text into characters, after optional lower-casing (default off) and normalisation (default
 * NFC, so `é` is one code point whether it arrived composed or not). Never splits a surrogate pair.
 *
 * @example
 * ```ts
 * new CharTokenizer({ lowercase: true }).tokenize('Zoë'); // ['z', 'o', 'ë']
 * new CharTokenizer({ unit: 'grapheme' }).tokenize('👍🏽!'); // ['👍🏽', '!']
 * ```
 */
export class CharTokenizer implements Tokenizer {
  /** Whether text is lower-cased first. */
  readonly lowercase: boolean;
  /** The normalisation form applied, or false. */
  readonly normalize: NormalizationForm | false;
  /** Tokens kept per text (Infinity: all). */
  readonly maxLength: number;
  /** Code points or grapheme clusters. */
  readonly unit: 'codePoint' | 'grapheme';
  #segmenter: Intl.Segmenter | null;

  constructor(options: CharTokenizerOptions = {}) {
    const op = 'CharTokenizer';
    checkOptions(
      op,
      options,
      optionKeys<CharTokenizerOptions>({ normalize: true, lowercase: true, maxLength: true, unit: true }),
    );
    const resolved = resolveNormalizeOptions(op, options, { normalize: 'NFC', lowercase: false });
    this.lowercase = resolved.lowercase;
    this.normalize = resolved.normalize;
    this.maxLength = resolved.maxLength;
    const unit = options.unit ?? 'codePoint';
    if (unit !== 'codePoint' && unit !== 'grapheme') {
      throw new ConfigError(op, "unit to be 'codePoint' or 'grapheme'", JSON.stringify(unit));
    }
    this.unit = unit;
    this.#segmenter = unit === 'grapheme' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;
  }

  /** The characters of `text` (at most `maxLength`). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') {
      throw new ConfigError('CharTokenizer.tokenize', 'a string', typeof text);
    }
    const source = normalizeText(text, this.lowercase, this.normalize);
    const tokens: string[] = [];
    const parts: Iterable<string> = this.#segmenter ? mapSegments(this.#segmenter.segment(source)) : source; // string iteration walks code points
    for (const part of parts) {
      if (tokens.length >= this.maxLength) break;
      tokens.push(part);
    }
    return tokens;
  }
}

function* mapSegments(segments: Intl.Segments): Generator<string> {
  for (const s of segments) yield s.segment;
}
