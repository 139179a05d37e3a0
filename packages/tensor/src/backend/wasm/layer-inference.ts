import type { Backend } from '../backend';

// NOTE(wasm-layer-inference): the wasm backend's `layerInference` hook runs inferRecurrentLayer
// (ops/recurrent-infer.ts) over its inference kernels (infer.ts) once it is given it:
// `setWasmLayerInference(inferRecurrentLayer)`, both from `@seqlab/tensor/backend` (the seqlab CLI
// does, at start-up). The backend cannot import it: the ops import the registry, which imports
// this backend (an import cycle), and loading it lazily with the backend's chunk costs a browser's
// LSTM-forward bundle ≈ 0.9 KB gzip (the modules the entry and that chunk share move into a chunk
// of their own, gzipped apart). So a page opts in, and until then the hook declines and inference
// runs `linear` + `recurrentForward`: the same bits, slower.

/** inferRecurrentLayer's signature: the backend's kernels, then the hook's arguments. */
export type LayerInferenceFn = (
  kernels: Backend,
  ...args: Parameters<NonNullable<Backend['layerInference']>>
) => ReturnType<NonNullable<Backend['layerInference']>>;

let layerInference: LayerInferenceFn | null = null;

/** Sets the forward-only layer the wasm backend's `layerInference` hook runs (null: none). */
export function setWasmLayerInference(fn: LayerInferenceFn | null): void {
  layerInference = fn;
}

/** The forward-only layer, once set; else null. */
export function wasmLayerInference(): LayerInferenceFn | null {
  return layerInference;
}
