import type { Backend } from '../backend';
import { createWasmBackend, loadWasmKernels, loadWasmKernelsAsync, type WasmKernelsLoad } from './index';
import type { WasmSource } from './wasm-source';

// NOTE(wasm-lazy): what the registry loads the wasm backend through. Two builds of this file, as of
// kernel-bytes.ts (NOTE(wasm-bytes)):
// - this one (Node's build and the sources): the backend's JavaScript is imported with the registry,
//   so the first synchronous op may compile the kernels and use them at once;
// - loader.browser.ts (the ES module build that bundlers give a browser): the backend's JavaScript
//   (the GEMM and recurrence wrappers, the module loader) is imported by `ready()` with the kernels
//   it fetches, so a bundler splits it into a chunk of its own that a page loads only when it asks
//   for wasm, and synchronous ops before `ready()` run the js kernels.

/** How loading the wasm backend ended: the backend (and a warning to print once), or why not. */
export type WasmBackendLoad =
  | Extract<WasmKernelsLoad, { ok: false }>
  | { ok: true; warning?: string; backend: Backend };

function withBackend(load: WasmKernelsLoad): WasmBackendLoad {
  if (!load.ok) return load;
  const backend = createWasmBackend(load);
  return load.warning === undefined ? { ok: true, backend } : { ok: true, warning: load.warning, backend };
}

/** Compiles the kernels synchronously, where this build has their bytes at hand (`loadWasmKernels`). */
export function loadWasmBackend(): WasmBackendLoad {
  return withBackend(loadWasmKernels());
}

/** Compiles the kernels asynchronously from `source` (the build's own when undefined). */
export async function loadWasmBackendAsync(source?: WasmSource): Promise<WasmBackendLoad> {
  return withBackend(await (source === undefined ? loadWasmKernelsAsync() : loadWasmKernelsAsync(source)));
}
