import { ConfigError, checkOptions, FormatError, formatValue, optionKeys } from '@seqlab/tensor';
import { compilePattern } from './word';

/**
 * The default pre-tokenization pattern (GPT-2's): English contractions, a letter run, a digit run or
 * a run of other symbols (each with one optional leading space), then whitespace. Merges never
 * cross the pieces it cuts. Characters it does not match become pieces of their own, so every
 * character of the text reaches the byte level and `decode(encode(text)) === text`.
 */
export const DEFAULT_BPE_PATTERN =
  "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * The built-in pre-tokenization patterns by name. A tokenizer's JSON stores the name, and
 * `BPETokenizer.fromJSON` compiles only these (and patterns its caller passes as trusted): a regex
 * read from a file could backtrack for exponential time on a short text (ReDoS; `(a+)+b` takes
 * seconds on 30 characters), and tokenizer files travel with shared run directories.
 */
export const BPE_PATTERNS: Readonly<Record<string, string>> = Object.freeze({
  /** GPT-2's pattern, the default (DEFAULT_BPE_PATTERN). */
  gpt2: DEFAULT_BPE_PATTERN,
});

/** Options of `BPETokenizer` (kept in its JSON). */
export interface BPEOptions {
  /** Special tokens, given the first ids in order. Default `['<pad>']`, so padding is id 0 as in `Vocab`. */
  specials?: readonly string[];
  /**
   * Pre-tokenization regex source (compiled with flags `gu`). Default `DEFAULT_BPE_PATTERN`. A
   * pattern other than the `BPE_PATTERNS` is written to JSON as its source, and `fromJSON` reads it
   * back only when its caller lists it in `trustedPatterns`.
   */
  pattern?: string;
  /**
   * What to do with a lone surrogate (a UTF-16 code unit U+D800–U+DFFF without its partner), which
   * has no UTF-8 encoding: `'replace'` it with U+FFFD (default; what `TextEncoder` and every UTF-8
   * file do) or `'throw'` a FormatError.
   */
  loneSurrogates?: 'replace' | 'throw';
}

/** Options of `BPETokenizer.train`. */
export interface BPETrainOptions extends BPEOptions {
  /** Target vocabulary size: specials + 256 bytes + merges. Training stops early when no pair is frequent enough. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
}

const BPE_KEYS = optionKeys<BPEOptions>({ specials: true, pattern: true, loneSurrogates: true });
const BPE_TRAIN_KEYS = optionKeys<BPETrainOptions>({
  specials: true,
  pattern: true,
  loneSurrogates: true,
  vocabSize: true,
  minFrequency: true,
});

/** Options of `BPETokenizer.decode`. */
export interface BPEDecodeOptions {
  /** Leave special tokens out of the text (default true) instead of writing their names. */
  skipSpecials?: boolean;
}

const DECODE_KEYS = optionKeys<BPEDecodeOptions>({ skipSpecials: true });
/** Options of `BPETokenizer.fromJSON`. */
export interface BPEFromJSONOptions {
  /**
   * Regex sources the caller vouches for, beyond the `BPE_PATTERNS`: a file may name one of these
   * (by its source) as its pattern. Only list patterns you wrote; never ones read from a file.
   */
  trustedPatterns?: readonly string[];
}

/** The JSON form of a `BPETokenizer` (`toJSON`, `BPETokenizer.fromJSON`). */
export interface BPETokenizerJSON {
  /** Format tag. */
  type: 'seqlab.BPETokenizer';
  /**
   * Format version: 2 since `pattern` holds a built-in's name. Version 1 files (the pattern's source)
   * still load when the source is a built-in's.
   */
  version: 2;
  /** Special tokens, ids 0 … S-1. */
  specials: string[];
  /** The pre-tokenization pattern: a name from `BPE_PATTERNS`, or the source of a custom one. */
  pattern: string;
  /** Lone-surrogate policy. */
  loneSurrogates: 'replace' | 'throw';
  /** Merge i joins token ids `[left, right]` into id `specials.length + 256 + i`. */
  merges: [number, number][];
}

const BYTES = 256;
// Pair keys pack two ids into one number: left * KEY + right (ids < 2^21, keys < 2^42).
const KEY = 2 ** 21;
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;
const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text instead of swallowing it, so it round-trips.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A byte-level byte-pair-encoding tokenizer (Sennrich et al. 2016; byte-level as in GPT-2). Text is
 * cut into pieces by a regex, each piece is UTF-8 encoded, and learned merges join adjacent tokens,
 * lowest merge rank first. Any string encodes (there is no unknown token) and decodes back exactly;
 * lone surrogates follow the `loneSurrogates` policy.
 *
 * Ids: `0 … S-1` are the specials, `S … S+255` the bytes 0x00–0xFF, and `S+256+i` merge i.
 *
 * Training is deterministic: each step merges the most frequent adjacent pair, ties going to the
 * pair with the smaller (left id, right id), i.e. byte order for raw bytes and older tokens first.
 *
 * @example
 * ```ts
 * const bpe = BPETokenizer.train(['low lower lowest', 'new newer newest'], { vocabSize: 300 });
 * const ids = bpe.encode('lowest 👍🏽');
 * bpe.decode(ids); // 'lowest 👍🏽'
 * const copy = BPETokenizer.fromJSON(JSON.parse(JSON.stringify(bpe)));
 * ```
 */
export class BPETokenizer {
  /** Special tokens; their ids are their positions. */
  readonly specials: readonly string[];
  /** Learned merges in rank order: merge i joins `[left, right]` into id `specials.length + 256 + i`. */
  readonly merges: readonly (readonly [number, number])[];
  /** Pre-tokenization regex source. */
  readonly pattern: string;
  /** The pattern's name in `BPE_PATTERNS`, or null for a custom pattern. */
  readonly patternName: string | null;
  /** Lone-surrogate policy. */
  readonly loneSurrogates: 'replace' | 'throw';
  #re: RegExp;
  #ranks = new Map<number, number>();
  #tokenBytes: Uint8Array[] = [];
  #tokenIds: Map<string, number> | null = null;
  #cache = new Map<string, number[]>();

