import { collate, type TextClassifier } from '@seqlab/classifier';
import { DataLoader, type EncodedExample } from '@seqlab/data';
import { crossEntropy } from '@seqlab/layers';
import { EarlyStopping } from '@seqlab/metrics';
import { Adam, AdamW, type Optimizer, SGD } from '@seqlab/optim';
import { defaultGenerator, FormatError, SeqlabError, tidy } from '@seqlab/tensor';
import { checkpointPath, writeCheckpoint } from './checkpoint';
import type { TrainConfig } from './config';
import { evaluate } from './evaluate';
import type { Logger } from './logger';
import { checkLoss, checkWeights, clipGradNormOrStop } from './numeric-guard';
import { joinOptimizerState, splitOptimizerState } from './optimizer-state';
import { readStateDict } from './run-dir';
import { makeSchedule } from './schedule';
import type { CheckpointFiles, EpochRecord, PartialEpoch, StepRecord, TrainState } from './train-state';

export type { EpochRecord, StepRecord, TrainState } from './train-state';

// NOTE(loss-ema): the smoothed training loss of steps.jsonl and the report is an exponential
// moving average started at the first step's loss, loss_ema_1 = loss_1 and
// loss_ema_t = 0.9 * loss_ema_{t-1} + 0.1 * loss_t (pandas' `ewm(alpha=0.1, adjust=False)`). Started
// at a loss rather than at 0 it needs no bias correction (TensorBoard's smoothing starts at 0 and
// divides by 1 - 0.9^t). A resumed run continues from the last recorded step's loss_ema.
/** The weight of the newest loss in the smoothed training loss (see NOTE(loss-ema)). */
export const LOSS_EMA_ALPHA = 0.1;

/** Resolves after the event loop has turned once (signal handlers and I/O callbacks have run). */
function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Restores the best epoch's weights (the checkpoint's `best` file). */
async function loadBest(model: TextClassifier, runDir: string, files: CheckpointFiles | null): Promise<void> {
  if (!files?.best)
    throw new FormatError('--resume', 'the weights of a best epoch', 'none in the checkpoint');
  model.loadStateDict(await readStateDict(checkpointPath(runDir, files.best.name), '--resume'));
}

/** Builds the configured optimizer over the model's parameters. */
export function makeOptimizer(config: TrainConfig, model: TextClassifier): Optimizer {
  const params = model.parameters();
  if (config.optimizer === 'sgd')
    return new SGD(params, { lr: config.lr, momentum: 0.9, weightDecay: config.weightDecay });
  if (config.optimizer === 'adamw')
    return new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  return new Adam(params, { lr: config.lr, weightDecay: config.weightDecay });
}

/** What `train` needs. */
export interface TrainArgs {
  config: TrainConfig;
  model: TextClassifier;
  train: readonly EncodedExample[];
  valid: readonly EncodedExample[];
  numClasses: number;
  runDir: string;
  logger: Logger;
  /** A checked state from checkpoint/state.json to continue from (the weights are already loaded). */
  resume: TrainState | null;
  /** Set to true (e.g. by Ctrl-C) to stop after the current step with a checkpoint. */
  stop: { requested: boolean };
  /** Called after every epoch's checkpoint is committed (the live history and report). */
  onEpoch?: (update: EpochUpdate) => Promise<void>;
}

/** What an epoch's end hands to `TrainArgs.onEpoch`. */
export interface EpochUpdate {
  history: readonly EpochRecord[];
  steps: readonly StepRecord[];
  /** The epoch's validation confusion matrix (rows: true label, columns: predicted). */
  validConfusion: number[][];
}

/** The result of a training run. */
export interface TrainResult {
  history: EpochRecord[];
  steps: StepRecord[];
  bestEpoch: number;
  interrupted: boolean;
}

/**
 * The article's training loop: shuffled batches (a fresh seeded order every epoch), cross-entropy,
 * backward, global-norm clipping, the optimizer step; then a validation pass, early stopping on
 * validation accuracy (the best weights kept in the checkpoint's best file), and an atomic
 * checkpoint every epoch (see NOTE(checkpoint-commit)). A resumed run continues with the same weights, optimizer state, random
 * state and batch order, so it ends with exactly the metrics of an uninterrupted one.
 */
