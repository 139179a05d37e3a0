import { formatKeys, formatPath, joinProblems } from '@seqlab/classifier';
import type { EarlyStoppingState } from '@seqlab/metrics';
import type { OptimizerStateDict, SchedulerStateDict } from '@seqlab/optim';
import { FormatError } from '@seqlab/tensor';
import { z } from 'zod';
import type { TrainConfig } from './config';

// checkpoint/state.json: the commit record of a checkpoint. It is written last, atomically, and
// names the weight files it belongs to with their SHA-256 (see checkpoint.ts), so it is validated
// here field by field, and against the run's config, before anything of it is used.

const count = z.number().int().min(0);
const finite = z.number(); // zod's number() rejects NaN and ±Infinity (JSON has neither anyway)

/** One epoch's line of history.jsonl. */
const EpochRecordSchema = z
  .object({
    epoch: z.number().int().min(1),
    train_loss: finite,
    valid_loss: finite,
    valid_accuracy: z.number().min(0).max(1),
    valid_macro_f1: z.number().min(0).max(1),
    /** Mean global gradient norm before clipping. */
    grad_norm: z.number().min(0),
    lr: z.number().min(0),
    seconds: z.number().min(0),
    tokens_per_s: z.number().min(0),
  })
  .strict();

/**
 * One optimizer step's line of steps.jsonl: the global step (1-based), the epochs done so far as a
 * fraction (epoch index + batches done / batches per epoch), the batch's mean loss, its smoothed
 * value (see NOTE(loss-ema) in train-loop.ts) and the learning rate the step used.
 */
const StepRecordSchema = z
  .object({
    step: z.number().int().min(1),
    epoch: z.number().min(0),
    loss: finite,
    loss_ema: finite,
    lr: z.number().min(0),
  })
  .strict();

/** Where an interrupted epoch stopped, to continue it exactly. */
const PartialEpochSchema = z
  .object({
    epoch: count,
    batchesDone: z.number().int().min(1),
    lossSum: finite,
    gradNormSum: z.number().min(0),
    tokens: count,
    seconds: z.number().min(0),
  })
  .strict();

/** A weight file of the checkpoint: its name in checkpoint/ (never a path), size and SHA-256. */
const FileRefSchema = (kind: string) =>
  z
    .object({
      name: z
        .string()
        .regex(new RegExp(`^${kind}\\.[0-9a-f]{8}\\.safetensors$`), `a ${kind}.<id>.safetensors name`),
      bytes: count,
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 hex digits'),
    })
    .strict();

/** The files one checkpoint consists of (all in checkpoint/). */
export const CheckpointFilesSchema = z
  .object({
    model: FileRefSchema('model'),
    optimizer: FileRefSchema('optimizer'),
    /** The best epoch's weights so far (null before the first epoch ends). */
    best: FileRefSchema('best').nullable(),
  })
  .strict();

/** An optimizer buffer moved into optimizer.safetensors (see optimizer-state.ts). */
const TensorRefSchema = z.object({ $tensor: z.string().min(1) }).strict();

/** The JSON half of the optimizer's state dict (buffers are TensorRefs). */
const OptimizerJsonSchema = z
  .object({
    optimizer: z.string().min(1),
    state: z.record(
      z.string().regex(/^(0|[1-9][0-9]{0,8})$/, 'a parameter index'),
      z.record(z.string().min(1), z.union([finite, z.null(), TensorRefSchema])),
    ),
    param_groups: z.array(z.looseObject({ params: z.array(count) })),
  })
  .strict();

const EarlyStoppingSchema = z
  .object({
    mode: z.enum(['min', 'max']),
    patience: count,
    min_delta: z.number().min(0),
    best_score: finite.nullable(),
    best_epoch: count.nullable(),
    wait_count: count,
    stopped_epoch: count.nullable(),
    stop_reason: z.enum(['patience', 'nonFinite']).nullable(),
    next_epoch: count,
    best_state: z.null(),
  })
  .strict();

export const TrainStateSchema = z
  .object({
    type: z.literal('seqlab.TrainState'),
    epochsDone: count,
    finished: z.boolean(),
    history: z.array(EpochRecordSchema),
    /** Every step trained so far (absent in checkpoints written before steps were recorded). */
    steps: z.array(StepRecordSchema).default([]),
    optimizer: OptimizerJsonSchema,
    /** The learning-rate schedule's state (null without `--scheduler`). */
    scheduler: z.looseObject({ scheduler: z.string().min(1) }).nullable(),
    earlyStopping: EarlyStoppingSchema,
    /** The global generator's state; JSON has no NaN, which getState uses for "none" (null here). */
    rng: z.array(finite.nullable()).min(1).max(1000),
    partial: PartialEpochSchema.nullable(),
    files: CheckpointFilesSchema,
  })
  .strict();

/** One epoch's line of history.jsonl. */
export type EpochRecord = z.infer<typeof EpochRecordSchema>;
/** One step's line of steps.jsonl. */
export type StepRecord = z.infer<typeof StepRecordSchema>;
/** Where an interrupted epoch stopped. */
export type PartialEpoch = z.infer<typeof PartialEpochSchema>;
/** The weight files of a checkpoint. */
export type CheckpointFiles = z.infer<typeof CheckpointFilesSchema>;

