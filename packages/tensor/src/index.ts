// Tensor and dtypes

export { recordOp } from './autograd/function';
// Autograd
export { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode';
export { sumTo } from './autograd/gradients';
export type { BackwardFn, OutputGrads } from './autograd/node';
// Backends
export type {
  Backend,
  BinaryOp,
  RecurrentBackwardArgs,
  RecurrentForwardArgs,
  ReduceOp,
  StridedView,
  UnaryOp,
} from './backend/backend';
export { backend, getBackend, listBackends, registerBackend, setBackend } from './backend/registry';
export type { CreationOptions, RandomOptions, TensorLike } from './creation';
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
export type { DType, FloatStorage, Storage } from './dtype';
// Errors
export {
  BackendError,
  ConfigError,
  DTypeError,
  FormatError,
  formatShape,
  SeqlabError,
  ShapeError,
} from './errors';
export type { ParsedSafetensors, RawTensor, SafetensorsDType } from './io/safetensors';
// safetensors (bytes, browser-safe; files: @seqlab/tensor/node)
export { parseSafetensors, serializeSafetensors } from './io/safetensors';
export type { SaveSafetensorsOptions } from './io/tensors';
export { loadSafetensors, saveSafetensors, tensorsFromRaw, toRawTensor } from './io/tensors';
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
// Indexing
export { gather, indexSelect, scatterAdd } from './ops/indexing';
// Linear algebra
export { matmul } from './ops/matmul';
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
export type { DropoutOptions } from './ops/nn';
// Neural-network functions
export { dropout, logSoftmax, softmax } from './ops/nn';
export type {
  RecurrentCell,
  RecurrentSequenceInputs,
  RecurrentSequenceOutputs,
  RecurrentTrace,
} from './ops/recurrent';
// Fused recurrence (the kernel behind RNN/LSTM/GRU layers)
export { recurrentSequence } from './ops/recurrent';
// Reductions
export { argmax, argmin, logsumexp, max, mean, min, sum } from './ops/reduce';
// Random numbers
export { defaultGenerator, Generator, manualSeed } from './random';
export type { Lengths, PackOptions, PadPackedOptions, PadSequenceOptions } from './sequence/pack';
export { packPaddedSequence, packSequence, padPackedSequence, padSequence } from './sequence/pack';

// Packed sequences (re-exported by @seqlab/data, where users find them)
export { PackedSequence } from './sequence/packed-sequence';
export type { Shape } from './shape';
export { broadcastShapes, numel } from './shape';
export type { NestedArray } from './tensor';
export { Tensor } from './tensor';
