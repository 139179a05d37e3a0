import type { Backend } from '../backend';
import type { WasmArena } from './arena';
import { makeStateMemory, makeWasmBlocked } from './blocked';
import { makeWasmGemm, type WasmGemm } from './gemm';
import { makeWasmInfer } from './infer';
import { jsBackend, makeRecurrentKernels, packB } from './js-parts';
import { defaultKernelSource, kernelBytesSync } from './kernel-bytes';
import { wasmLayerInference } from './layer-inference';
import {
  instantiateKernels,
  instantiateKernelsAsync,
  type KernelExports,
  type WasmLoadFailure,
  type WasmModule,
  type WasmModuleLoad,
} from './module';
import { makeWasmRecurrent } from './recurrent';
import type { WasmSource } from './wasm-source';

// The wasm backend: the js backend with its GEMMs (every matmul and input projection, forward and
// backward, and `linear`'s with its bias adds on C in module memory; gemm.ts) and its fused recurrence (the time loop, every step's GEMM and the gate math,
// one call per sequence and direction; recurrent.ts), Adam's update, linear's bias add, the
// bias gradients' sum over rows, dropout's mask and clip-grad-norm's sum of squares (blocked.ts) run by WebAssembly SIMD128 kernels compiled from the C
// files beside this one. Everything else, and any float64 work (gradcheck), runs the js kernels.
// Operands are copied in and out of the module's memory, see NOTE(wasm-copies).

export type { WasmGemm } from './gemm';

/** The wasm kernels the backend is made of. */
export interface WasmKernels extends WasmGemm {
  recurrentForward: Backend['recurrentForward'];
  recurrentBackward: Backend['recurrentBackward'];
  reserveSaved: NonNullable<Backend['reserveSaved']>;
  /** The arena of the saved blocks (NOTE(wasm-arena)), for tests. */
  arena: WasmArena;
  recurrentInferMany: NonNullable<Backend['recurrentInferMany']>;
  recurrentInferInputMany: NonNullable<Backend['recurrentInferInputMany']>;
  adamStep: NonNullable<Backend['adamStep']>;
  addBias: NonNullable<Backend['addBias']>;
  reduce: Backend['reduce'];
  dropout: NonNullable<Backend['dropout']>;
  sumSquares: NonNullable<Backend['sumSquares']>;
  /** The module itself, for tests that call its exports (activations.test.ts). */
  module: WasmModule;
}

/**
 * What `loadWasmKernels` returns: the kernels (with a `warning` to print once when they compiled the
 * slower way), or why there are none (`blockedByCsp`: the page's Content-Security-Policy refused to
 * compile WebAssembly, see NOTE(wasm-csp); `retryAsync`: only the synchronous way failed, and
 * `loadWasmKernelsAsync` may succeed; `hint`: how to fix it).
 */
export type WasmKernelsLoad = ({ ok: true; warning?: string } & WasmKernels) | WasmLoadFailure;

function kernelsOf(load: WasmModuleLoad): WasmKernelsLoad {
  if (!load.ok) return load;
  const gemm = makeWasmGemm(load.module);
  const kernels = {
    module: load.module,
    ...gemm,
    ...makeWasmRecurrent(load.module, gemm),
    ...makeWasmInfer(load.module),
    ...makeWasmBlocked(load.module),
  };
  return load.warning === undefined
    ? { ok: true, ...kernels }
    : { ok: true, warning: load.warning, ...kernels };
}

/**
 * Compiles and instantiates the SIMD kernels synchronously. Not available (with the reason) when
 * WebAssembly or its SIMD128 proposal is missing, when compiling fails, or when this build has no
 * bytes at hand (the ES module build fetches kernels.wasm in `loadWasmKernelsAsync`, see
 * NOTE(wasm-bytes)).
 */
export function loadWasmKernels(
  bytes: Uint8Array<ArrayBuffer> | undefined = kernelBytesSync(),
): WasmKernelsLoad {
  if (bytes === undefined)
    return {
      ok: false,
      reason: 'this build loads the WebAssembly kernels asynchronously',
      blockedByCsp: false,
      retryAsync: true,
    };
  return kernelsOf(instantiateKernels(bytes));
}

/**
 * Compiles and instantiates the SIMD kernels asynchronously from `source` (default: this build's,
 * NOTE(wasm-bytes)): `WebAssembly.compile` for bytes, which a browser's main thread needs for a
 * module over 4 KB, `WebAssembly.compileStreaming` for a URL. Fails as `loadWasmKernels` does, or
 * when the file cannot be fetched.
 */
export async function loadWasmKernelsAsync(
  source: WasmSource = defaultKernelSource(),
): Promise<WasmKernelsLoad> {
  return kernelsOf(await instantiateKernelsAsync(source));
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
    gemmBias: kernels.gemmBias,
    recurrentForward: kernels.recurrentForward,
    recurrentBackward: kernels.recurrentBackward,
    reserveSaved: kernels.reserveSaved,
    projectIntoSaved: true,
    recurrentInferMany: kernels.recurrentInferMany,
    recurrentInferInputMany: kernels.recurrentInferInputMany,
    adamStep: kernels.adamStep,
    addBias: kernels.addBias,
    reduce: kernels.reduce,
    dropout: kernels.dropout,
    sumSquares: kernels.sumSquares,
    stateMemory: (bytes) => makeStateMemory(kernels.module, bytes),
    // recurrentLayer forward-only on the two inference kernels above (infer.ts), once set
    // (NOTE(wasm-layer-inference)).
    layerInference(list, options) {
      return wasmLayerInference()?.(this, list, options) ?? null;
    },
  };
}

export type { KernelExports };
