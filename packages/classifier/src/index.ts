// @seqlab/classifier: a trained run of `seqlab train` as a text classifier, in Node and in the
// browser (this entry is browser-safe; run directories on disk: @seqlab/classifier/node).

// Loading a run (loadFrom and sourceReader: for @seqlab/classifier/node and other readers)
export type {
  ClassifierSource,
  LoadTextClassifierOptions,
  RunFileContent,
  RunFiles,
  RunReader,
} from './load';
export { loadFrom, loadTextClassifier, sourceReader } from './load';
export type { ClassifierFile } from './run-json';
export { CLASSIFIER_FILES, parseRunJson } from './run-json';

// The classifier
export type { Prediction } from './classifier';
export { Classifier } from './classifier';
export type { LabeledBatch } from './collate';
export { collate } from './collate';
export type { ClassifierBatch } from './model';
export { classifierShapes, TextClassifier } from './model';
export type { ModelConfig } from './model-config';
export { ModelConfigSchema, parseModelConfig } from './model-config';

// The run's files
export type { TextEncoder, TextEncoderJSON, TextEncoderOptions, TokenizerKind } from './text-encoder';
export { buildTextEncoder, loadTextEncoder } from './text-encoder';
export type { LabelsJSON } from './labels-file';
export { LabelsFileSchema, parseLabelsFile } from './labels-file';
export type { SafetensorsReader } from './weights';
export { checkWeightsHeader, loadClassifierWeights, safetensorsBytes } from './weights';
export type { NamedTensors } from './finite-weights';
export { checkFiniteWeights, firstNonFinite } from './finite-weights';

// Messages for files from outside (zod issues as one short line)
export { formatIssues, formatKeys, formatPath, joinProblems } from './zod-issues';
