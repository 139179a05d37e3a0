import type { WasmSource } from './wasm-source';

// The ES module build's kernel-bytes.ts (NOTE(wasm-bytes)): no bytes in the JavaScript; `ready()`
// fetches kernels.wasm from beside this module.

/** The module's bytes: never at hand synchronously in this build. */
export function kernelBytesSync(): undefined {
  return undefined;
}

/**
 * Where `ready()` compiles the module from when the application names no source: kernels.wasm next
 * to this file (dist/kernels.wasm beside the chunk this file is built into). Keep the expression
 * exactly `new URL('./kernels.wasm', import.meta.url)`: it is what Vite, webpack 5 and Rollup
 * (with an asset plugin) find, to copy the file into an app's build and rewrite the URL.
 */
export function defaultKernelSource(): WasmSource {
  return new URL('./kernels.wasm', import.meta.url);
}
