import { createHash } from 'node:crypto';
import { formatIssues } from '@seqlab/classifier';
import type { TextExample } from '@seqlab/data';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { z } from 'zod';
import type { TrainConfig } from './config';
import type { LoadedData } from './dataset';
import { hashFile } from './hash';
import { findProtoKey } from './train-state';

// data.json: what a run was trained on, so that `--resume` can refuse other data instead of
// silently training on it: the SHA-256 of each data file, of each split (the examples in order,
// with their label names, so a different split or a built-in dataset's change shows too), the
// data's label names, and the run's classes (the label of each of the model's outputs).

const sha = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 hex digits');
const SplitSchema = z.object({ examples: z.number().int().min(0), sha256: sha }).strict();

export const DataFingerprintSchema = z
  .object({
    type: z.literal('seqlab.DataFingerprint'),
    /** The data files (none for a built-in dataset). */
    files: z.array(
      z
        .object({
          option: z.enum(['--train', '--valid', '--test']),
          path: z.string().min(1),
          bytes: z.number().int().min(0),
          sha256: sha,
        })
        .strict(),
    ),
    splits: z.object({ train: SplitSchema, valid: SplitSchema, test: SplitSchema }).strict(),
    /** The data's label names, in the order the data gives them (first occurrence in a file). */
    labels: z.array(z.string()).min(1),
    /** The run's label names in class order (the model's outputs): fixed when the run starts. */
    classes: z
      .array(z.string())
      .min(2)
      .superRefine((names, ctx) => {
        const twice = names.findIndex((n, i) => names.indexOf(n) !== i);
        if (twice >= 0)
          ctx.addIssue({ code: 'custom', path: [twice], message: 'expected distinct class names' });
      }),
  })
  .strict();

/** The content of data.json. */
export type DataFingerprint = z.infer<typeof DataFingerprintSchema>;

function hashSplit(examples: readonly TextExample[], labelNames: readonly string[]) {
  const hash = createHash('sha256');
  for (const e of examples) hash.update(`${JSON.stringify([e.text, labelNames[e.label]])}\n`);
  return { examples: examples.length, sha256: hash.digest('hex') };
}

/**
 * The fingerprint of the data `loadData(config)` returned, for a run whose classes are `classes`
 * (a new run's are the data's labels).
 */
export async function fingerprintData(
  config: TrainConfig,
  data: LoadedData,
  classes: readonly string[] = data.labelNames,
): Promise<DataFingerprint> {
  const files: DataFingerprint['files'] = [];
  for (const [option, path] of [
    ['--train', config.train],
    ['--valid', config.valid],
    ['--test', config.test],
  ] as const) {
    if (path !== null) files.push({ option, path, ...(await hashFile(path)) });
  }
  const split = (xs: readonly TextExample[]) => hashSplit(xs, data.labelNames);
  return {
    type: 'seqlab.DataFingerprint',
    files,
    splits: { train: split(data.train), valid: split(data.valid), test: split(data.test) },
    labels: [...data.labelNames],
    classes: [...classes],
  };
}

/** Validates data.json's content; a FormatError names `file` and the problems. */
export function parseFingerprint(json: unknown, file: string): DataFingerprint {
  const proto = findProtoKey(json);
  const result = DataFingerprintSchema.safeParse(json);
  if (proto === null && result.success) return result.data;
  // Values, keys and paths from the file are shown briefly (formatIssues), at most 10 problems.
  const problems = proto
    ? `${proto.length > 80 ? `${proto.slice(0, 79)}…` : proto}: a key named __proto__`
    : formatIssues(result.error?.issues ?? [], json);
  throw new FormatError('--resume', `a data fingerprint written by seqlab train in ${file}`, problems);
}

const short = (sha256: string) => `${sha256.slice(0, 12)}…`;
const quoted = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/** What differs between the recorded data and the current one, one phrase per change (none: []). */
export function dataChanges(recorded: DataFingerprint, current: DataFingerprint): string[] {
  const changes: string[] = [];
  for (const option of ['--train', '--valid', '--test'] as const) {
    const [a, b] = [
      recorded.files.find((f) => f.option === option),
      current.files.find((f) => f.option === option),
    ];
    if (!a && !b) continue;
    if (!a || !b) {
      changes.push(`${option}: ${a ? `${a.path} is no longer used` : `${b?.path} was not used`}`);
    } else if (a.sha256 !== b.sha256) {
      changes.push(
        `${option} file ${b.path} changed (${a.bytes} → ${b.bytes} bytes, SHA-256 ${short(a.sha256)} → ${short(b.sha256)})`,
      );
    }
  }
  const [was, now] = [recorded.labels, current.labels];
  const added = now.filter((n) => !was.includes(n));
  const removed = was.filter((n) => !now.includes(n));
  if (added.length > 0) changes.push(`labels added: ${quoted(added)}`);
  if (removed.length > 0) changes.push(`labels removed: ${quoted(removed)}`);
  if (added.length === 0 && removed.length === 0 && was.some((n, i) => now[i] !== n))
    changes.push(`labels reordered: ${quoted(was)} → ${quoted(now)}`);
  // A file change explains different splits; without one, a different split is news of its own.
  if (changes.length === 0) {
    for (const split of ['train', 'valid', 'test'] as const) {
      const [a, b] = [recorded.splits[split], current.splits[split]];
      if (a.sha256 === b.sha256) continue;
      changes.push(
        a.examples === b.examples
          ? `the ${split} split has other examples (${a.examples} of them, SHA-256 ${short(a.sha256)} → ${short(b.sha256)})`
          : `the ${split} split has ${b.examples} examples instead of ${a.examples}`,
      );
    }
  }
  return changes;
}

/**
 * The data with its labels numbered as the run numbers them (`labels`, the run's class order), so
 * a resumed model keeps its meaning of each output. A label the run does not know has no output
 * in the model: that is a ConfigError, even with --allow-data-change.
 */
export function alignLabels(data: LoadedData, labels: readonly string[]): LoadedData {
  const unknown = data.labelNames.filter((n) => !labels.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      'train --resume',
      `only the run's labels (${quoted(labels)}), since the model has one output per label`,
      `also ${quoted(unknown)} in the data`,
    );
  }
  const to = data.labelNames.map((n) => labels.indexOf(n));
  const map = (xs: TextExample[]) => xs.map((e) => ({ ...e, label: to[e.label] }));
  return {
    ...data,
    train: map(data.train),
    valid: map(data.valid),
    test: map(data.test),
    labelNames: [...labels],
  };
}
