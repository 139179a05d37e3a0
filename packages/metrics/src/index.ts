// biome-ignore-all assist/source/organizeImports: the exports are grouped by concept, one comment per group (STYLE.md).
// @seqlab/metrics: the public API is a list of named exports, grouped by concept (issue #7).

// Inputs
export type { MatrixInput, TensorLike, VectorInput } from './inputs';

// Zero division
export type {
  ZeroDivision,
  ZeroDivisionHandler,
  ZeroDivisionMetric,
  ZeroDivisionWarning,
} from './zero-division';

// Confusion matrix
export { confusionMatrix } from './confusion-matrix';
export type { ConfusionMatrixOptions } from './confusion-matrix';

// Accuracy
export { accuracyScore, topKAccuracyScore } from './accuracy';
export type { AccuracyOptions, TopKAccuracyOptions } from './accuracy';

// Precision, recall and F-scores
export {
  f1Score,
  fbetaScore,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
} from './precision-recall-f1';
export type {
  Average,
  AveragedScores,
  FbetaOptions,
  PerClassScores,
  PrecisionRecallFscoreSupportOptions,
  ScoreOptions,
} from './precision-recall-f1';

// Classification report
export { classificationReport } from './report';
export type {
  ClassificationReportDict,
  ClassificationReportOptions,
  ClassificationReportRow,
} from './report';

// Ranking (binary)
export { averagePrecisionScore, rocAucScore } from './ranking';
export type { AveragePrecisionOptions } from './ranking';

// Regression
export { meanAbsoluteError, meanSquaredError, r2Score } from './regression';
export type { MeanSquaredErrorOptions, R2Options } from './regression';

// Language modelling
export { perplexity } from './perplexity';

// Streaming accumulators
export {
  ClassificationAccumulator,
  ConfusionMatrixAccumulator,
  MeanAccumulator,
  RegressionAccumulator,
} from './accumulators';

// Early stopping
export { EarlyStopping } from './early-stopping';
export type {
  EarlyStoppingMode,
  EarlyStoppingOptions,
  EarlyStoppingState,
  StateDict,
  StopReason,
} from './early-stopping';