  /** A tokenizer from known merges (`BPETokenizer.train` learns them). */
  constructor(merges: readonly (readonly [number, number])[] = [], options: BPEOptions = {}) {
    const op = 'BPETokenizer';
    checkOptions(op, options, BPE_KEYS);
    const specials = options.specials ?? ['<pad>'];
    checkSpecials(op, ConfigError, specials);
    const loneSurrogates = options.loneSurrogates ?? 'replace';
    if (loneSurrogates !== 'replace' && loneSurrogates !== 'throw') {
      throw new ConfigError(op, "loneSurrogates to be 'replace' or 'throw'", describe(loneSurrogates));
    }
    this.pattern = options.pattern ?? DEFAULT_BPE_PATTERN;
    if (Object.hasOwn(BPE_PATTERNS, this.pattern)) {
      // The JSON would read back as the built-in of that name.
      throw new ConfigError(
        op,
        `a pattern source other than a built-in's name (${builtinNames()})`,
        formatValue(this.pattern),
        `For the built-in, pass BPE_PATTERNS[${formatValue(this.pattern)}]`,
      );
    }
    this.patternName = Object.keys(BPE_PATTERNS).find((k) => BPE_PATTERNS[k] === this.pattern) ?? null;
    this.#re = compilePattern(op, this.pattern);
    checkMerges(op, ConfigError, merges, specials.length);
    checkTokenBytes(op, merges, specials.length);
    this.specials = Object.freeze([...specials]);
    this.loneSurrogates = loneSurrogates;
    this.merges = Object.freeze(merges.map(([a, b]) => Object.freeze([a, b] as const)));
    for (const s of specials) this.#tokenBytes.push(encoder.encode(s));
    for (let b = 0; b < BYTES; b++) this.#tokenBytes.push(Uint8Array.of(b));
    for (const [i, [a, b]] of this.merges.entries()) {
      this.#ranks.set(a * KEY + b, i);
      const left = this.#tokenBytes[a];
      const right = this.#tokenBytes[b];
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      this.#tokenBytes.push(joined);
    }
  }

