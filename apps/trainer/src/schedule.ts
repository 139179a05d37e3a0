import {
  CosineAnnealingLR,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  type SchedulerStateDict,
} from '@seqlab/optim';
import type { TrainConfig } from './config';

/**
 * The learning-rate schedule of `--scheduler`, and when it steps: OneCycleLR after every batch,
 * the others after every epoch (ReduceLROnPlateau on the validation accuracy).
 */
export interface Schedule {
  /** After each optimizer step. */
  afterBatch(): void;
  /** After each epoch's validation pass. */
  afterEpoch(validAccuracy: number): void;
  /** The state for checkpoint/state.json. */
  stateDict(): SchedulerStateDict;
  /** Restores a state from `stateDict()` (after the optimizer's own state is loaded). */
  loadStateDict(state: SchedulerStateDict): void;
}

/**
 * Builds the schedule `config.scheduler` names over `optimizer`, or null for `none`:
 * - `cosine`: CosineAnnealingLR from `lr` to 0 over `epochs` epochs;
 * - `plateau`: ReduceLROnPlateau on valid accuracy (mode max): halve the lr after each epoch
 *   without a better one (patience 0), so it acts before early stopping gives up;
 * - `onecycle`: OneCycleLR with `lr` as the peak (warm-up over the first 30 % of the steps, then
 *   cosine annealing; PyTorch's defaults, momentum / Adam's beta1 cycled too).
 */
export function makeSchedule(
  config: Pick<TrainConfig, 'scheduler' | 'epochs' | 'lr'>,
  optimizer: Optimizer,
  batchesPerEpoch: number,
): Schedule | null {
  switch (config.scheduler) {
    case 'none':
      return null;
    case 'cosine': {
      const s = new CosineAnnealingLR(optimizer, { tMax: config.epochs });
      return { afterBatch() {}, afterEpoch: () => s.step(), ...stateOf(s) };
    }
    case 'plateau': {
      const s = new ReduceLROnPlateau(optimizer, { mode: 'max', factor: 0.5, patience: 0 });
      return { afterBatch() {}, afterEpoch: (accuracy) => s.step(accuracy), ...stateOf(s) };
    }
    case 'onecycle': {
      const s = new OneCycleLR(optimizer, {
        maxLr: config.lr,
        epochs: config.epochs,
        stepsPerEpoch: batchesPerEpoch,
      });
      return { afterBatch: () => s.step(), afterEpoch() {}, ...stateOf(s) };
    }
  }
}

function stateOf(s: {
  stateDict(): SchedulerStateDict;
  loadStateDict(state: SchedulerStateDict): void;
}): Pick<Schedule, 'stateDict' | 'loadStateDict'> {
  return { stateDict: () => s.stateDict(), loadStateDict: (state) => s.loadStateDict(state) };
}
