import type { Classifier, LabelsJSON } from '@seqlab/classifier';
import { loadTextClassifier } from '@seqlab/classifier/node';
import { parseSavedConfig, type TrainConfig } from './config';

export type { LabelsJSON };

/** A trained run loaded back from its directory: the classifier, with the run's training config. */
export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  classifier: Classifier<TrainConfig>;
  encoder: Classifier['encoder'];
  labels: Classifier['labels'];
  labelNames: string[];
  model: Classifier['model'];
}

/**
 * Loads `--run DIR` for eval, predict and diagnose with @seqlab/classifier's loader (the one a web
 * page uses), config.json checked against the whole training schema. Errors name the missing or
 * corrupt file; the weights file's header is checked against the model config.json implies before
 * anything of that size is allocated.
 */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const classifier = await loadTextClassifier(dir, {
    op: '--run',
    parseConfig: (raw) => parseSavedConfig(raw),
  });
  const { config, encoder, labels, labelNames, model } = classifier;
  return { dir, config, classifier, encoder, labels, labelNames: [...labelNames], model };
}