  /**
   * Learns merges from a corpus until the vocabulary has `vocabSize` tokens or no pair occurs
   * `minFrequency` times. Pre-tokenized pieces are counted once per distinct piece, so the cost
   * grows with the number of distinct words, not with the corpus size.
   */
  static train(corpus: Iterable<string>, options: BPETrainOptions): BPETokenizer {
    const op = 'BPETokenizer.train';
    checkOptions(op, options, BPE_TRAIN_KEYS);
    const { vocabSize, minFrequency: givenMinFrequency, ...tokenizerOptions } = options;
    const base = new BPETokenizer([], tokenizerOptions);
    const offset = base.specials.length;
    if (!Number.isInteger(vocabSize) || vocabSize < offset + BYTES || vocabSize > KEY) {
      throw new ConfigError(
        op,
        `vocabSize an integer in [${offset + BYTES}, ${KEY}] (specials + 256 bytes + merges)`,
        `${vocabSize}`,
      );
    }
    const minFrequency = givenMinFrequency ?? 2;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new ConfigError(op, 'minFrequency a positive integer', `${minFrequency}`);
    }
    // 1. Count the distinct pieces of the corpus.
    const counts = new Map<string, number>();
    for (const text of corpus) {
      for (const piece of base.#pieces(base.#clean(op, text)))
        counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
    const words: number[][] = [];
    const freqs: number[] = [];
    for (const [piece, count] of counts) {
      words.push(Array.from(encoder.encode(piece), (b) => b + offset));
      freqs.push(count);
    }
    // 2. Count adjacent pairs, remembering which words hold each (a superset: entries go stale).
    const pairCounts = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addWord = (w: number, sign: 1 | -1): void => {
      const ids = words[w];
      for (let i = 0; i + 1 < ids.length; i++) {
        const key = ids[i] * KEY + ids[i + 1];
        const count = (pairCounts.get(key) ?? 0) + sign * freqs[w];
        if (count === 0) pairCounts.delete(key);
        else pairCounts.set(key, count);
        if (sign > 0) {
          const set = where.get(key);
          if (set) set.add(w);
          else where.set(key, new Set([w]));
        }
      }
    };
    for (let w = 0; w < words.length; w++) addWord(w, 1);
    // 3. Merge the best pair, update only the words that contain it, repeat.
    const merges: [number, number][] = [];
    while (offset + BYTES + merges.length < vocabSize) {
      let bestKey = -1;
      let bestCount = 0;
      for (const [key, count] of pairCounts) {
        if (count > bestCount || (count === bestCount && key < bestKey)) {
          bestKey = key;
          bestCount = count;
        }
      }
      if (bestKey < 0 || bestCount < minFrequency) break;
      const a = Math.floor(bestKey / KEY);
      const b = bestKey % KEY;
      const id = offset + BYTES + merges.length;
      merges.push([a, b]);
      const holders = where.get(bestKey) ?? new Set<number>();
      where.delete(bestKey);
      for (const w of holders) {
        if (!containsPair(words[w], a, b)) continue;
        addWord(w, -1);
        words[w] = mergePair(words[w], a, b, id);
        addWord(w, 1);
      }
    }
    return new BPETokenizer(merges, tokenizerOptions);
  }

  /**
   * Rebuilds a tokenizer from `toJSON()` output; throws FormatError on anything malformed. The
   * pattern must be a built-in's name (or, in a version 1 file, a built-in's source) or one of
   * `options.trustedPatterns`: a regex from a file is never compiled (see `BPE_PATTERNS`).
   */
  static fromJSON(json: unknown, options: BPEFromJSONOptions = {}): BPETokenizer {
    const op = 'BPETokenizer.fromJSON';
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new FormatError(op, 'a BPETokenizer JSON object', describe(json));
    }
    const o = json as Record<string, unknown>;
    if (o.type !== 'seqlab.BPETokenizer' || (o.version !== 1 && o.version !== 2)) {
      throw new FormatError(
        op,
        'type "seqlab.BPETokenizer", version 1 or 2',
        `type ${describe(o.type)}, version ${describe(o.version)}`,
      );
    }
    if (!Array.isArray(o.specials))
      throw new FormatError(op, 'specials to be an array of strings', describe(o.specials));
    checkSpecials(op, FormatError, o.specials);
    if (typeof o.pattern !== 'string')
      throw new FormatError(op, 'pattern to be a string', describe(o.pattern));
    const pattern = resolvePattern(op, o.pattern, o.version, options.trustedPatterns ?? []);
    if (o.loneSurrogates !== 'replace' && o.loneSurrogates !== 'throw') {
      throw new FormatError(op, 'loneSurrogates "replace" or "throw"', describe(o.loneSurrogates));
    }
    if (!Array.isArray(o.merges))
      throw new FormatError(op, 'merges to be an array of [left, right] pairs', describe(o.merges));
    checkMerges(op, FormatError, o.merges, o.specials.length);
    try {
      return new BPETokenizer(o.merges as [number, number][], {
        specials: o.specials as string[],
        pattern,
        loneSurrogates: o.loneSurrogates,
      });
    } catch (err) {
      if (err instanceof ConfigError) throw new FormatError(op, err.expected, err.actual, err.hint);
      throw err;
    }
  }

