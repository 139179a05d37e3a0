// Optimizer base, parameter groups and state dicts
export { Optimizer } from './optimizer';
export { optimizerStateToJson } from './state-dict';
export type {
  OptimizerOptions,
  OptionValue,
  ParamGroup,
  ParamGroupInit,
  ParamState,
  Params,
  ZeroGradOptions,
} from './optimizer';
export type {
  JsonValue,
  NestedNumbers,
  OptimizerStateDict,
  ParamGroupState,
  SchedulerStateDict,
} from './state-dict';

// Optimizers
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';

// Gradient clipping
export { clipGradNorm, clipGradValue } from './clip-grad';
export type { ClipGradNormOptions } from './clip-grad';

// Learning-rate schedules
export { ExponentialLR, LRScheduler, MultiStepLR, StepLR } from './lr-scheduler';
export type {
  ExponentialLROptions,
  LRSchedulerOptions,
  MultiStepLROptions,
  StepLROptions,
} from './lr-scheduler';
export { CosineAnnealingLR } from './cosine-annealing-lr';
export type { CosineAnnealingLROptions } from './cosine-annealing-lr';
export { LinearLR } from './linear-lr';
export type { LinearLROptions } from './linear-lr';
export { OneCycleLR } from './one-cycle-lr';
export type { OneCycleLROptions } from './one-cycle-lr';
export { ReduceLROnPlateau } from './reduce-lr-on-plateau';
export type { ReduceLROnPlateauOptions } from './reduce-lr-on-plateau';
export { ChainedScheduler, SequentialLR } from './sequential-lr';
export type { SequentialLROptions } from './sequential-lr';
