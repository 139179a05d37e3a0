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

/** Imports the backend's JavaScript, then fetches and compiles the kernels from `source`. */
export async function loadWasmBackendAsync(source?: WasmSource): Promise<WasmBackendLoad> {
  const loader = await import('./loader');
  return loader.loadWasmBackendAsync(source);
}