  /** Number of token ids: specials + 256 + merges. */
  get vocabSize(): number {
    return this.#tokenBytes.length;
  }

  /** The token ids of `text`. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.#pieces(this.#clean('BPETokenizer.encode', text))) {
      for (const id of this.#encodePiece(piece)) ids.push(id);
    }
    return ids;
  }

  /**
   * The text of `ids`. Byte sequences that are not valid UTF-8 (only possible for id sequences that
   * `encode` did not produce) decode to U+FFFD.
   */
  decode(ids: Iterable<number>, options: BPEDecodeOptions = {}): string {
    checkOptions('BPETokenizer.decode', options, DECODE_KEYS);
    const skipSpecials = options.skipSpecials ?? true;
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      this.#checkId('BPETokenizer.decode', id);
      if (skipSpecials && id < this.specials.length) continue;
      parts.push(this.#tokenBytes[id]);
      length += this.#tokenBytes[id].length;
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return decoder.decode(bytes);
  }

  /** The tokens of `text` as readable strings (`idToToken` of each id), e.g. `['low', 'Ġlow', 'er']`. */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.idToToken(id));
  }

  /**
   * A readable name for a token: the special's name, or its bytes written with GPT-2's byte-to-
   * character table (printable ASCII as itself, a space as `Ġ`, a newline as `Ċ`, …).
   */
  idToToken(id: number): string {
    this.#checkId('BPETokenizer.idToToken', id);
    if (id < this.specials.length) return this.specials[id];
    let out = '';
    for (const b of this.#tokenBytes[id]) out += BYTE_CHARS[b];
    return out;
  }

  /** The id of a token name (`idToToken`'s inverse), or undefined. */
  tokenToId(token: string): number | undefined {
    if (!this.#tokenIds) {
      this.#tokenIds = new Map();
      for (let id = this.vocabSize - 1; id >= 0; id--) this.#tokenIds.set(this.idToToken(id), id);
    }
    return this.#tokenIds.get(token);
  }

  /** A JSON-safe description; `BPETokenizer.fromJSON` reads it back. */
  toJSON(): BPETokenizerJSON {
    return {
      type: 'seqlab.BPETokenizer',
      version: 2,
      specials: [...this.specials],
      pattern: this.patternName ?? this.pattern,
      loneSurrogates: this.loneSurrogates,
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  #clean(op: string, text: string): string {
    if (typeof text !== 'string') throw new ConfigError(op, 'a string', typeof text);
    const lone = LONE_SURROGATE.exec(text);
    if (!lone) return text;
    if (this.loneSurrogates === 'throw') {
      const unit = text.charCodeAt(lone.index).toString(16).toUpperCase();
      throw new FormatError(
        op,
        'well-formed UTF-16 text',
        `a lone surrogate U+${unit} at index ${lone.index}`,
        "Use loneSurrogates: 'replace' to encode it as U+FFFD",
      );
    }
    return text.replace(LONE_SURROGATES, '\uFFFD');
  }

  /** The pieces of `text`: every regex match, and every gap between matches. */
  *#pieces(text: string): Generator<string> {
    let last = 0;
    for (const m of text.matchAll(this.#re)) {
      if (m.index > last) yield text.slice(last, m.index);
      yield m[0];
      last = m.index + m[0].length;
    }
    if (last < text.length) yield text.slice(last);
  }

  #encodePiece(piece: string): number[] {
    const cached = this.#cache.get(piece);
    if (cached) return cached;
    const offset = this.specials.length;
    let ids = Array.from(encoder.encode(piece), (b) => b + offset);
    // Apply the lowest-ranked merge present, everywhere in the piece, until none applies. This
    // replays training exactly: merging rank r only creates pairs that contain the new token, and
    // those have ranks above r.
    while (ids.length > 1) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.#ranks.get(ids[i] * KEY + ids[i + 1]);
        if (rank !== undefined && (best < 0 || rank < best)) best = rank;
      }
      if (best < 0) break;
      const [a, b] = this.merges[best];
      ids = mergePair(ids, a, b, offset + BYTES + best);
    }
    if (this.#cache.size >= 50_000) this.#cache.clear();
    this.#cache.set(piece, ids);
    return ids;
  }