export async function trainLoop(args: TrainArgs): Promise<TrainResult> {
  const { config, model, train, valid, numClasses, runDir, logger, resume, stop, onEpoch } = args;
  const optimizer = makeOptimizer(config, model);
  const numBatches = Math.ceil(train.length / config.batchSize);
  const schedule = makeSchedule(config, optimizer, numBatches);
  const early = new EarlyStopping({ patience: config.patience, mode: 'max', minDelta: 0 });
  const history: EpochRecord[] = [];
  const steps: StepRecord[] = [];
  let startEpoch = 0;
  let partial: PartialEpoch | null = null;
  let files: CheckpointFiles | null = null; // the last committed checkpoint's
  if (resume) {
    files = resume.files;
    const optimizerFile = checkpointPath(runDir, files.optimizer.name);
    const buffers = await readStateDict(optimizerFile, '--resume');
    try {
      optimizer.loadStateDict(joinOptimizerState(resume.optimizer, buffers, optimizerFile));
    } catch (error) {
      // A buffer of another shape or dtype: the file's fault, named as loadWeights names a model file.
      if (!(error instanceof SeqlabError) || error instanceof FormatError) throw error;
      throw new FormatError(
        '--resume',
        `${optimizerFile} to hold the optimizer state of config.json's model: ${error.expected}`,
        error.actual,
      );
    }
    if (schedule) {
      if (!resume.scheduler)
        throw new FormatError('--resume', `a ${config.scheduler} scheduler state`, 'none in the checkpoint');
      schedule.loadStateDict(resume.scheduler);
    }
    early.loadStateDict(resume.earlyStopping);
    defaultGenerator().setState(resume.rng);
    history.push(...resume.history);
    steps.push(...resume.steps);
    startEpoch = resume.epochsDone;
    partial = resume.partial;
    if (partial && partial.batchesDone >= numBatches)
      throw new FormatError(
        '--resume',
        `a partial epoch of fewer than the ${numBatches} batches of the data`,
        `${partial.batchesDone} batches done in ${checkpointPath(runDir, 'state.json')}`,
      );
    if (resume.finished) {
      await loadBest(model, runDir, files);
      return { history, steps, bestEpoch: early.bestEpoch ?? 0, interrupted: false };
    }
  }
  // Steps count on from the checkpoint's (one written before steps were recorded has none).
  const lastStep = steps.length > 0 ? steps[steps.length - 1] : null;
  let globalStep = lastStep?.step ?? startEpoch * numBatches + (partial?.batchesDone ?? 0);
  let lossEma = lastStep?.loss_ema ?? null;
  const params = model.parameters();

  // One atomic unit: see NOTE(checkpoint-commit).
  const checkpoint = async (
    epochsDone: number,
    finished: boolean,
    part: PartialEpoch | null,
    improved = false,
  ) => {
    const { json: optimizerJson, tensors: optimizerTensors } = splitOptimizerState(optimizer.stateDict());
    const weights = model.stateDict();
    files = await writeCheckpoint(
      runDir,
      { model: weights, optimizer: optimizerTensors, best: improved ? weights : null },
      {
        type: 'seqlab.TrainState',
        epochsDone,
        finished,
        history,
        steps,
        optimizer: optimizerJson,
        scheduler: schedule?.stateDict() ?? null,
        earlyStopping: early.stateDict(),
        rng: defaultGenerator().getState(),
        partial: part,
      },
      files,
    );
  };

  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    model.train();
    const loader = new DataLoader(train, {
      batchSize: config.batchSize,
      shuffle: true,
      seed: config.seed * 100003 + epoch,
      // Similar lengths in a batch: fewer nearly empty packed steps, same shuffled order of chunks.
      bucketing: config.bucketing,
    });
    const resumeHere = partial && partial.epoch === epoch ? partial : null;
    let lossSum = resumeHere?.lossSum ?? 0;
    let gradNormSum = resumeHere?.gradNormSum ?? 0;
    let tokens = resumeHere?.tokens ?? 0;
    let seconds = resumeHere?.seconds ?? 0;
    const skip = resumeHere?.batchesDone ?? 0;
    partial = null;
    logger.startProgress(`epoch ${epoch + 1}/${config.epochs}`, numBatches);
    let step = 0;
    let lr = optimizer.paramGroups[0].lr; // the last one used in this epoch, for the history
    for (const examples of loader) {
      step++;
      if (step <= skip) continue; // already trained before the interruption
      const t0 = performance.now();
      // Stop at the first NaN or infinity (loss, gradient norm, weights), before it is trained on.
      const at = { epoch: epoch + 1, batch: step, batches: numBatches, resumedBatches: skip };
      const named = () => model.namedParameters();
      // The whole step in tidy: the storage of what it made (the batch, every activation, the
      // backward's temporaries) goes back to the pool for the next step (NOTE(tidy) in
      // @seqlab/tensor); the parameters, their gradients and the optimizer's state stay.
      const { lossValue, gradNorm, batchTokens } = tidy(() => {
        const batch = collate(model, examples);
        const loss = crossEntropy(model.forward(batch), batch.labels);
        const value = loss.item();
        checkLoss(named, value, at);
        optimizer.zeroGrad();
        loss.backward();
        const norm = clipGradNormOrStop(params, named, config.clip > 0 ? config.clip : Infinity, at);
        lr = optimizer.paramGroups[0].lr;
        optimizer.step();
        checkWeights(named, norm, at);
        return { lossValue: value, gradNorm: norm, batchTokens: batch.tokens };
      });
      gradNormSum += gradNorm;
      schedule?.afterBatch();
      globalStep++;
      lossEma = lossEma === null ? lossValue : (1 - LOSS_EMA_ALPHA) * lossEma + LOSS_EMA_ALPHA * lossValue;
      steps.push({
        step: globalStep,
        epoch: epoch + step / numBatches,
        loss: lossValue,
        loss_ema: lossEma,
        lr,
      });
      lossSum += lossValue * examples.length;
      tokens += batchTokens;
      seconds += (performance.now() - t0) / 1000;
      logger.progress(step, {
        loss: lossSum / Math.min(train.length, step * config.batchSize),
        tokensPerSecond: tokens / seconds,
      });
      // The steps are synchronous and Node runs a SIGINT handler only when the event loop turns:
      // without this, Ctrl-C would be seen only at the end of the epoch.
      await turnEventLoop();
      if (stop.requested && step < numBatches) {
        logger.stopProgress();
        await checkpoint(epoch, false, { epoch, batchesDone: step, lossSum, gradNormSum, tokens, seconds });
        return { history, steps, bestEpoch: early.bestEpoch ?? 0, interrupted: true };
      }
    }
    logger.stopProgress();
    const v = evaluate(model, valid, numClasses);
    const record: EpochRecord = {
      epoch: epoch + 1,
      train_loss: lossSum / train.length,
      valid_loss: v.loss,
      valid_accuracy: v.accuracy,
      valid_macro_f1: v.macroF1,
      grad_norm: gradNormSum / numBatches,
      lr,
      seconds,
      tokens_per_s: tokens / seconds,
    };
    history.push(record);
    const improved = early.bestValue === null || early.isImprovement(v.accuracy);
    const shouldStop = early.step(v.accuracy, epoch + 1);
    schedule?.afterEpoch(v.accuracy);
    logger.info(
      `epoch ${record.epoch}: train loss ${record.train_loss.toFixed(4)}  valid loss ${v.loss.toFixed(4)}  valid acc ${v.accuracy.toFixed(4)}  macro-F1 ${v.macroF1.toFixed(4)}  ${Math.round(record.tokens_per_s)} tok/s${improved ? '  (best)' : ''}`,
    );
    logger.event({ event: 'epoch', ...record });
    const finished = shouldStop || epoch + 1 === config.epochs;
    await checkpoint(epoch + 1, finished, null, improved);
    await onEpoch?.({ history, steps, validConfusion: v.confusion });
    if (shouldStop) {
      logger.info(
        `early stopping: no better valid accuracy for ${config.patience} epoch(s); best epoch ${early.bestEpoch}`,
      );
      break;
    }
    if (stop.requested && !finished)
      return { history, steps, bestEpoch: early.bestEpoch ?? 0, interrupted: true };
  }
  await loadBest(model, runDir, files);
  return { history, steps, bestEpoch: early.bestEpoch ?? history.length, interrupted: false };
}
