import { ConfigError, checkOptions, FormatError, formatValue, optionKeys } from '@seqlab/tensor';

/** The padding token: id 0 with the default specials. */
export const PAD_TOKEN = '<pad>';
/** The unknown-token fallback: id 1 with the default specials. */
export const UNK_TOKEN = '<unk>';
/** Optional begin-of-sequence token (add it to `specials`). */
export const BOS_TOKEN = '<bos>';
/** Optional end-of-sequence token (add it to `specials`). */
export const EOS_TOKEN = '<eos>';

/** Options of `Vocab.build`. */
export interface VocabBuildOptions {
  /** Drop tokens seen fewer times than this. Default 1 (keep all). */
  minFreq?: number;
  /** Largest vocabulary, specials included (the reference's VOCAB_SIZE = 10,000). Default: no limit. */
  maxSize?: number;
  /**
   * Special tokens, given the first ids in this order. They must include `<pad>` and `<unk>`.
   * Default `['<pad>', '<unk>']` (pad = 0, unk = 1); add `'<bos>'`, `'<eos>'` to get 2 and 3.
   */
  specials?: readonly string[];
  /**
   * How equal counts are ordered: by first occurrence in the token lists (default; what the
   * PyTorch reference does with `collections.Counter` + a stable sort) or by code point order
   * (what torchtext's `build_vocab_from_iterator` does).
   */
  tieBreak?: 'firstOccurrence' | 'lexicographic';
}

/** Options of `Vocab.encode`. */
export interface VocabEncodeOptions {
  /** Prepend `<bos>` (it must be one of the specials). */
  addBos?: boolean;
  /** Append `<eos>` (it must be one of the specials). */
  addEos?: boolean;
  /**
   * Encode a text with no tokens as `[<unk>]`, as the PyTorch reference does (packing needs every
   * length ≥ 1). Default false.
   */
  emptyAsUnk?: boolean;
}
const BUILD_KEYS = optionKeys<VocabBuildOptions>({
  minFreq: true,
  maxSize: true,
  specials: true,
  tieBreak: true,
});
const ENCODE_KEYS = optionKeys<VocabEncodeOptions>({ addBos: true, addEos: true, emptyAsUnk: true });

/** The JSON form of a `Vocab` (`toJSON`, `Vocab.fromJSON`). */
export interface VocabJSON {
  /** Format tag. */
  type: 'seqlab.Vocab';
  /** Format version. */
  version: 1;
  /** The specials, in id order (a prefix of `itos`). */
  specials: string[];
  /** Every token, by id. */
  itos: string[];
}

/**
 * A token ↔ id mapping (torchtext's `Vocab`): specials first, then the corpus tokens by
 * decreasing frequency. Unknown tokens map to `<unk>`.
 *
 * `Vocab.build(tokenLists, { maxSize: 10_000 })` is the PyTorch reference's `build_vocab`:
 * `<pad>` = 0, `<unk>` = 1, then the 9,998 most frequent tokens, ties broken by first occurrence
 * (a golden test checks the whole 10,000-entry SST-2 vocabulary against it).
 *
 * @example
 * ```ts
 * const vocab = Vocab.build([['a', 'b', 'b'], ['c', 'b']], { specials: ['<pad>', '<unk>', '<eos>'] });
 * vocab.itos;                                  // ['<pad>', '<unk>', '<eos>', 'b', 'a', 'c']
 * vocab.encode(['b', 'zzz'], { addEos: true }); // [3, 1, 2]
 * const again = Vocab.fromJSON(JSON.parse(JSON.stringify(vocab)));
 * ```
 */
export class Vocab {
  /** Every token, by id ("index to string"). */
  readonly itos: readonly string[];
  /** The specials, in id order. */
  readonly specials: readonly string[];
  /** Id of `<pad>`. */
  readonly padIndex: number;
  /** Id of `<unk>`, the fallback for unknown tokens. */
  readonly unkIndex: number;
  /** Id of `<bos>`, or null when it is not a special. */
  readonly bosIndex: number | null;
  /** Id of `<eos>`, or null when it is not a special. */
  readonly eosIndex: number | null;
  #stoi: Map<string, number>;