  #checkId(op: string, id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.#tokenBytes.length) {
      throw new ConfigError(op, `token ids in [0, ${this.#tokenBytes.length})`, `${id}`);
    }
  }
}

function containsPair(ids: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < ids.length; i++) if (ids[i] === a && ids[i + 1] === b) return true;
  return false;
}

/** Replaces every non-overlapping (a, b), left to right, by `id`. */
function mergePair(ids: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(ids[i]);
    }
  }
  return out;
}

type ErrorClass = typeof ConfigError | typeof FormatError;

function checkSpecials(op: string, Err: ErrorClass, specials: readonly unknown[]): void {
  const seen = new Set<unknown>();
  for (const [i, s] of specials.entries()) {
    if (typeof s !== 'string' || s === '' || seen.has(s)) {
      throw new Err(op, 'specials to be distinct non-empty strings', `${describe(s)} at position ${i}`);
    }
    seen.add(s);
  }
}

function checkMerges(op: string, Err: ErrorClass, merges: readonly unknown[], offset: number): void {
  const seen = new Set<number>();
  for (const [i, merge] of merges.entries()) {
    const id = offset + BYTES + i;
    const ok =
      Array.isArray(merge) &&
      merge.length === 2 &&
      merge.every((v) => Number.isInteger(v) && v >= offset && v < id) &&
      !seen.has(merge[0] * KEY + merge[1]);
    if (!ok) {
      throw new Err(
        op,
        `merge ${i} to be a new pair of two token ids in [${offset}, ${id})`,
        describe(merge),
        'Each merge may only join bytes and earlier merges',
      );
    }
    seen.add(merge[0] * KEY + merge[1]);
  }
}

const describe = (value: unknown): string => formatValue(value);

const builtinNames = (): string => Object.keys(BPE_PATTERNS).join(', ');

/** The regex source a file's `pattern` stands for, if it is allowed (see `BPE_PATTERNS`). */
function resolvePattern(op: string, pattern: string, version: 1 | 2, trusted: readonly string[]): string {
  if (version === 2 && Object.hasOwn(BPE_PATTERNS, pattern)) return BPE_PATTERNS[pattern];
  // Version 1 stored the source itself; a built-in's source maps to that built-in.
  if (Object.values(BPE_PATTERNS).includes(pattern) || trusted.includes(pattern)) return pattern;
  throw new FormatError(
    op,
    `pattern to be the name of a built-in pattern (${builtinNames()})`,
    formatValue(pattern),
    'A regex read from a file is never compiled: it could take exponential time (ReDoS). ' +
      'Pass the source in trustedPatterns if you wrote it',
  );
}

/**
 * Merges may spell at most 1 MiB of tokens in all, plus 1 KiB per merge. A merge may join a token
 * with itself, so without a bound n merges (a few bytes each in a file) would spell tokens of 2^n
 * bytes, all built when the tokenizer loads. Trained tokens are pieces of the corpus (words), far
 * below the bound.
 */
function checkTokenBytes(op: string, merges: readonly (readonly [number, number])[], offset: number): void {
  const limit = 2 ** 20 + 2 ** 10 * merges.length;
  const lengths: number[] = [];
  const length = (id: number) => (id < offset + BYTES ? 1 : lengths[id - offset - BYTES]);
  let total = 0;
  for (const [i, [a, b]] of merges.entries()) {
    const n = length(a) + length(b);
    lengths.push(n);
    total += n;
    if (total > limit) {
      throw new ConfigError(
        op,
        `merges whose tokens hold at most ${limit} bytes in all (1 MiB + 1 KiB per merge)`,
        `${total} bytes by merge ${i}`,
      );
    }
  }
}

/** GPT-2's byte-to-character table: printable bytes map to themselves, the rest to U+0100 onwards. */
const BYTE_CHARS: readonly string[] = (() => {
  const chars: string[] = new Array(BYTES);
  let next = 0;
  for (let b = 0; b < BYTES; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : BYTES + next++);
  }
  return chars;
})();
