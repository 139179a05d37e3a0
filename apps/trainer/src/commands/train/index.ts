import { resolve } from 'node:path';
import { LabelMap } from '@seqlab/data';
import { ConfigError, manualSeed } from '@seqlab/tensor';
import { parseSavedConfig, parseTrainConfig, type TrainConfig } from '../../config';
import { loadData } from '../../dataset';
import { evaluate } from '../../evaluate';
import { given, readConfigFile } from '../../flags';
import { Logger, type LogOptions } from '../../logger';
import { messages } from '../../messages';
import { TextClassifier } from '../../model';
import { writeReport } from '../../report';
import type { LabelsJSON } from '../../run';
import { createRunDir, loadWeights, readJson, runPath, writeJson, writeStateDict } from '../../run-dir';
import { buildTextEncoder, encodeAll, loadTextEncoder } from '../../text';
import { parseTrainState, type TrainState, trainLoop } from '../../train-loop';
import { checkWeightsFile } from '../../weights';

/** Keys of the training configuration that flags may set. */
export const TRAIN_KEYS = [
  'dataset',
  'train',
  'valid',
  'test',
  'textColumn',
  'labelColumn',
  'headers',
  'model',
  'layers',
  'hidden',
  'embed',
  'bidirectional',
  'dropout',
  'forgetBias',
  'tokenizer',
  'maxLen',
  'minFreq',
  'vocabSize',
  'batchSize',
  'bucketing',
  'epochs',
  'lr',
  'optimizer',
  'weightDecay',
  'scheduler',
  'clip',
  'patience',
  'validSplit',
  'testSplit',
  'seed',
  'out',
] as const;

/** What `seqlab train` prints at the end and writes to metrics.json. */
export interface TrainMetrics {
  best_epoch: number;
  epochs_run: number;
  test: {
    accuracy: number;
    macro_f1: number;
    loss: number;
    confusion_matrix: number[][];
    labels: string[];
    examples: number;
  };
  valid: { accuracy: number; macro_f1: number; loss: number };
  seconds: number;
}

/** Resolves the configuration: --resume DIR's saved config, or file + flags (flags win). */
async function resolveConfig(
  flags: Record<string, unknown>,
): Promise<{ config: TrainConfig; resumeDir: string | null }> {
  if (typeof flags.resume === 'string') {
    const others = Object.keys(given(flags, TRAIN_KEYS));
    if (others.length > 0 || typeof flags.config === 'string') {
      throw new ConfigError(
        'train --resume',
        "no other training options (the run's config.json is used)",
        [...others, ...(typeof flags.config === 'string' ? ['config'] : [])]
          .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
          .join(', '),
      );
    }
    const dir = resolve(flags.resume);
    const saved = parseSavedConfig(await readJson(runPath(dir, 'config'), '--resume'));
    return { config: { ...saved, out: dir, resume: dir }, resumeDir: dir };
  }
  const file = typeof flags.config === 'string' ? await readConfigFile(flags.config) : {};
  const raw = { ...file, ...given(flags, TRAIN_KEYS) };
  // The names dataset is character level unless a tokenizer is chosen.
  if (raw.dataset === 'names' && raw.train === undefined && raw.tokenizer === undefined)
    raw.tokenizer = 'char';
  const config = parseTrainConfig(raw);
  // config.json must describe the run from anywhere (--resume from another directory): data files
  // are saved as absolute paths.
  for (const key of ['train', 'valid', 'test'] as const) {
    const path = config[key];
    if (path !== null) config[key] = resolve(path);
  }
  return { config, resumeDir: null };
}

