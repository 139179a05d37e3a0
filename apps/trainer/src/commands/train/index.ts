import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildTextEncoder, loadTextEncoder, TextClassifier } from '@seqlab/classifier';
import { LabelMap } from '@seqlab/data';
import { ConfigError, manualSeed } from '@seqlab/tensor';
import { checkpointPath, cleanCheckpointDir, readCheckpoint } from '../../checkpoint';
import { parseSavedConfig, parseTrainConfig, type TrainConfig } from '../../config';
import {
  alignLabels,
  type DataFingerprint,
  dataChanges,
  fingerprintData,
  parseFingerprint,
} from '../../data-fingerprint';
import { loadData } from '../../dataset';
import { encodeAll, evaluate } from '../../evaluate';
import { given, readConfigFile } from '../../flags';
import { Logger, type LogOptions } from '../../logger';
import { messages } from '../../messages';
import { checkOutDir, cleanTempFiles, clearOutDir } from '../../out-dir';
import { type ReportConfusion, writeReport } from '../../report';
import type { LabelsJSON } from '../../run';
import {
  checkWeightsFile,
  createRunDir,
  loadWeights,
  readJson,
  runPath,
  writeJson,
  writeJsonLines,
  writeStateDict,
} from '../../run-dir';
import { StopSignals } from '../../stop-signals';
import { type TrainResult, trainLoop } from '../../train-loop';
import type { EpochRecord, StepRecord, TrainState } from '../../train-state';

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

/** The data fingerprint recorded in `dir` (null when there is none and `allowChange` is set). */
async function recordedFingerprint(dir: string, allowChange: boolean): Promise<DataFingerprint | null> {
  const path = runPath(dir, 'data');
  try {
    await access(path);
  } catch {
    if (allowChange) return null;
    throw new ConfigError(
      'train --resume',
      `the run's record of its data, ${path}`,
      'none (a run written before seqlab checked its data on --resume)',
      'Pass --allow-data-change to resume without the check',
    );
  }
  return parseFingerprint(await readJson(path, '--resume'), path);
}

/** The label names of labels.json, or null when it has none. */
async function savedLabelNames(dir: string): Promise<string[] | null> {
  const json = (await readJson(runPath(dir, 'labels'), '--resume')) as Partial<LabelsJSON> | null;
  const names = json?.names;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : null;
}

