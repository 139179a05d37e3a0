// @seqlab/tensor/backend: the kernel surface, for those who write a backend (or call kernels from
// a fused op of their own). Users pick a backend with `setBackend`, `getBackend` and `listBackends`
// from the main entry; nothing here is needed to train or run a model.
//
// A backend implements every kernel of `Backend` (a missing one fails the typecheck), usually by
// starting from `jsBackend` and replacing the kernels it makes faster, then `registerBackend`s
// itself explicitly (never as an import side effect). The conformance suite
// (packages/tensor/src/backend/conformance.test.ts) checks every registered backend against the
// reference kernels.

// The forward-only recurrent layer over the optional inference kernels, for the `layerInference` hook
export { inferRecurrentLayer, setReverseDeferral } from '../ops/recurrent-infer';
export { setTrainingReverseDeferral } from '../ops/recurrent-train-defer';
// The kernel interface and its argument types
export type {
  AdamStepArgs,
  Backend,
  BinaryOp,
  FusedOptimizerKernels,
  LayerInferenceOptions,
  ProjectionGradient,
  RecurrentBackwardArgs,
  RecurrentCell,
  RecurrentForwardArgs,
  RecurrentInferArgs,
  RecurrentInferInputArgs,
  ReduceOp,
  SavedBlock,
  StateMemory,
  StridedView,
  UnaryOp,
} from './backend';
export { RECURRENT_GATES } from './backend';
export type { GemmFn, GemmKernels, GemmPackedFn } from './js/gemm';
// Building blocks: the js backend to start from (and its GEMM kernels, for the float64 work a
// float32-only backend hands back), and the fused recurrence over your own GEMMs
export { jsGemmKernels } from './js/gemm';
export { jsBackend } from './js/index';
export { makeRecurrentKernels } from './js/recurrent/loop';
// Merging the dims of strided views, as the js kernels do (a native kernel can take the merged geometry)
export { coalesce } from './js/strided';
// The registry: make a backend selectable, and the active one's kernels
export { backend, type RegisterBackendOptions, registerBackend } from './registry';
// The wasm backend runs it when given it here: `setWasmLayerInference(inferRecurrentLayer)`
// (NOTE(wasm-layer-inference); a page pays for the forward-only layer's bytes only when it asks)
export { type LayerInferenceFn, setWasmLayerInference } from './wasm/layer-inference';
