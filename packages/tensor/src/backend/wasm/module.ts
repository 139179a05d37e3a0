import type { FloatStorage } from '../../dtype';
import { compileKernelSource, FETCH_HINT, KernelFetchError } from './kernel-source';
import type { WasmSource } from './wasm-source';

// The compiled module (kernels.ts and kernels.wasm, built from the C files beside this one) and its memory, which
// the GEMM (gemm.ts) and the fused recurrence (recurrent.ts) share: each call lays its operands out
// from `scratch` on (after the arena's blocks, NOTE(wasm-arena)), so a call may overwrite what the
// previous one left there.
//
// NOTE(wasm-copies): tensors live in JavaScript typed arrays, so a call copies its operands into
// the module's memory and its results back out: a GEMM per call (A, and C when accumulating; B as
// stored, packed in wasm, or through gemmPacked B packed by packB, which stays resident while the
// same packed array comes back), the fused
// recurrence once per sequence (W_hh is packed in wasm and stays there for all its time steps).
// Packed arrays are never written after packB returns them, which is what makes the identity check
// sound; a recurrent call, which writes over the region, forgets the resident array.

/** The module's exported functions; pointers are byte addresses in its memory. */
export interface KernelExports {
  gemm_packed(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  transpose(k: number, m: number, src: number, dst: number): void;
  pack_b(trans: number, k: number, n: number, src: number, dst: number): void;
  recurrent_forward(args: number): void;
  recurrent_backward(args: number): void;
  recurrent_infer(
    args: number,
    I: number,
    x: number,
    wIh: number,
    wIhPacked: number,
    bias0: number,
    bias1: number,
  ): void;
  act_exp(n: number, src: number, dst: number): void;
  act_sigmoid(n: number, src: number, dst: number): void;
  act_tanh(n: number, src: number, dst: number): void;
  adam_step(
    n: number,
    x: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    scalars: number,
    maximize: number,
  ): void;
  add_bias(rows: number, n: number, y: number, bias: number): void;
  sum_rows(rows: number, n: number, x: number, acc: number): void;
  sum_squares(n: number, x: number, init: number): number;
  dropout(n: number, state: number, lim: number, keep: number, x: number, mask: number, y: number): void;
}

/** The instantiated module and its memory, as float32 slots (index × 4 = byte address). */
export interface WasmModule {
  readonly exports: KernelExports;
  /** First float slot of the arena (after the module's stack), 16-byte aligned (NOTE(wasm-arena)). */
  readonly start: number;
  /** First float slot a call may use: after the arena's live blocks (arena.ts keeps it). */
  scratch: number;
  /** The memory as floats; a new view after `reserve` grew it. */
  heap(): Float32Array;
  /** The memory as int32s (same slots). */
  heapInt(): Int32Array;
  /** Grows the memory so that slots [0, end) exist. */
  reserve(end: number): void;
  /** The packed B the GEMM left at `scratch`, or null (NOTE(wasm-copies)). */
  resident: FloatStorage | null;
  /**
   * Another instance of the same compiled kernels over a memory of its own, or null when the
   * runtime refuses to instantiate synchronously (NOTE(wasm-adam-state)).
   */
  spawn(): WasmModule | null;
}

/**
 * What compiling the kernels gave: the module (with a `warning` to print once when it compiled the
 * slower way, see compileKernelSource), or why there is none. `blockedByCsp` is true when the page's
 * Content-Security-Policy refused to compile WebAssembly (see NOTE(wasm-csp)), `retryAsync` when
 * only the synchronous way was refused (a browser's main thread compiles a module over 4 KB only
 * asynchronously: Chromium throws a RangeError) or could not run yet; `hint` says how to fix it
 * (with `expected`, a refusal's words for the registry's BackendError).
 */
export type WasmModuleLoad = { ok: true; module: WasmModule; warning?: string } | WasmLoadFailure;

/** Why there is no module (and so no kernels): see WasmModuleLoad. */
export interface WasmLoadFailure {
  ok: false;
  reason: string;
  blockedByCsp: boolean;
  retryAsync: boolean;
  hint?: string;
  /** What a refusal's BackendError says was expected (`blockedByCsp`). */
  expected?: string;
}

const PAGE = 65536;

/** The functions (and the global) the C files export: a module without one is not our kernels. */
const EXPORTS = [
  'gemm_packed',
  'pack_b',
  'transpose',
  'recurrent_forward',
  'recurrent_backward',
  'recurrent_infer',
  'act_exp',
  'act_sigmoid',
  'act_tanh',
  'adam_step',
  'add_bias',
  'sum_rows',
  'sum_squares',
  'dropout',
  '__heap_base',
] as const satisfies readonly (keyof KernelExports | '__heap_base')[];

// NOTE(wasm-csp): a page whose Content-Security-Policy has a script-src without
// 'wasm-unsafe-eval' (or 'unsafe-eval') may not compile WebAssembly: Chromium rejects with a
// CompileError ("Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not
// an allowed source of script in the following Content Security Policy directive: …"), Firefox
// with an error naming CSP, and a Worker inherits its own policy. The registry turns that into a
// BackendError naming the directive to add (a warning, or a rejection when wasm was asked for),
// never a quiet switch to the js kernels.
const CSP_MESSAGE = /Content Security Policy|\bCSP\b|unsafe-eval/i;

/**
 * The hint of the registry's BackendError for a refusal (here, with its `expected` below, in the
 * wasm backend's chunk of a browser bundle, not in the registry that every page loads).
 */
const CSP_HINT =
  "Add 'wasm-unsafe-eval' to the script-src directive of the page (and of a Worker script's response) to run the wasm kernels, or call setBackend('js') to run the pure-TypeScript ones without this message";

/** Whether a compile error is a Content-Security-Policy refusal (NOTE(wasm-csp)). */
export function isCspRefusal(error: unknown): boolean {
  return error instanceof EvalError || (error instanceof Error && CSP_MESSAGE.test(error.message));
}

const failed = (error: unknown, sync: boolean): WasmModuleLoad => {
  if (error instanceof KernelFetchError) {
    const reason = `loading the WebAssembly kernels failed: ${error.message}`;
    return { ok: false, reason, blockedByCsp: false, retryAsync: false, hint: FETCH_HINT };
  }
  const reason = `compiling the WebAssembly kernels failed: ${(error as Error).message}`;
  const retryAsync = sync && error instanceof RangeError;
  if (!isCspRefusal(error)) return { ok: false, reason, blockedByCsp: false, retryAsync };
  return {
    ok: false,
    reason,
    blockedByCsp: true,
    retryAsync,
    expected:
      "a Content-Security-Policy that lets the page compile WebAssembly ('wasm-unsafe-eval' in script-src)",
    hint: CSP_HINT,
  };
};

/** Why this runtime cannot run the kernels (`bytes`, when they are at hand), or null when it can. */
function unsupported(bytes?: BufferSource): WasmModuleLoad | null {
  if (typeof WebAssembly !== 'object')
    return { ok: false, reason: 'no WebAssembly in this runtime', blockedByCsp: false, retryAsync: false };
  if (bytes !== undefined && !WebAssembly.validate(bytes))
    return {
      ok: false,
      reason: 'this runtime has no WebAssembly SIMD128',
      blockedByCsp: false,
      retryAsync: false,
    };
  return null;
}

/**
 * Compiles and instantiates the SIMD kernels (`bytes`, the module of kernels.ts) synchronously.
 * Not available (with the reason) when WebAssembly or its SIMD128 proposal is missing, or when
 * compiling fails. A browser's main thread refuses to compile a module over 4 KB synchronously
 * (this one is about 48 KB): there, `instantiateKernelsAsync`.
 */
export function instantiateKernels(bytes: Uint8Array<ArrayBuffer>): WasmModuleLoad {
  const refused = unsupported(bytes);
  if (refused) return refused;
  const memory = new WebAssembly.Memory({ initial: 32 });
  try {
    const compiled = new WebAssembly.Module(bytes);
    return wrap(new WebAssembly.Instance(compiled, { env: { memory } }), memory, compiled);
  } catch (e) {
    return failed(e, true);
  }
}

/**
 * Compiles the SIMD kernels from `source` asynchronously (compileKernelSource: `WebAssembly.compile`
 * for bytes, `WebAssembly.compileStreaming` for a URL or a Response) and instantiates them, off the
 * calling thread's critical path: the way a browser's main thread must. Fails as
 * `instantiateKernels` does, when the file cannot be fetched (with the hint), or when the module
 * is not seqlab's kernels (an export missing).
 */
export async function instantiateKernelsAsync(source: WasmSource): Promise<WasmModuleLoad> {
  const refused = unsupported(
    source instanceof ArrayBuffer || ArrayBuffer.isView(source) ? (source as BufferSource) : undefined,
  );
  if (refused) return refused;
  const memory = new WebAssembly.Memory({ initial: 32 });
  try {
    const { module, warning } = await compileKernelSource(source);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const missing = EXPORTS.filter((name) => instance.exports[name] === undefined);
    if (missing.length > 0) {
      const reason = `the WebAssembly module given is not seqlab's kernels: it has no export ${missing.join(', ')}`;
      return { ok: false, reason, blockedByCsp: false, retryAsync: false };
    }
    const load = wrap(instance, memory, module);
    return warning === undefined || !load.ok ? load : { ...load, warning };
  } catch (e) {
    return failed(e, false);
  }
}

/** The instantiated module (of `compiled`) with its memory views. */
function wrap(
  instance: WebAssembly.Instance,
  memory: WebAssembly.Memory,
  compiled: WebAssembly.Module,
): WasmModuleLoad & { ok: true } {
  let floats = new Float32Array(memory.buffer);
  let ints = new Int32Array(memory.buffer);
  const start = Math.ceil((instance.exports.__heap_base as WebAssembly.Global).value / 16) * 4;
  const module: WasmModule = {
    exports: instance.exports as unknown as KernelExports,
    start,
    scratch: start,
    heap: () => floats,
    heapInt: () => ints,
    reserve(end) {
      if (end * 4 <= memory.buffer.byteLength) return;
      memory.grow(Math.ceil((end * 4 - memory.buffer.byteLength) / PAGE));
      floats = new Float32Array(memory.buffer);
      ints = new Int32Array(memory.buffer);
    },
    // A strong reference to that one array, not a WeakRef: a WeakRef keeps its target alive until
    // the current job ends, and a synchronous training loop is one job, so every step's packed
    // weights would stay alive (the leak wasm.test.ts guards against).
    resident: null,
    spawn() {
      const own = new WebAssembly.Memory({ initial: 32 });
      try {
        return wrap(new WebAssembly.Instance(compiled, { env: { memory: own } }), own, compiled).module;
      } catch {
        return null;
      }
    },
  };
  return { ok: true, module };
}
