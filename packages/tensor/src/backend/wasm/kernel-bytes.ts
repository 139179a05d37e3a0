import { KERNELS_BASE64 } from './kernels';
import type { WasmSource } from './wasm-source';

// NOTE(wasm-bytes): where the registry gets the module (built by tools/wasm/build.mjs from the C
// files beside this one, in two forms: kernels.ts, 64 KB of base64, and kernels.wasm, 48 KB).
// Two builds of this file:
// - this one (Node's build, the CommonJS one `import` and `require` share, and the sources that
//   vitest and tsx run): the bytes are part of the module, so the first synchronous op may compile
//   them synchronously, which Node allows for a module of any size, and nothing is read from disk
//   or fetched: the CommonJS build has no `import.meta.url` to find a file with, a program bundled
//   for Node (esbuild --platform=node, ncc) carries no asset, and the main entry stays free of
//   `node:fs` (a browser bundler may give it to code that calls `require`). The cost, 64 KB in a
//   file only Node loads, is not paid by any page;
// - kernel-bytes.browser.ts (the ES module build that bundlers give a browser, swapped in by
//   packages/tensor/tsup.config.ts): `ready()` fetches kernels.wasm, which the build copies next to
//   it (dist/kernels.wasm), from `new URL('./kernels.wasm', import.meta.url)` (the pattern Vite,
//   webpack 5 and Rollup turn into an asset of the app's build) and compiles it while it downloads
//   (`WebAssembly.compileStreaming`). A page downloads the kernels only when it asks for wasm, and
//   its JavaScript carries no base64. Synchronous ops before `ready()` run the js kernels there.
// An application may pass its own URL or bytes to either build: `ready({ wasm })`.

let bytes: Uint8Array<ArrayBuffer> | undefined;

/** The module's bytes (decoded once), or undefined while this build has not loaded them. */
export function kernelBytesSync(): Uint8Array<ArrayBuffer> | undefined {
  if (bytes === undefined) {
    const binary = atob(KERNELS_BASE64);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** Where `ready()` compiles the module from when the application names no source: its bytes. */
export function defaultKernelSource(): WasmSource {
  return kernelBytesSync() as Uint8Array<ArrayBuffer>;
}