  /**
   * A vocabulary from its token list. The first `specials.length` entries of `itos` must be the
   * specials; `Vocab.build` makes one from token counts.
   */
  constructor(itos: readonly string[], specials: readonly string[] = [PAD_TOKEN, UNK_TOKEN]) {
    checkVocab('Vocab', ConfigError, itos, specials);
    this.itos = Object.freeze([...itos]);
    this.specials = Object.freeze([...specials]);
    this.#stoi = new Map(itos.map((t, i) => [t, i]));
    this.padIndex = this.#stoi.get(PAD_TOKEN)!;
    this.unkIndex = this.#stoi.get(UNK_TOKEN)!;
    this.bosIndex = specials.includes(BOS_TOKEN) ? this.#stoi.get(BOS_TOKEN)! : null;
    this.eosIndex = specials.includes(EOS_TOKEN) ? this.#stoi.get(EOS_TOKEN)! : null;
  }

  /**
   * Counts the tokens of every list and keeps the most frequent: specials first, then tokens by
   * decreasing count (ties per `tieBreak`), at most `maxSize` in all, each seen ≥ `minFreq` times.
   * A corpus token equal to a special is not counted separately: it maps to the special.
   */
  static build(tokenLists: Iterable<readonly string[]>, options: VocabBuildOptions = {}): Vocab {
    const op = 'Vocab.build';
    checkOptions(op, options, BUILD_KEYS);
    const specials = options.specials ?? [PAD_TOKEN, UNK_TOKEN];
    const minFreq = options.minFreq ?? 1;
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    const tieBreak = options.tieBreak ?? 'firstOccurrence';
    if (!Number.isInteger(minFreq) || minFreq < 1) {
      throw new ConfigError(op, 'minFreq a positive integer', `${minFreq}`);
    }
    if (!(maxSize === Number.POSITIVE_INFINITY || Number.isInteger(maxSize)) || maxSize < specials.length) {
      throw new ConfigError(
        op,
        `maxSize an integer ≥ the number of specials (${specials.length})`,
        `${maxSize}`,
      );
    }
    if (tieBreak !== 'firstOccurrence' && tieBreak !== 'lexicographic') {
      throw new ConfigError(op, "tieBreak 'firstOccurrence' or 'lexicographic'", JSON.stringify(tieBreak));
    }
    // A Map iterates in insertion order, i.e. by first occurrence.
    const counts = new Map<string, number>();
    for (const tokens of tokenLists) {
      for (const token of tokens) {
        if (typeof token !== 'string') throw new ConfigError(op, 'token lists of strings', typeof token);
        counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    const special = new Set(specials);
    const ranked = [...counts].filter(([token, count]) => count >= minFreq && !special.has(token));
    // Array.prototype.sort is stable, so equal counts keep first-occurrence order.
    ranked.sort(
      tieBreak === 'firstOccurrence'
        ? (x, y) => y[1] - x[1]
        : (x, y) => y[1] - x[1] || compareCodePoints(x[0], y[0]),
    );
    const kept = ranked.slice(0, maxSize - specials.length).map(([token]) => token);
    return new Vocab([...specials, ...kept], specials);
  }

  /** Rebuilds a vocabulary from `toJSON()` output; throws FormatError on anything malformed. */
  static fromJSON(json: unknown): Vocab {
    const op = 'Vocab.fromJSON';
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new FormatError(
        op,
        'a Vocab JSON object',
        json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json,
      );
    }
    const o = json as Record<string, unknown>;
    if (o.type !== 'seqlab.Vocab' || o.version !== 1) {
      throw new FormatError(
        op,
        'type "seqlab.Vocab", version 1',
        `type ${formatValue(o.type)}, version ${formatValue(o.version)}`,
      );
    }
    if (!Array.isArray(o.itos)) throw new FormatError(op, 'itos to be an array of strings', typeof o.itos);
    if (!Array.isArray(o.specials))
      throw new FormatError(op, 'specials to be an array of strings', typeof o.specials);
    checkVocab(op, FormatError, o.itos, o.specials);
    return new Vocab(o.itos as string[], o.specials as string[]);
  }

  /** Number of tokens, specials included. */
  get size(): number {
    return this.itos.length;
  }

  /** Whether `token` has its own id. */
  has(token: string): boolean {
    return this.#stoi.has(token);
  }

  /** The id of `token`, or `unkIndex` when it is unknown. */
  lookup(token: string): number {
    return this.#stoi.get(token) ?? this.unkIndex;
  }

  /** The token of id `index` (torchtext's `lookup_token`). */
  lookupToken(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.itos.length) {
      throw new ConfigError('Vocab.lookupToken', `an id in [0, ${this.itos.length})`, `${index}`);
    }
    return this.itos[index];
  }

