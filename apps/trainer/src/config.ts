import { ConfigError, formatValue } from '@seqlab/tensor';
import { z } from 'zod';

/**
 * The whole training configuration as one zod schema: `--config FILE` (JSON) and the flags both
 * land here (flags override the file), and it is validated once, at entry, before any work. A bad
 * value becomes a ConfigError naming its path, what was expected and what was given (exit code 2).
 */
export const TrainConfigSchema = z
  .object({
    /**
     * A built-in dataset, when no --train file is given (spam-assassin by default); null in the
     * resolved config of a run on files.
     */
    dataset: z.enum(['spam-assassin', 'names']).nullable().default(null),
    /** Training file (CSV, TSV or JSONL); a valid/test split is made from it when those are omitted. */
    train: z.string().min(1).nullable().default(null),
    valid: z.string().min(1).nullable().default(null),
    test: z.string().min(1).nullable().default(null),
    textColumn: z.string().min(1).default('text'),
    labelColumn: z.string().min(1).default('label'),
    /** SpamAssassin: keep the e-mail headers or read only the subject and body. */
    headers: z.enum(['drop', 'keep']).default('drop'),
    model: z.enum(['lstm', 'gru', 'rnn', 'bag']).default('lstm'),
    layers: z.number().int().min(1).max(8).default(1),
    hidden: z.number().int().min(1).max(4096).default(32),
    embed: z.number().int().min(1).max(4096).default(64),
    bidirectional: z.boolean().default(true),
    dropout: z.number().min(0).lt(1).default(0.3),
    /** LSTM forget-gate bias added at init (0 = PyTorch's init). */
    forgetBias: z.number().default(0),
    tokenizer: z.enum(['word', 'char', 'bpe']).default('word'),
    /** Tokens kept per text (the first ones). */
    maxLen: z.number().int().min(1).max(100000).default(160),
    /** Vocabulary: tokens seen fewer times are <unk>; at most this many entries. */
    minFreq: z.number().int().min(1).default(2),
    vocabSize: z.number().int().min(4).default(20000),
    batchSize: z.number().int().min(1).max(65536).default(32),
    /**
     * Batches of similar lengths (shuffled in chunks, the order of the chunks shuffled): fewer nearly
     * empty packed steps. Off: plain shuffled batches, as PyTorch's DataLoader(shuffle=True).
     */
    bucketing: z.boolean().default(true),
    epochs: z.number().int().min(1).max(10000).default(4),
    lr: z.number().positive().max(10).default(2e-3),
    optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
    weightDecay: z.number().min(0).default(0),
    /** Learning-rate schedule: none (the article), cosine, plateau (on valid accuracy) or onecycle. */
    scheduler: z.enum(['none', 'cosine', 'plateau', 'onecycle']).default('none'),
    /** Clip the global gradient norm to this value (0 = off). */
    clip: z.number().min(0).default(5),
    /** Early stopping on validation accuracy: epochs without improvement before stopping. */
    patience: z.number().int().min(0).default(2),
    /** Share of train used for valid and test when those files are not given. */
    validSplit: z.number().gt(0).lt(1).default(0.1),
    testSplit: z.number().gt(0).lt(1).default(0.2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    /** Run directory (default runs/<timestamp>). */
    out: z.string().min(1).nullable().default(null),
    /** Continue the run in this directory. */
    resume: z.string().min(1).nullable().default(null),
  })
  .strict()
  // The data comes from one place: a built-in dataset or files. Neither is ever silently ignored.
  .superRefine((c, ctx) => {
    if (c.train !== null && c.dataset !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset'],
        message: 'expected no built-in dataset with --train (the files are the data)',
      });
    for (const key of ['valid', 'test'] as const)
      if (c.train === null && c[key] !== null)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `expected --train with it (a --${key} file goes with training files, not a built-in dataset)`,
        });
  })
  .transform((c) => ({ ...c, dataset: c.train === null ? (c.dataset ?? 'spam-assassin') : null }));

/** A validated training configuration (every field present). */
export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/** What the user may give (file or flags): every field optional. */
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return formatValue(value); // bounded: the value may come from a file someone sent
}

/** Reads a value at a path of the raw input, for error messages. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * Validates a raw configuration (already merged: file, then flags). Throws one ConfigError listing
 * every problem as `path: expected …, got …`.
 */
export function parseTrainConfig(raw: unknown): TrainConfig {
  const result = TrainConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(config)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.slice(0, 10).map((k) => (k.length > 40 ? `${k.slice(0, 39)}…` : k));
      return `${path}: unknown option(s) ${keys.join(', ')}${issue.keys.length > 10 ? `, … (${issue.keys.length})` : ''}`;
    }
    return `${path}: ${issue.message.replace(/^Invalid input: /, '')} (given ${describe(valueAt(raw, issue.path))})`;
  });
  throw new ConfigError('config', 'a valid training configuration', problems.join('; '));
}

/**
 * Validates a run directory's config.json. Runs on files written before `dataset` became null for
 * them still carry the old default (`"dataset": "spam-assassin"` beside `train`), which is dropped.
 */
export function parseSavedConfig(raw: unknown): TrainConfig {
  if (raw && typeof raw === 'object' && 'train' in raw && typeof raw.train === 'string') {
    const { dataset, ...rest } = raw as Record<string, unknown>;
    if (dataset === 'spam-assassin') return parseTrainConfig(rest);
  }
  return parseTrainConfig(raw);
}
