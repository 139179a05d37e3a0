// Tensor and dtypes
export { Tensor } from './tensor';
export type { NestedArray } from './tensor';
export type { DType, FloatStorage, Storage } from './dtype';
export type { Shape } from './shape';
export { broadcastShapes, numel } from './shape';

// Creation
export {
  arange,
  eye,
  full,
  fullLike,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  tensor,
  uniform,
  zeros,
  zerosLike,
} from './creation';
export type { CreationOptions, RandomOptions, TensorLike } from './creation';

// Random numbers
export { defaultGenerator, Generator, manualSeed, setDefaultGenerator } from './random';
export { TorchGenerator } from './torch-generator';

// Elementwise ops
export {
  abs,
  add,
  cast,
  clamp,
  div,
  eq,
  exp,
  ge,
  gt,
  le,
  log,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  relu,
  sigmoid,
  sign,
  sqrt,
  sub,
  tanh,
  where,
} from './ops/elementwise';

// Reductions
export { argmax, argmin, logsumexp, max, mean, min, sum } from './ops/reduce';

// Shape and movement
export {
  cat,
  chunk,
  clone,
  expand,
  flatten,
  flip,
  narrow,
  permute,
  reshape,
  select,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './ops/movement';

// Indexing
export { gather, indexSelect, scatterAdd } from './ops/indexing';

// Linear algebra
export { linear } from './ops/linear';
export { matmul } from './ops/matmul';

// Neural-network functions
export { dropout, embedding, logSoftmax, softmax } from './ops/nn';
export type { DropoutOptions, EmbeddingOptions } from './ops/nn';

// Fused recurrence (the kernel behind the RNN/LSTM/GRU layers)
export { RECURRENT_GATES } from './backend/backend';
export { recurrentLayer, recurrentSequence, recurrentSequences, recurrentZeroState } from './ops/recurrent';
export type {
  RecurrentCell,
  RecurrentLayerInput,
  RecurrentLayerInputs,
  RecurrentLayerOptions,
  RecurrentLayerOutputs,
  RecurrentSequenceInputs,
  RecurrentSequenceOutputs,
  RecurrentTrace,
} from './ops/recurrent';

// Packed sequences (re-exported by @seqlab/data, where users find them)
export { isPackedSequence, PackedSequence } from './sequence/packed-sequence';
export { packPaddedSequence, packSequence, padPackedSequence, padSequence } from './sequence/pack';
export type { Lengths, PackOptions, PadPackedOptions, PadSequenceOptions } from './sequence/pack';

// safetensors (bytes, browser-safe; files: @seqlab/tensor/node)
export { decodeSafetensorsTensor, parseSafetensors, serializeSafetensors } from './io/safetensors';
export type { SafetensorsEntry, SafetensorsHeader } from './io/safetensors-header';
export { parseSafetensorsHeader, safetensorsHeaderLength } from './io/safetensors-header';
// JSON from files: a nesting bound checked before parsing
export { checkJsonDepth, jsonDepth, MAX_JSON_DEPTH } from './io/json-depth';
export type { ParsedSafetensors, RawTensor, SafetensorsDType } from './io/safetensors';
export { loadSafetensors, saveSafetensors, tensorsFromRaw, toRawTensor } from './io/tensors';
export type { SaveSafetensorsOptions } from './io/tensors';

// Autograd
export { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode';

// Handing storage back early
export { dispose, isDisposed, keep, tidy } from './tidy';
export type { TensorContainer } from './tidy';
export { recordOp } from './autograd/function';
export type { BackwardFn, OutputGrads } from './autograd/node';
export type { BackwardOptions } from './autograd/engine';
export { sumTo } from './autograd/gradients';

// Backends (which one runs; writing one: @seqlab/tensor/backend)
export { getBackend, listBackends, ready, setBackend } from './backend/registry';
export type { ReadyOptions } from './backend/registry';
export type { WasmSource } from './backend/wasm/wasm-source';

// Options checking (shared by every package's constructors and functions)
export { checkOptions, optionKeys } from './options';

// Errors
export { assertTensor, assertTensorList } from './check-tensor';
export { describeValue } from './describe-value';
export type { TensorRole } from './check-tensor';
export {
  BackendError,
  ConfigError,
  DisposedError,
  DTypeError,
  DuplicatePackageError,
  FileError,
  FormatError,
  formatShape,
  formatValue,
  NumericError,
  SeqlabError,
  ShapeError,
} from './errors';
export type { PackageCopy } from './errors';