/** `seqlab train`: trains a text classifier and evaluates it on the test split. */
export async function trainCommand(flags: Record<string, unknown>, log: LogOptions): Promise<number> {
  const started = performance.now();
  const logger = new Logger(log);
  const { config, resumeDir } = await resolveConfig(flags);
  const dir = resolve(config.out ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-')}`);
  manualSeed(config.seed);

  const data = await loadData(config);
  const encoder = resumeDir
    ? loadTextEncoder(await readJson(runPath(dir, 'tokenizer'), '--resume'), runPath(dir, 'tokenizer'))
    : buildTextEncoder(config, data.train);
  // The run directory is made once the data has loaded, so a data error leaves none behind.
  await createRunDir(dir);
  logger.info(messages.runDir(dir));
  logger.info(messages.data(data.source, data.train.length, data.valid.length, data.test.length));
  const [train, valid, test] = [data.train, data.valid, data.test].map((split) => encodeAll(encoder, split));
  const numClasses = data.labelNames.length;
  // A resumed run's checkpoint must hold the model config.json implies, checked before it is built.
  if (resumeDir)
    await checkWeightsFile(config, encoder.vocabSize, numClasses, runPath(dir, 'checkpoint'), '--resume');
  const model = new TextClassifier(config, encoder.vocabSize, numClasses);
  logger.info(
    messages.model(
      config.model === 'bag'
        ? 'bag of embeddings'
        : `${config.bidirectional ? 'bidirectional ' : ''}${config.layers}-layer ${config.model.toUpperCase()}`,
      model.numParameters(),
      encoder.vocabSize,
    ),
  );

  let resumeState: TrainState | null = null;
  if (resumeDir) {
    resumeState = parseTrainState(await readJson(runPath(dir, 'state'), '--resume'), runPath(dir, 'state'));
    await loadWeights(model, runPath(dir, 'checkpoint'), '--resume');
    logger.info(resumeState.finished ? messages.alreadyFinished : messages.resumed(resumeState.epochsDone));
  } else {
    await writeJson(runPath(dir, 'config'), { ...config, out: dir, resume: null });
    await writeJson(runPath(dir, 'tokenizer'), encoder.toJSON());
    const labels: LabelsJSON = { names: data.labelNames, map: new LabelMap(data.labelNames).toJSON() };
    await writeJson(runPath(dir, 'labels'), labels);
  }

  const stop = { requested: false };
  const onSigint = () => {
    if (stop.requested) {
      console.error(messages.secondInterrupt);
      process.exit(130);
    }
    stop.requested = true;
    console.error(messages.stopping);
  };
  process.on('SIGINT', onSigint);
  let result: Awaited<ReturnType<typeof trainLoop>>;
  try {
    result = await trainLoop({
      config,
      model,
      train,
      valid,
      numClasses,
      runDir: dir,
      logger,
      resume: resumeState,
      stop,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (result.interrupted) {
    logger.result(messages.interrupted(dir), { event: 'interrupted', run: dir });
    return 130;
  }
  if (resumeState?.finished) await loadWeights(model, runPath(dir, 'best'), '--resume');

  await writeStateDict(runPath(dir, 'model'), model.stateDict());
  const t = evaluate(model, test, numClasses);
  const bestRecord =
    result.history.find((h) => h.epoch === result.bestEpoch) ?? result.history[result.history.length - 1];
  const metrics: TrainMetrics = {
    best_epoch: result.bestEpoch,
    epochs_run: result.history.length,
    test: {
      accuracy: t.accuracy,
      macro_f1: t.macroF1,
      loss: t.loss,
      confusion_matrix: t.confusion,
      labels: data.labelNames,
      examples: test.length,
    },
    valid: {
      accuracy: bestRecord.valid_accuracy,
      macro_f1: bestRecord.valid_macro_f1,
      loss: bestRecord.valid_loss,
    },
    seconds: (performance.now() - started) / 1000,
  };
  await writeJson(runPath(dir, 'metrics'), metrics);
  await writeJsonLines(runPath(dir, 'history'), result.history);
  await writeReport(runPath(dir, 'report'), { config, history: result.history, metrics });
  logger.result(
    [
      `test accuracy ${t.accuracy.toFixed(4)}  macro-F1 ${t.macroF1.toFixed(4)}  loss ${t.loss.toFixed(4)}  (best epoch ${result.bestEpoch}, ${test.length} examples)`,
      `confusion matrix (rows: true ${data.labelNames.join(', ')}; columns: predicted):`,
      ...t.confusion.map(
        (row, i) => `  ${data.labelNames[i].padEnd(12)} ${row.map((v) => String(v).padStart(6)).join(' ')}`,
      ),
      `wrote ${dir}/{model.safetensors, metrics.json, history.jsonl, report.html}`,
    ].join('\n'),
    { event: 'test', run: dir, ...metrics },
  );
  return 0;
}

async function writeJsonLines(path: string, rows: readonly object[]): Promise<void> {
  const { writeFileAtomic } = await import('@seqlab/tensor/node');
  await writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}
