import { KERNELS_BASE64 } from './kernels';

// NOTE(wasm-bytes): where the registry gets the module's bytes (kernels.ts, about 64 KB of
// base64). Two builds of this file:
// - this one (Node's build, the CommonJS one `import` and `require` share, and the sources that
//   vitest and tsx run): the bytes are part of the module, so the first synchronous op may compile
//   them synchronously, which Node allows for a module of any size;
// - kernel-bytes.browser.ts (the ES module build that bundlers give a browser, swapped in by
//   packages/tensor/tsup.config.ts): the bytes are a dynamic import, a chunk of their own that
//   `ready()` loads, so a page does not download them before it asks for them and a bundle's
//   first chunk stays small. Synchronous ops before `ready()` run the js kernels there.

/** The module's bytes as base64, or undefined while they are not loaded. */
export function kernelBytesSync(): string | undefined {
  return KERNELS_BASE64;
}

/** The module's bytes as base64, loading them if needed. */
export async function kernelBytes(): Promise<string> {
  return KERNELS_BASE64;
}