/** checkpoint/state.json: everything besides the weights needed to continue a run exactly. */
export interface TrainState {
  type: 'seqlab.TrainState';
  epochsDone: number;
  finished: boolean;
  history: EpochRecord[];
  steps: StepRecord[];
  optimizer: OptimizerStateDict;
  scheduler: SchedulerStateDict | null;
  earlyStopping: EarlyStoppingState;
  rng: number[];
  partial: PartialEpoch | null;
  files: CheckpointFiles;
}

/** A short description of a JSON value for an error message (never the whole value). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * The path of the first `__proto__` key in parsed JSON, or null. JSON.parse keeps such a key as an
 * own property, which an object copy would turn into a prototype change (or silently drop), so a
 * state that has one is rejected, not repaired. Iterative: the depth of the input costs no stack.
 */
export function findProtoKey(json: unknown): string | null {
  const stack: [unknown, string][] = [[json, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key === '__proto__') return here;
      stack.push([(value as Record<string, unknown>)[key], here]);
    }
  }
  return null;
}

/**
 * Validates checkpoint/state.json's content, and its agreement with the run's config (epochs done
 * within the configured epochs, one history line per epoch, a partial epoch only in an unfinished
 * run, a scheduler state exactly when a scheduler is configured). Anything else is a FormatError
 * naming `file` and every problem as `path: what was expected (given …)`, with exit code 2.
 */
export function parseTrainState(json: unknown, file: string, config: TrainConfig): TrainState {
  const fail = (problems: string[]): never => {
    throw new FormatError(
      '--resume',
      `a checkpoint state written by seqlab train in ${file}`,
      joinProblems(problems),
    );
  };
  const proto = findProtoKey(json);
  if (proto !== null)
    fail([
      `${proto.length > 80 ? `${proto.slice(0, 79)}…` : proto}: a key named __proto__, which no seqlab state has`,
    ]);
  if (
    json &&
    typeof json === 'object' &&
    (json as { type?: unknown }).type === 'seqlab.TrainState' &&
    !('files' in json)
  ) {
    throw new FormatError(
      '--resume',
      `a checkpoint state that lists its weight files in ${file}`,
      'a checkpoint of an older seqlab (three separate files that cannot be checked against each other)',
      'Start the run again',
    );
  }
  const result = TrainStateSchema.safeParse(json);
  if (!result.success) {
    fail(
      result.error.issues.map((issue) => {
        const path = formatPath(issue.path, '(state)');
        if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${formatKeys(issue.keys)}`;
        return `${path}: ${issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '')} (given ${describe(valueAt(json, issue.path))})`;
      }),
    );
  }
  const s = result.data as z.infer<typeof TrainStateSchema>;
  const problems: string[] = [];
  if (s.epochsDone > config.epochs)
    problems.push(
      `epochsDone: expected at most the ${config.epochs} epochs of config.json (given ${s.epochsDone})`,
    );
  if (s.history.length !== s.epochsDone)
    problems.push(`history: expected one line per epoch done, ${s.epochsDone} (given ${s.history.length})`);
  s.history.forEach((h, i) => {
    if (h.epoch !== i + 1) problems.push(`history.${i}.epoch: expected ${i + 1} (given ${h.epoch})`);
  });
  // Steps in order, each within the epochs trained so far; the first problem only (a long list of
  // repeated lines would otherwise give one problem per line).
  const lastEpoch = s.epochsDone + (s.partial === null ? 0 : 1);
  const badStep = s.steps.findIndex(
    (t, i) => (i > 0 && t.step <= s.steps[i - 1].step) || t.epoch > lastEpoch,
  );
  if (badStep >= 0) {
    const t = s.steps[badStep];
    problems.push(
      t.epoch > lastEpoch
        ? `steps.${badStep}.epoch: expected at most the ${lastEpoch} epoch(s) trained (given ${t.epoch})`
        : `steps.${badStep}.step: expected more than ${s.steps[badStep - 1].step}, the step before it (given ${t.step})`,
    );
  }
  if (!s.finished && s.epochsDone === config.epochs)
    problems.push(`finished: expected true after all ${config.epochs} epochs (given false)`);
  if (s.partial !== null && (s.finished || s.partial.epoch !== s.epochsDone))
    problems.push(
      `partial.epoch: expected the epoch in progress, ${s.epochsDone}, in an unfinished run (given ${s.partial.epoch}${s.finished ? ' in a finished run' : ''})`,
    );
  if ((s.files.best === null) !== (s.epochsDone === 0))
    problems.push(
      `files.best: expected ${s.epochsDone === 0 ? 'null before the first epoch ends' : 'the best weights after an epoch'} (given ${describe(s.files.best)})`,
    );
  if ((config.scheduler === 'none') !== (s.scheduler === null))
    problems.push(
      `scheduler: expected ${config.scheduler === 'none' ? 'null (no --scheduler in config.json)' : `the state of the ${config.scheduler} scheduler of config.json`} (given ${describe(s.scheduler)})`,
    );
  if (problems.length > 0) fail(problems);
  return {
    ...s,
    optimizer: s.optimizer as unknown as OptimizerStateDict,
    scheduler: s.scheduler as SchedulerStateDict | null,
    rng: s.rng.map((v) => v ?? Number.NaN),
  };
}
