// What `ready({ wasm })` accepts, and the registry's check of it. Apart from kernel-source.ts (the
// compiling, which only the wasm backend's own chunk needs): the registry, part of every bundle,
// imports this file alone (NOTE(wasm-lazy) in loader.ts).

/**
 * The wasm kernels as `ready({ wasm })` takes them: the URL of a `kernels.wasm` (a string, resolved
 * as `fetch` resolves it, or a URL), a `Response` (e.g. from a cache or a fetch with credentials),
 * the module's bytes (an ArrayBuffer or a typed array), or a `WebAssembly.Module` compiled by the
 * application.
 */
export type WasmSource = string | URL | Response | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/** Whether `value` is a WasmSource (what `ready({ wasm })` accepts). */
export function isWasmSource(value: unknown): value is WasmSource {
  return (
    typeof value === 'string' ||
    value instanceof URL ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (typeof Response === 'function' && value instanceof Response) ||
    (typeof WebAssembly === 'object' &&
      typeof WebAssembly.Module?.prototype === 'object' &&
      value instanceof WebAssembly.Module)
  );
}
