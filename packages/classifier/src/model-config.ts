import { FormatError } from '@seqlab/tensor';
import * as z from 'zod/mini';
import { ENGLISH, formatIssues } from './zod-issues';

/**
 * The model part of a run's `config.json`: what rebuilds the network. `seqlab train` writes every
 * training option to that file; the loader reads these fields and ignores the others (a learning
 * rate does not change a prediction). The bounds are the trainer's: a file outside them was not
 * written by `seqlab train`.
 */
/** A number in [min, max] (an integer when `int`), with one message naming the range. */
function bounded(min: number, max: number, int: boolean, maxOpen = false) {
  const range = `${int ? 'an integer' : 'a number'} in [${min}, ${max}${maxOpen ? ')' : ']'}`;
  return z.number().check(
    z.refine((v: number) => (!int || Number.isInteger(v)) && v >= min && (maxOpen ? v < max : v <= max), {
      message: `expected ${range}`,
    }),
  );
}

export const ModelConfigSchema = z.object({
  /** Recurrent cell (`lstm`, `gru`, `rnn`) or the mean-of-embeddings baseline `bag`. */
  model: z.enum(['lstm', 'gru', 'rnn', 'bag']),
  /** Stacked recurrent layers L, 1 to 8. */
  layers: bounded(1, 8, true),
  /** Hidden size H, 1 to 4096. */
  hidden: bounded(1, 4096, true),
  /** Embedding size, 1 to 4096. */
  embed: bounded(1, 4096, true),
  bidirectional: z.boolean(),
  /** Dropout between recurrent layers, in [0, 1) (inactive when predicting). */
  dropout: bounded(0, 1, false, true),
  /** LSTM forget-gate bias added at init, in [-10, 10] (the weights file holds the trained value). */
  forgetBias: bounded(-10, 10, false),
});

/** The fields of config.json that define the model. */
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/**
 * Validates a run's config.json (already parsed) and returns its model fields.
 *
 * @throws {FormatError} `<op>: expected a config.json written by seqlab train, got <problems> in <file>`
 */
export function parseModelConfig(raw: unknown, file: string, op = 'loadTextClassifier'): ModelConfig {
  const result = ModelConfigSchema.safeParse(raw, ENGLISH);
  if (result.success) return result.data;
  throw new FormatError(
    op,
    'a config.json written by seqlab train',
    `${formatIssues(result.error.issues, raw)} in ${file}`,
  );
}