/** `seqlab train`: trains a text classifier and evaluates it on the test split. */
export async function trainCommand(flags: Record<string, unknown>, log: LogOptions): Promise<number> {
  const started = performance.now();
  const logger = new Logger(log);
  const overwrite = flags.overwrite === true;
  const allowDataChange = flags.allowDataChange === true;
  const resuming = typeof flags.resume === 'string';
  if (resuming && overwrite)
    throw new ConfigError(
      'train --resume',
      'no --overwrite (--resume continues the run in place)',
      '--overwrite',
    );
  if (!resuming && allowDataChange)
    throw new ConfigError(
      'train --allow-data-change',
      '--resume with it (a new run records its data)',
      'no --resume',
    );
  const { config, resumeDir } = await resolveConfig(flags);
  const dir = resolve(config.out ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-')}`);
  // A new run never starts on top of another one (checked before any work; cleared once data loads).
  const previous = resumeDir ? null : await checkOutDir(dir, overwrite);
  // A checkpoint that cannot be resumed is refused before the data is loaded.
  const resumeState: TrainState | null = resumeDir ? await readCheckpoint(dir, config) : null;
  manualSeed(config.seed);

  let data = await loadData(config);
  let fingerprint = await fingerprintData(config, data);
  let changes: string[] = [];
  if (resumeDir) {
    const recorded = await recordedFingerprint(dir, allowDataChange);
    changes = recorded ? dataChanges(recorded, fingerprint) : ['the run has no record of its data'];
    if (changes.length > 0 && !allowDataChange) {
      throw new ConfigError(
        'train --resume',
        `the data the run was trained on (as recorded in ${runPath(dir, 'data')})`,
        changes.join('; '),
        'Pass --allow-data-change to continue on this data anyway',
      );
    }
    // The model keeps its outputs: the data is numbered with the run's classes (without a record,
    // labels.json's names, which the model's outputs were trained with).
    const classes = recorded?.classes ?? (await savedLabelNames(dir)) ?? data.labelNames;
    data = alignLabels(data, classes);
    fingerprint = { ...fingerprint, classes: [...classes] };
  }
  const encoder = resumeDir
    ? loadTextEncoder(await readJson(runPath(dir, 'tokenizer'), '--resume'), runPath(dir, 'tokenizer'))
    : buildTextEncoder(config, data.train);
  // The run directory is made once the data has loaded, so a data error leaves none behind.
  if (previous && previous.ours.length > 0) {
    await clearOutDir(dir, previous);
    if (previous.started) logger.info(messages.overwriting(dir));
  }
  await createRunDir(dir);
  logger.info(messages.runDir(dir));
  logger.info(messages.data(data.source, data.train.length, data.valid.length, data.test.length));
  const [train, valid, test] = [data.train, data.valid, data.test].map((split) => encodeAll(encoder, split));
  const numClasses = data.labelNames.length;
  // A resumed run's checkpoint must hold the model config.json implies, checked before it is built.
  if (resumeState) {
    const weights = checkpointPath(dir, resumeState.files.model.name);
    await checkWeightsFile(config, encoder.vocabSize, numClasses, weights, '--resume');
  }
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

  if (resumeDir) {
    // What a killed process left: temporary files, files of an uncommitted checkpoint.
    await cleanTempFiles(dir);
    await cleanCheckpointDir(dir, resumeState?.files ?? null);
    if (changes.length > 0) {
      logger.warn(messages.dataChanged(changes));
      await writeJson(runPath(dir, 'data'), fingerprint);
    }
    if (resumeState) {
      await loadWeights(model, checkpointPath(dir, resumeState.files.model.name), '--resume');
      logger.info(resumeState.finished ? messages.alreadyFinished : messages.resumed(resumeState.epochsDone));
    } else {
      logger.info(messages.noCheckpointYet);
    }
  } else {
    await writeJson(runPath(dir, 'tokenizer'), encoder.toJSON());
    const labels: LabelsJSON = { names: data.labelNames, map: new LabelMap(data.labelNames).toJSON() };
    await writeJson(runPath(dir, 'labels'), labels);
    await writeJson(runPath(dir, 'data'), fingerprint);
    // Last: a directory with config.json holds a started run (see RUN_FILES).
    await writeJson(runPath(dir, 'config'), { ...config, out: dir, resume: null });
  }

  // Ctrl-C and SIGTERM: a stop at a safe point while training, then an exit that waits for the
  // write in progress (the run is checkpointed; --resume writes the results).
  const stop = new StopSignals().install();
  // NOTE(live-files): history.jsonl, steps.jsonl and report.html are rewritten whole (atomically)
  // after every epoch's checkpoint, from the lines the checkpoint holds, so they never run ahead of
  // it; a kill between the two leaves them one epoch behind until the resumed run's next epoch
  // rewrites them, and a resumed run never repeats a line. The report reloads itself while the run
  // is going; the last one (finished, or interrupted by Ctrl-C) does not.
  let confusion: ReportConfusion | null = null;
  // The lines of the last report written, for a report of a run an error stops.
  const live: { history: EpochRecord[]; steps: StepRecord[] } = { history: [], steps: [] };
  let reported = false;
  const writeLive = async (history: readonly EpochRecord[], steps: readonly StepRecord[]) => {
    await writeJsonLines(runPath(dir, 'history'), history);
    await writeJsonLines(runPath(dir, 'steps'), steps);
  };
  try {
    let result: TrainResult;
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
        onEpoch: async ({ history, steps, validConfusion }) => {
          await writeLive(history, steps);
          const epochsDone = history.length;
          const set = `validation set, epoch ${epochsDone}`;
          confusion = { matrix: validConfusion, labels: data.labelNames, set, examples: valid.length };
          await writeReport(runPath(dir, 'report'), {
            config,
            history,
            steps,
            status: { state: 'running', epochsDone },
            confusion,
            written: new Date(),
          });
          [live.history, live.steps, reported] = [[...history], [...steps], true];
        },
      });
    } catch (error) {
      // Stopped by an error (the first NaN, a failed write) after a live report: that page must not
      // say "running", and reload itself, forever. Best effort: the error is what the user must see.
      if (reported)
        await writeReport(runPath(dir, 'report'), {
          config,
          ...live,
          status: {
            state: 'stopped',
            epochsDone: live.history.length,
            error: error instanceof Error ? error.message : String(error),
          },
          confusion,
          written: new Date(),
        }).catch(() => undefined);
      throw error;
    }
    if (result.interrupted) {
      await writeLive(result.history, result.steps);
      await writeReport(runPath(dir, 'report'), {
        config,
        history: result.history,
        steps: result.steps,
        status: { state: 'interrupted', epochsDone: result.history.length, runDir: dir },
        confusion,
        written: new Date(),
      });
      logger.result(messages.interrupted(dir), { event: 'interrupted', run: dir, signal: stop.signal });
      return stop.exitCode;
    }
    stop.trainingDone(dir);

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
    await writeLive(result.history, result.steps);
    await writeReport(runPath(dir, 'report'), {
      config,
      history: result.history,
      steps: result.steps,
      status: { state: 'finished', metrics },
      confusion: {
        matrix: t.confusion,
        labels: data.labelNames,
        set: 'test set',
        examples: test.length,
      },
      written: new Date(),
    });
    logger.result(
      [
        `test accuracy ${t.accuracy.toFixed(4)}  macro-F1 ${t.macroF1.toFixed(4)}  loss ${t.loss.toFixed(4)}  (best epoch ${result.bestEpoch}, ${test.length} examples)`,
        `confusion matrix (rows: true ${data.labelNames.join(', ')}; columns: predicted):`,
        ...t.confusion.map(
          (row, i) => `  ${data.labelNames[i].padEnd(12)} ${row.map((v) => String(v).padStart(6)).join(' ')}`,
        ),
        `wrote ${dir}/{model.safetensors, metrics.json, history.jsonl, steps.jsonl, report.html}`,
      ].join('\n'),
      { event: 'test', run: dir, ...metrics },
    );
    return 0;
  } finally {
    stop.uninstall();
  }
}
