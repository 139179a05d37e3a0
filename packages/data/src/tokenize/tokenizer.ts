import { ConfigError } from '@seqlab/tensor';

/** Anything that turns a text into a list of token strings (`WordTokenizer`, `CharTokenizer`). */
export interface Tokenizer {
  /** The tokens of `text`, in order. Deterministic: the same text always gives the same tokens. */
  tokenize(text: string): string[];
}

/** A Unicode normalisation form, as `String.prototype.normalize` takes it. */
export type NormalizationForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

/** Text clean-up shared by the string tokenizers. */
export interface NormalizeOptions {
  /** Unicode normalisation applied before matching, or `false` for none. */
  normalize?: NormalizationForm | false;
  /** Lower-case the text (`toLowerCase`: locale-independent, full Unicode case mapping). */
  lowercase?: boolean;
  /** Keep at most this many tokens of each text (the first ones). Default: all. */
  maxLength?: number;
}

const FORMS: readonly string[] = ['NFC', 'NFD', 'NFKC', 'NFKD'];

/** Checks the shared options once, at construction; returns them with defaults filled in. */
export function resolveNormalizeOptions(
  op: string,
  options: NormalizeOptions,
  defaults: { normalize: NormalizationForm | false; lowercase: boolean },
): { normalize: NormalizationForm | false; lowercase: boolean; maxLength: number } {
  const normalize = options.normalize ?? defaults.normalize;
  if (normalize !== false && !FORMS.includes(normalize)) {
    throw new ConfigError(
      op,
      "normalize to be 'NFC', 'NFD', 'NFKC', 'NFKD' or false",
      JSON.stringify(normalize),
    );
  }
  const maxLength = options.maxLength ?? Number.POSITIVE_INFINITY;
  if (!(maxLength === Number.POSITIVE_INFINITY || (Number.isInteger(maxLength) && maxLength >= 1))) {
    throw new ConfigError(op, 'maxLength to be a positive integer', `${maxLength}`);
  }
  return { normalize, lowercase: options.lowercase ?? defaults.lowercase, maxLength };
}

/**
 * Lower-cases, then normalises. Lower-casing first means the result is in the chosen form even when
 * a case mapping produces a decomposed sequence (`İ` lowers to `i` + U+0307).
 */
export function normalizeText(
  text: string,
  lowercase: boolean,
  normalize: NormalizationForm | false,
): string {
  const lowered = lowercase ? text.toLowerCase() : text;
  return normalize === false ? lowered : lowered.normalize(normalize);
}
