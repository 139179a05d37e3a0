import { BPETokenizer, CharTokenizer, type TextExample, Vocab, WordTokenizer } from '@seqlab/data';
import { FormatError } from '@seqlab/tensor';
import * as z from 'zod/mini';
import { ENGLISH, formatIssues } from './zod-issues';

/** The tokenizers of `seqlab train --tokenizer`. */
export type TokenizerKind = 'word' | 'char' | 'bpe';

/** What builds a TextEncoder: the trainer's options of the same names. */
export interface TextEncoderOptions {
  tokenizer: TokenizerKind;
  /** Tokens kept per text (the first ones). */
  maxLen: number;
  /** Vocabulary entries, <pad> and <unk> included (BPE: at most 4,096). */
  vocabSize: number;
  /** Word and char vocabularies: tokens seen fewer times are <unk>. */
  minFreq: number;
}

/** Turns texts into token ids: a tokenizer plus (for word and char) a vocabulary built on train. */
export interface TextEncoder {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  /** Ids of a text: the first `maxLen` tokens; an empty text is the single id <unk>. */
  encode(text: string): number[];
  /** The tokens of a text (for diagnostics that label tokens). */
  tokens(text: string): string[];
  toJSON(): TextEncoderJSON;
}

/** The saved form of a TextEncoder (`tokenizer.json` in a run directory). */
export interface TextEncoderJSON {
  type: 'seqlab.TextEncoder';
  kind: TokenizerKind;
  maxLen: number;
  vocab?: unknown;
  bpe?: unknown;
}

/**
 * The reference pipeline (../shared/bench/reference/train_reference.py): lowercase, the pattern
 * [a-z0-9']+, the first maxLen tokens, <pad> = 0, <unk> = 1, then the most frequent train tokens.
 */
function wordTokenizer(maxLen: number): WordTokenizer {
  return new WordTokenizer({ pattern: "[a-z0-9']+", lowercase: true, normalize: false, maxLength: maxLen });
}

function fromVocab(kind: 'word' | 'char', maxLen: number, vocab: Vocab): TextEncoder {
  const tokenizer = kind === 'word' ? wordTokenizer(maxLen) : new CharTokenizer({ maxLength: maxLen });
  return {
    kind,
    vocabSize: vocab.size,
    tokens: (text) => tokenizer.tokenize(text),
    encode: (text) => vocab.encode(tokenizer.tokenize(text), { emptyAsUnk: true }),
    toJSON: () => ({ type: 'seqlab.TextEncoder', kind, maxLen, vocab: vocab.toJSON() }),
  };
}

function fromBpe(maxLen: number, bpe: BPETokenizer): TextEncoder {
  // An empty text is the single token <unk> (packing needs length >= 1), as with the vocabularies.
  const unk = bpe.tokenToId('<unk>') ?? 0;
  return {
    kind: 'bpe',
    vocabSize: bpe.vocabSize,
    tokens: (text) => bpe.tokenize(text).slice(0, maxLen),
    encode: (text) => {
      const ids = bpe.encode(text).slice(0, maxLen);
      return ids.length > 0 ? ids : [unk];
    },
    toJSON: () => ({ type: 'seqlab.TextEncoder', kind: 'bpe', maxLen, bpe: bpe.toJSON() }),
  };
}

/** Builds the encoder from the training texts. */
export function buildTextEncoder(config: TextEncoderOptions, train: readonly TextExample[]): TextEncoder {
  const { tokenizer: kind, maxLen } = config;
  if (kind === 'bpe') {
    const bpe = BPETokenizer.train(
      train.map((e) => e.text),
      { vocabSize: Math.min(config.vocabSize, 4096), specials: ['<pad>', '<unk>'] },
    );
    return fromBpe(maxLen, bpe);
  }
  const tokenize = kind === 'word' ? wordTokenizer(maxLen) : new CharTokenizer({ maxLength: maxLen });
  const vocab = Vocab.build(
    train.map((e) => tokenize.tokenize(e.text)),
    { minFreq: config.minFreq, maxSize: config.vocabSize },
  );
  return fromVocab(kind, maxLen, vocab);
}

/** tokenizer.json: the envelope; Vocab.fromJSON and BPETokenizer.fromJSON check what is inside. */
const TokenizerFileSchema = z
  .strictObject({
    type: z.literal('seqlab.TextEncoder'),
    kind: z.enum(['word', 'char', 'bpe']),
    maxLen: z.int().check(z.minimum(1), z.maximum(100_000)),
    vocab: z.optional(z.unknown()),
    bpe: z.optional(z.unknown()),
  })
  .check(
    z.superRefine((j, ctx) => {
      const key = j.kind === 'bpe' ? 'bpe' : 'vocab';
      const other = j.kind === 'bpe' ? 'vocab' : 'bpe';
      if (j[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `expected a ${key} for kind ${j.kind}` });
      if (j[other] !== undefined)
        ctx.addIssue({ code: 'custom', path: [other], message: `expected no ${other} for kind ${j.kind}` });
    }),
  );

/**
 * Restores a saved encoder. A BPE tokenizer's pattern must be a built-in one (see BPE_PATTERNS):
 * tokenizer.json comes with shared run directories, and a regex from a file could hang `predict`.
 *
 * @throws {FormatError} naming the file, for anything that is not a tokenizer.json of seqlab train
 */
export function loadTextEncoder(json: unknown, file: string): TextEncoder {
  const op = 'loadTextEncoder';
  const result = TokenizerFileSchema.safeParse(json, ENGLISH);
  if (!result.success) {
    throw new FormatError(
      op,
      'a tokenizer.json written by seqlab train',
      `${formatIssues(result.error.issues, json)} in ${file}`,
    );
  }
  const j = result.data;
  try {
    if (j.kind === 'bpe') return fromBpe(j.maxLen, BPETokenizer.fromJSON(j.bpe));
    return fromVocab(j.kind, j.maxLen, Vocab.fromJSON(j.vocab));
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    const wrapped = new FormatError(op, error.expected, `${error.actual} in ${file}`, error.hint);
    wrapped.cause = error;
    throw wrapped;
  }
}