  /** The ids of `tokens`, unknown ones as `unkIndex`. */
  encode(tokens: readonly string[], options: VocabEncodeOptions = {}): number[] {
    checkOptions('Vocab.encode', options, ENCODE_KEYS);
    const ids: number[] = [];
    if (options.addBos) ids.push(this.#required('addBos', this.bosIndex, BOS_TOKEN));
    for (const token of tokens) ids.push(this.#stoi.get(token) ?? this.unkIndex);
    if (options.emptyAsUnk && tokens.length === 0) ids.push(this.unkIndex);
    if (options.addEos) ids.push(this.#required('addEos', this.eosIndex, EOS_TOKEN));
    return ids;
  }

  /** `encode` for each token list. */
  encodeBatch(tokenLists: Iterable<readonly string[]>, options: VocabEncodeOptions = {}): number[][] {
    checkOptions('Vocab.encodeBatch', options, ENCODE_KEYS);
    return Array.from(tokenLists, (tokens) => this.encode(tokens, options));
  }

  /** The tokens of `ids`. */
  decode(ids: Iterable<number>): string[] {
    return Array.from(ids, (id) => this.lookupToken(id));
  }

  /** `decode` for each id list. */
  decodeBatch(idLists: Iterable<Iterable<number>>): string[][] {
    return Array.from(idLists, (ids) => this.decode(ids));
  }

  /** A JSON-safe description; `Vocab.fromJSON` reads it back. */
  toJSON(): VocabJSON {
    return { type: 'seqlab.Vocab', version: 1, specials: [...this.specials], itos: [...this.itos] };
  }

  #required(option: string, index: number | null, token: string): number {
    if (index === null) {
      throw new ConfigError(
        'Vocab.encode',
        `${token} among the specials for ${option}`,
        `[${this.specials.join(', ')}]`,
      );
    }
    return index;
  }
}

type ErrorClass = typeof ConfigError | typeof FormatError;

function checkVocab(
  op: string,
  Err: ErrorClass,
  itos: readonly unknown[],
  specials: readonly unknown[],
): void {
  const seen = new Set<unknown>();
  for (const [i, token] of itos.entries()) {
    if (typeof token !== 'string') throw new Err(op, 'itos to hold strings', `${typeof token} at id ${i}`);
    if (seen.has(token))
      throw new Err(op, 'distinct tokens', `${formatValue(token)} twice (again at id ${i})`);
    seen.add(token);
  }
  for (const [i, s] of specials.entries()) {
    if (itos[i] !== s) {
      throw new Err(
        op,
        `the specials as the first ids of itos (${formatValue(s)} at id ${i})`,
        formatValue(itos[i]),
      );
    }
  }
  for (const needed of [PAD_TOKEN, UNK_TOKEN]) {
    if (!specials.includes(needed)) {
      throw new Err(op, `specials that include ${needed}`, formatValue(specials));
    }
  }
}

/** Orders strings by code point (Python's and torchtext's string order), not by UTF-16 code unit. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
