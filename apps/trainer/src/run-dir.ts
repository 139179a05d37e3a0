import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  checkFiniteWeights,
  checkWeightsHeader,
  classifierShapes,
  type ModelConfig,
} from '@seqlab/classifier';
import { openRunWeights, readRunJson } from '@seqlab/classifier/node';
import type { Module } from '@seqlab/layers';
import {
  ConfigError,
  FormatError,
  SeqlabError,
  ShapeError,
  saveSafetensors,
  type Tensor,
} from '@seqlab/tensor';
import { loadSafetensorsFile } from '@seqlab/tensor/node';
import { writeFileAtomic } from './atomic-write';

/**
 * The files of a run directory (`--out DIR`). Every file is written atomically (temporary file,
 * fsync, rename), so a crash or Ctrl-C never leaves a half-written one. config.json is written
 * last when a run starts: a directory without it holds no started run. The checkpoint's weight
 * files have names of their own (see NOTE(checkpoint-commit) in checkpoint.ts).
 */
export const RUN_FILES = {
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  labels: 'labels.json',
  data: 'data.json',
  model: 'model.safetensors',
  history: 'history.jsonl',
  steps: 'steps.jsonl',
  metrics: 'metrics.json',
  report: 'report.html',
  state: 'checkpoint/state.json',
} as const;

/** Absolute path of a run file. */
export function runPath(dir: string, file: keyof typeof RUN_FILES): string {
  return resolve(dir, RUN_FILES[file]);
}

/** Creates the run directory (and checkpoint/), with a clear error when it cannot. */
export async function createRunDir(dir: string): Promise<void> {
  try {
    await mkdir(join(dir, 'checkpoint'), { recursive: true });
  } catch (error) {
    throw new ConfigError(
      'train',
      'a writable --out directory',
      `${dir} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}

/** Writes JSON atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes JSON lines (one object per line) atomically. history.jsonl and steps.jsonl are rewritten
 * whole after every epoch rather than appended to: a rename never leaves a torn last line for a
 * reader or a crash, and the lines always agree with the last checkpoint's (see NOTE(live-files)).
 */
export async function writeJsonLines(path: string, rows: readonly object[]): Promise<void> {
  await writeFileAtomic(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** The option that named the run directory (`--run`, `--resume`), for error messages. */
export type RunOption = '--run' | '--resume';

export const notARun = (option: RunOption): string => `Is ${option} a directory written by seqlab train?`;

/**
 * Reads a JSON file of a run (a regular file, nested at most 128 deep), with errors that name the
 * file and the option that led to it: @seqlab/classifier's reader.
 */
export async function readJson(path: string, option: RunOption = '--run'): Promise<unknown> {
  return readRunJson(path, option);
}

/** Writes a state dict atomically as safetensors (format 'pt', loadable by PyTorch). */
export async function writeStateDict(path: string, dict: Map<string, Tensor>): Promise<void> {
  await writeFileAtomic(path, saveSafetensors(dict, { metadata: { format: 'pt' } }));
}

/** Reads a state dict, naming the file when it is missing or corrupt. */
export async function readStateDict(path: string, option: RunOption = '--run'): Promise<Map<string, Tensor>> {
  try {
    return (await loadSafetensorsFile(path)).tensors;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(option, 'an existing model file', `${path} (missing)`, notARun(option));
    }
    throw error;
  }
}

/**
 * Loads a run's weights file into `model`. Weights that do not fit the model of config.json (other
 * parameter names or shapes) are a FormatError naming the file, not loadStateDict's library error.
 */
export async function loadWeights(
  model: Pick<Module, 'loadStateDict'>,
  path: string,
  option: RunOption = '--run',
): Promise<void> {
  const dict = await readStateDict(path, option);
  checkFiniteWeights(dict, path, option);
  try {
    model.loadStateDict(dict);
  } catch (error) {
    if (!(error instanceof SeqlabError)) throw error;
    const what = error instanceof ShapeError ? error.expected : 'its parameter names';
    throw new FormatError(option, `${path} to hold the model of config.json: ${what}`, error.actual);
  }
}

/**
 * Checks a weights file's header (names, shapes, dtypes; no tensor data is read) against the model
 * config.json implies, before that model is built (`train --resume` builds it itself).
 *
 * @throws {ConfigError | FileError | FormatError} as @seqlab/classifier's loader
 */
export async function checkWeightsFile(
  config: ModelConfig,
  vocabSize: number,
  numClasses: number,
  path: string,
  option: RunOption = '--run',
): Promise<void> {
  const file = await openRunWeights(path, option);
  try {
    checkWeightsHeader(file, classifierShapes(config, vocabSize, numClasses), option);
  } finally {
    await file.close();
  }
}
