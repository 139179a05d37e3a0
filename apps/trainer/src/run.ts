import type { LabelMap } from '@seqlab/data';
import { parseSavedConfig, type TrainConfig } from './config';
import { parseLabelsFile } from './labels-file';
import type { TextClassifier } from './model';
import { readJson, runPath } from './run-dir';
import { loadTextEncoder, type TextEncoder } from './text';
import { loadClassifier } from './weights';

export type { LabelsJSON } from './labels-file';

/** A trained run loaded back from its directory: config, encoder, labels and the best model. */
export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  encoder: TextEncoder;
  labels: LabelMap;
  labelNames: string[];
  model: TextClassifier;
}

/**
 * Loads `--run DIR` for eval, predict and diagnose; errors name the missing or corrupt file. Every
 * file is validated before the model is built, and the weights file's header is checked against
 * the model config.json implies before anything of that size is allocated (see loadClassifier).
 */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const config = parseSavedConfig(await readJson(runPath(dir, 'config')));
  const encoder = loadTextEncoder(await readJson(runPath(dir, 'tokenizer')), runPath(dir, 'tokenizer'));
  const labelsPath = runPath(dir, 'labels');
  const { names, labels } = parseLabelsFile(await readJson(labelsPath), labelsPath);
  const model = await loadClassifier(config, encoder.vocabSize, names.length, runPath(dir, 'model'));
  model.eval();
  return { dir, config, encoder, labels, labelNames: names, model };
}
