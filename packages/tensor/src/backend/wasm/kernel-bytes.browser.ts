// The ES module build's kernel-bytes.ts (NOTE(wasm-bytes)): the bytes are a chunk of their own,
// loaded by the first `kernelBytes()` (the registry's `ready()`).

let loaded: string | undefined;

/** The module's bytes as base64, or undefined until `kernelBytes()` loaded them. */
export function kernelBytesSync(): string | undefined {
  return loaded;
}

/** The module's bytes as base64, loading their chunk on the first call. */
export async function kernelBytes(): Promise<string> {
  loaded ??= (await import('./kernels')).KERNELS_BASE64;
  return loaded;
}
