import { LabelMap } from '@seqlab/data';
import { ConfigError } from '@seqlab/tensor';
import { parseSavedConfig, type TrainConfig } from './config';
import { TextClassifier } from './model';
import { loadWeights, readJson, runPath } from './run-dir';
import { loadTextEncoder, type TextEncoder } from './text';

/** The saved form of labels.json. */
export interface LabelsJSON {
  names: string[];
  map: unknown;
}

/** A trained run loaded back from its directory: config, encoder, labels and the best model. */
export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  encoder: TextEncoder;
  labels: LabelMap;
  labelNames: string[];
  model: TextClassifier;
}

/** Loads `--run DIR` for eval, predict and diagnose; errors name the missing or corrupt file. */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const config = parseSavedConfig(await readJson(runPath(dir, 'config')));
  const encoder = loadTextEncoder(await readJson(runPath(dir, 'tokenizer')), runPath(dir, 'tokenizer'));
  const labelsJson = (await readJson(runPath(dir, 'labels'))) as Partial<LabelsJSON>;
  if (!Array.isArray(labelsJson.names)) {
    throw new ConfigError('--run', 'labels.json with a names list', `a corrupt ${runPath(dir, 'labels')}`);
  }
  const labels = LabelMap.fromJSON(labelsJson.map);
  const model = new TextClassifier(config, encoder.vocabSize, labelsJson.names.length);
  await loadWeights(model, runPath(dir, 'model'));
  model.eval();
  return { dir, config, encoder, labels, labelNames: labelsJson.names, model };
}
