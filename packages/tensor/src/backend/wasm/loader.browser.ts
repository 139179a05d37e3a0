import { BackendError } from '../../errors';
import { RECURRENT_GATES } from '../backend';
import { gemmPacked, gemmVia, packB } from '../js/gemm';
import { jsBackend } from '../js/index';
import { makeRecurrentKernels, recurrentBackward, recurrentForward } from '../js/recurrent/loop';
import { coalesce, contiguousStrides } from '../js/strided';
import type { WasmBackendLoad } from './loader';
import type { WasmSource } from './wasm-source';

// NOTE(wasm-lazy) in loader.ts: the ES module build's loader, which imports the wasm backend's
// JavaScript only when `ready()` asks for it (a chunk of its own in an app's bundle).

/** The kernels are never at hand synchronously in this build: `ready()` fetches them. */
export function loadWasmBackend(): WasmBackendLoad {
  return {
    ok: false,
    reason: 'this build loads the WebAssembly kernels asynchronously',
    blockedByCsp: false,
    retryAsync: true,
  };
}

/**
 * Imports the backend's JavaScript and hands it this side's js kernels and errors
 * (NOTE(wasm-js-parts)), then fetches and compiles the kernels from `source`.
 */
export async function loadWasmBackendAsync(source?: WasmSource): Promise<WasmBackendLoad> {
  const chunk = await import('./loader-chunk.browser');
  chunk.provideJsParts([
    BackendError,
    RECURRENT_GATES,
    gemmPacked,
    gemmVia,
    packB,
    jsBackend,
    makeRecurrentKernels,
    recurrentBackward,
    recurrentForward,
    coalesce,
    contiguousStrides,
  ]);
  return chunk.loadWasmBackendAsync(source);
}
