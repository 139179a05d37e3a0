import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import {
  type NormalizationForm,
  type NormalizeOptions,
  normalizeText,
  resolveNormalizeOptions,
  type Tokenizer,
} from './tokenizer';

/**
 * The default word pattern: runs of letters, marks and digits (with inner apostrophes, so `don't`
 * and `rock'n'roll` stay whole), emoji sequences (skin tones and ZWJ families stay whole), and every
 * other non-space character on its own (punctuation is split off: `end.` → `end`, `.`).
 */
export const DEFAULT_WORD_PATTERN =
  "[\\p{L}\\p{M}\\p{N}]+(?:['\\u2019][\\p{L}\\p{M}\\p{N}]+)*" +
  '|\\p{Extended_Pictographic}(?:[\\u{1F3FB}-\\u{1F3FF}\\u{FE0F}]|\\u200D\\p{Extended_Pictographic})*' +
  '|[^\\s\\p{L}\\p{M}\\p{N}]';

/** Options of `WordTokenizer`. */
export interface WordTokenizerOptions extends NormalizeOptions {
  /**
   * What a token is: every non-overlapping match, left to right. A string is compiled with flags
   * `gu`; a RegExp keeps its flags (plus `g`). Default `DEFAULT_WORD_PATTERN`.
   */
  pattern?: string | RegExp;
}

/**
 * Splits text into words: lower-case (default on), Unicode-normalise (default NFC), then take every
 * match of a regular expression. Deterministic and stateless.
 *
 * The PyTorch reference (`train_reference.py`: `re.findall(r"[a-z0-9']+", text.lower())[:max_len]`)
 * is `new WordTokenizer({ pattern: "[a-z0-9']+", normalize: false, maxLength })`; a golden test
 * checks the two agree token for token (fixtures/reference-tokens.json).
 *
 * Porting note: with the default `normalize: 'NFC'`, a decomposed `e` + U+0301 becomes `é`, which
 * `[a-z0-9']+` does not match, where the reference keeps the `e`. The two differ only on
 * non-NFC input; pass `normalize: false` for exact parity. Python's `re.findall` returns groups when
 * the pattern has them; this always returns whole matches.
 *
 * @example
 * ```ts
 * new WordTokenizer().tokenize("Don't panic, it's only 42!");
 * // ["don't", 'panic', ',', "it's", 'only', '42', '!']
 * new WordTokenizer({ pattern: "[a-z0-9']+", normalize: false, maxLength: 50 }).tokenize('Great film!');
 * // ['great', 'film']
 * ```
 */
export class WordTokenizer implements Tokenizer {
  /** The compiled token pattern (global). */
  readonly pattern: RegExp;
  /** Whether text is lower-cased first. */
  readonly lowercase: boolean;
  /** The normalisation form applied, or false. */
  readonly normalize: NormalizationForm | false;
  /** Tokens kept per text (Infinity: all). */
  readonly maxLength: number;

  constructor(options: WordTokenizerOptions = {}) {
    const op = 'WordTokenizer';
    checkOptions(
      op,
      options,
      optionKeys<WordTokenizerOptions>({ normalize: true, lowercase: true, maxLength: true, pattern: true }),
    );
    const resolved = resolveNormalizeOptions(op, options, { normalize: 'NFC', lowercase: true });
    this.lowercase = resolved.lowercase;
    this.normalize = resolved.normalize;
    this.maxLength = resolved.maxLength;
    this.pattern = compilePattern(op, options.pattern ?? DEFAULT_WORD_PATTERN);
  }

  /** The tokens of `text` (at most `maxLength`). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') {
      throw new ConfigError('WordTokenizer.tokenize', 'a string', typeof text);
    }
    const tokens: string[] = [];
    const source = normalizeText(text, this.lowercase, this.normalize);
    for (const match of source.matchAll(this.pattern)) {
      // A pattern that can match the empty string somewhere (e.g. a lookbehind) yields no token there.
      if (match[0] === '') continue;
      tokens.push(match[0]);
      if (tokens.length >= this.maxLength) break;
    }
    return tokens;
  }
}

/** Compiles a token pattern with the `g` flag, rejecting invalid ones and ones that match "". */
export function compilePattern(op: string, pattern: string | RegExp): RegExp {
  let re: RegExp;
  try {
    re =
      typeof pattern === 'string'
        ? new RegExp(pattern, 'gu')
        : new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  } catch (err) {
    throw new ConfigError(op, 'a valid regular expression pattern', `${pattern}`, (err as Error).message);
  }
  if (re.test('')) {
    throw new ConfigError(op, 'a pattern that cannot match the empty string', `${re}`, 'Use + instead of *');
  }
  re.lastIndex = 0;
  return re;
}
