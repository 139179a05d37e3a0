import { ConfigError, formatValue } from '@seqlab/tensor';
import { z } from 'zod';

/** The command-line flag of a config key: `weightDecay` → `--weight-decay`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The bounds of a numeric option; an open end excludes its value. */
interface Range {
  min: number;
  max: number;
  int?: boolean;
  minOpen?: boolean;
  maxOpen?: boolean;
}

/** `[0, 1)`, `(0, 10]`, `an integer in [1, 8]`. */
function describeRange({ min, max, int = false, minOpen = false, maxOpen = false }: Range): string {
  const n = (x: number) =>
    Number.isInteger(x) && Math.abs(x) >= 10000 ? x.toLocaleString('en-US') : String(x);
  return `${int ? 'an integer' : 'a number'} in ${minOpen ? '(' : '['}${n(min)}, ${n(max)}${maxOpen ? ')' : ']'}`;
}

/**
 * A numeric option with sane bounds: a number (zod's own message when it is not one), then one
 * check whose message names the range, e.g. `expected a number in [0, 1]`; `parseTrainConfig`
 * puts the flag in front: `--weight-decay: expected a number in [0, 1] (given 1e+30)`.
 */
function range(r: Range) {
  const { min, max, int = false, minOpen = false, maxOpen = false } = r;
  // zod's own checks (so the JSON Schema carries the bounds), one message for all of them, and the
  // first failure ends the checks (one line per value).
  const check = { message: `expected ${describeRange(r)}`, abort: true };
  const number = int ? z.number().int(check) : z.number();
  const low = minOpen ? number.gt(min, check) : number.gte(min, check);
  return maxOpen ? low.lt(max, check) : low.lte(max, check);
}

/** Options of config files only (no flag): named by their key in messages. */
const FILE_ONLY = new Set(['validSplit', 'testSplit']);

/** How a message names an option: its flag (`--max-len`), or its key for options of files only. */
export function optionName(key: string): string {
  return FILE_ONLY.has(key) ? key : flagOf(key);
}

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
    /** Stacked recurrent layers, 1 to 8. */
    layers: range({ int: true, min: 1, max: 8 }).default(1),
    /** Hidden size H, 1 to 4096. */
    hidden: range({ int: true, min: 1, max: 4096 }).default(32),
    /** Embedding size, 1 to 4096. */
    embed: range({ int: true, min: 1, max: 4096 }).default(64),
    bidirectional: z.boolean().default(true),
    /** Dropout probability between recurrent layers (and before the output layer), in [0, 1). */
    dropout: range({ min: 0, max: 1, maxOpen: true }).default(0.3),
    /** LSTM forget-gate bias added at init (0 = PyTorch's init), in [-10, 10] (σ(10) = 0.99995). */
    forgetBias: range({ min: -10, max: 10 }).default(0),
    tokenizer: z.enum(['word', 'char', 'bpe']).default('word'),
    /** Tokens kept per text (the first ones), 1 to 100,000. */
    maxLen: range({ int: true, min: 1, max: 100_000 }).default(160),
    /** Vocabulary: tokens seen fewer times are <unk> (1 to 1,000,000); at most vocabSize entries. */
    minFreq: range({ int: true, min: 1, max: 1_000_000 }).default(2),
    /** Vocabulary entries, <pad> and <unk> included: 4 to 1,000,000. */
    vocabSize: range({ int: true, min: 4, max: 1_000_000 }).default(20000),
    /** Examples per batch, 1 to 65,536. */
    batchSize: range({ int: true, min: 1, max: 65536 }).default(32),
    /**
     * Batches of similar lengths (shuffled in chunks, the order of the chunks shuffled): fewer nearly
     * empty packed steps. Off: plain shuffled batches, as PyTorch's DataLoader(shuffle=True).
     */
    bucketing: z.boolean().default(true),
    /** Maximum epochs, 1 to 10,000. */
    epochs: range({ int: true, min: 1, max: 10000 }).default(4),
    /**
     * Learning rate, in (0, 10]. PyTorch's optimizers accept any lr ≥ 0; 0 trains nothing, and a step
     * of more than 10 × the gradient is a typo, not a configuration.
     */
    lr: range({ min: 0, minOpen: true, max: 10 }).default(2e-3),
    optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
    /**
     * Weight decay, in [0, 1]: L2 for adam and sgd, decoupled for adamw. PyTorch checks only ≥ 0;
     * usual values are 1e-5 to 0.1, and lr × weightDecay ≥ 1 shrinks every weight past zero each step.
     */
    weightDecay: range({ min: 0, max: 1 }).default(0),
    /** Learning-rate schedule: none (the article), cosine, plateau (on valid accuracy) or onecycle. */
    scheduler: z.enum(['none', 'cosine', 'plateau', 'onecycle']).default('none'),
    /** Clip the global gradient norm to this value, in [0, 10,000] (0 = off). */
    clip: range({ min: 0, max: 10000 }).default(5),
    /** Early stopping on valid accuracy: epochs without improvement before stopping, 0 to 10,000. */
    patience: range({ int: true, min: 0, max: 10000 }).default(2),
    /** Shares of train split off for valid and test when those files are not given: (0, 1), sum < 1. */
    validSplit: range({ min: 0, minOpen: true, max: 1, maxOpen: true }).default(0.1),
    testSplit: range({ min: 0, minOpen: true, max: 1, maxOpen: true }).default(0.2),
    /** Random seed, 0 to 2^31 − 1. */
    seed: range({ int: true, min: 0, max: 2 ** 31 - 1 }).default(0),
    /** Run directory (default runs/<timestamp>). */
    out: z.string().min(1).nullable().default(null),
    /** Continue the run in this directory. */
    resume: z.string().min(1).nullable().default(null),
  })
  .strict()
  // The data comes from one place: a built-in dataset or files. Neither is ever silently ignored.
  .superRefine((c, ctx) => {
    // The split shares come out of one training file: something must be left to train on.
    const split = (c.valid === null ? c.validSplit : 0) + (c.test === null ? c.testSplit : 0);
    if (split >= 1)
      ctx.addIssue({
        code: 'custom',
        path: ['validSplit'],
        message: `expected validSplit + testSplit < 1 (data left to train on), with testSplit ${c.testSplit}`,
      });
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
 * every problem on a line of its own, named by its flag: `--hidden: expected an integer in
 * [1, 4096] (given -3)`.
 */
export function parseTrainConfig(raw: unknown): TrainConfig {
  const result = TrainConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.slice(0, 10).map((k) => (k.length > 40 ? `${k.slice(0, 39)}…` : k));
      return `--config: unknown option(s) ${keys.join(', ')}${issue.keys.length > 10 ? `, … (${issue.keys.length})` : ''}`;
    }
    const [key] = issue.path;
    const name = typeof key === 'string' ? optionName(key) : '--config';
    return `${name}: ${issue.message.replace(/^Invalid input: /, '')} (given ${describe(valueAt(raw, issue.path))})`;
  });
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  throw new ConfigError('config', 'a valid training configuration', `${count}:\n  ${problems.join('\n  ')}`);
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
