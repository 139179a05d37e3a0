import type { Backend } from '../backend';
import { packB } from '../js/gemm';
import { jsBackend } from '../js/index';
import { makeRecurrentKernels } from '../js/recurrent/loop';
import { makeWasmGemm, type WasmGemm } from './gemm';
import { kernelBytes, kernelBytesSync } from './kernel-bytes';
import {
  instantiateKernels,
  instantiateKernelsAsync,
  type KernelExports,
  type WasmModule,
  type WasmModuleLoad,
} from './module';
import { makeWasmRecurrent } from './recurrent';

// The wasm backend: the js backend with its GEMMs (every matmul and input projection, forward and
// backward; gemm.ts) and its fused recurrence (the time loop, every step's GEMM and the gate math,
// one call per sequence and direction; recurrent.ts) run by WebAssembly SIMD128 kernels compiled
// from the C files beside this one. Everything else, and any float64 work (gradcheck), runs the
// js kernels. Operands are copied in and out of the module's memory, see NOTE(wasm-copies).

export type { WasmGemm } from './gemm';

/** The wasm kernels the backend is made of. */
export interface WasmKernels extends WasmGemm {
  recurrentForward: Backend['recurrentForward'];
  recurrentBackward: Backend['recurrentBackward'];
  /** The module itself, for tests that call its exports (activations.test.ts). */
  module: WasmModule;
}

/**
 * What `loadWasmKernels` returns: the kernels, or why there are none (`blockedByCsp`: the page's
 * Content-Security-Policy refused to compile WebAssembly, see NOTE(wasm-csp); `retryAsync`: only
 * the synchronous way failed, and `loadWasmKernelsAsync` may succeed).
 */
export type WasmKernelsLoad =
  | ({ ok: true } & WasmKernels)
  | { ok: false; reason: string; blockedByCsp: boolean; retryAsync: boolean };

function kernelsOf(load: WasmModuleLoad): WasmKernelsLoad {
  if (!load.ok) return load;
  return { ok: true, module: load.module, ...makeWasmGemm(load.module), ...makeWasmRecurrent(load.module) };
}

/**
 * Compiles and instantiates the SIMD kernels synchronously. Not available (with the reason) when
 * WebAssembly or its SIMD128 proposal is missing, when compiling fails, or when this build has not
 * loaded the module's bytes yet (the ES module build loads them in `loadWasmKernelsAsync`, see
 * NOTE(wasm-bytes)).
 */
export function loadWasmKernels(base64: string | undefined = kernelBytesSync()): WasmKernelsLoad {
  if (base64 === undefined)
    return {
      ok: false,
      reason: 'this build loads the WebAssembly kernels asynchronously',
      blockedByCsp: false,
      retryAsync: true,
    };
  return kernelsOf(instantiateKernels(base64));
}

/**
 * Loads the module's bytes, then compiles and instantiates the SIMD kernels asynchronously
 * (`WebAssembly.compile`, which a browser's main thread needs for a module over 4 KB). Fails as
 * `loadWasmKernels` does, or when the bytes' chunk cannot be loaded.
 */
export async function loadWasmKernelsAsync(): Promise<WasmKernelsLoad> {
  let base64: string;
  try {
    base64 = await kernelBytes();
  } catch (e) {
    const reason = `loading the WebAssembly kernels failed: ${(e as Error).message}`;
    return { ok: false, reason, blockedByCsp: false, retryAsync: false };
  }
  return kernelsOf(await instantiateKernelsAsync(base64));
}

/**
 * The GEMM-only variant of the fused recurrence: js/recurrent/loop.ts's time loop and gate math
 * over the wasm GEMMs, one wasm call per step. The backend used it before recurrent.c; it stays as
 * the baseline the recurrent benchmark compares with.
 */
export function stepwiseRecurrent(
  kernels: WasmGemm,
): Pick<Backend, 'recurrentForward' | 'recurrentBackward'> {
  return makeRecurrentKernels({ gemmPacked: kernels.gemmPacked, packB, gemm: kernels.gemm });
}

/** The wasm backend over loaded kernels. */
export function createWasmBackend(kernels: WasmKernels): Backend {
  return {
    ...jsBackend,
    name: 'wasm',
    gemm: kernels.gemm,
    recurrentForward: kernels.recurrentForward,
    recurrentBackward: kernels.recurrentBackward,
  };
}

export type { KernelExports };
