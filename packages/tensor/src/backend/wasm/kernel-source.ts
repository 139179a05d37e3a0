import { BackendError } from './js-parts';
import type { WasmSource } from './wasm-source';

// Where `ready()` gets the compiled module from (NOTE(wasm-bytes) in kernel-bytes.ts): the build's
// default (the bytes in Node's build, kernels.wasm beside the ES module build) or the application's
// `ready({ wasm })` (the type and its check are wasm-source.ts).

/** What `compileKernelSource` gave: the module, with a warning when it took a slower way. */
export interface CompiledKernels {
  module: WebAssembly.Module;
  /** A BackendError's text to print once (console.warn): the kernels compiled, but not streaming. */
  warning?: string;
}

/**
 * A failure to fetch the kernels (a network error, an HTTP status): not a compile error, so the
 * reason says where they were looked for and the hint how to put them there.
 */
export class KernelFetchError extends Error {
  override name = 'KernelFetchError';
}

/** The hint of a kernels.wasm that could not be fetched (in the wasm backend's chunk, loaded by `ready()`). */
export const FETCH_HINT =
  'Copy node_modules/@seqlab/tensor/dist/kernels.wasm beside the bundle (Vite and webpack do, esbuild does not), or pass its URL or bytes to ready({ wasm })';

/**
 * Compiles the kernels from `source` asynchronously: bytes with `WebAssembly.compile`, a URL or a
 * Response with `WebAssembly.compileStreaming` (compiling while the file downloads) where the
 * runtime has it. A server that sends kernels.wasm with another Content-Type than application/wasm
 * makes `compileStreaming` refuse it: the bytes are then compiled with `WebAssembly.compile`, and
 * the warning says why. Rejects with a KernelFetchError when the file cannot be fetched, and with the
 * runtime's own error when it does not compile (a CompileError, a Content-Security-Policy refusal).
 */
export async function compileKernelSource(source: WasmSource): Promise<CompiledKernels> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source))
    return { module: await WebAssembly.compile(source as BufferSource) };
  const isResponse = typeof Response === 'function' && source instanceof Response;
  if (typeof source !== 'string' && !(source instanceof URL) && !isResponse)
    return { module: source as WebAssembly.Module };
  const where = isResponse ? (source as Response).url || 'the Response given to ready()' : String(source);
  let response: Response;
  if (isResponse) {
    response = source as Response;
  } else {
    try {
      response = await fetch(source as string | URL);
    } catch (e) {
      throw new KernelFetchError(`fetching ${where} failed: ${(e as Error).message}`);
    }
  }
  if (!response.ok)
    throw new KernelFetchError(
      `fetching ${where} failed: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  if (typeof WebAssembly.compileStreaming !== 'function')
    return { module: await WebAssembly.compile(await response.arrayBuffer()) };
  // A copy of the body, in case compileStreaming refuses the response for its Content-Type.
  const spare = response.clone();
  try {
    return { module: await WebAssembly.compileStreaming(response) };
  } catch (e) {
    // A CompileError (bad bytes, or a Content-Security-Policy refusal) is the module's answer,
    // whatever the headers; a TypeError is the response's (its Content-Type, in every browser).
    if (!(e instanceof TypeError)) throw e;
    const type = response.headers.get('content-type');
    const warning = new BackendError(
      'ready',
      `${where} served as application/wasm`,
      `${type === null ? 'no Content-Type' : `'${type}'`} (${e.message})`,
      'Compiled it from the downloaded bytes instead of while downloading',
    );
    return {
      module: await WebAssembly.compile(await spare.arrayBuffer()),
      warning: `${warning.name}: ${warning.message}`,
    };
  }
}
