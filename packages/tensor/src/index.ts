// Tensor and dtypes
export { Tensor } from './tensor';
export type { NestedArray } from './tensor';
export type { DType, Storage, FloatStorage } from './dtype';
export type { Shape } from './shape';
export { numel, broadcastShapes } from './shape';

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
export { Generator, defaultGenerator, manualSeed } from './random';

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
export { matmul } from './ops/matmul';

// Neural-network functions
export { dropout, logSoftmax, softmax } from './ops/nn';
export type { DropoutOptions } from './ops/nn';

// Autograd
export { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode';
export { recordOp } from './autograd/function';
export type { BackwardFn, OutputGrads } from './autograd/node';
export { sumTo } from './autograd/gradients';

// Backends
export type { Backend, BinaryOp, ReduceOp, StridedView, UnaryOp } from './backend/backend';
export { getBackend, listBackends, registerBackend, setBackend, backend } from './backend/registry';

// Errors
export {
  BackendError,
  ConfigError,
  DTypeError,
  FormatError,
  SeqlabError,
  ShapeError,
  formatShape,
} from './errors';
