import type { FloatStorage } from '../../dtype';
import { KERNELS_BASE64 } from './kernels';

// The compiled module (kernels.ts, built from the C files beside this one) and its memory, which
// the GEMM (gemm.ts) and the fused recurrence (recurrent.ts) share: each call lays its operands out
// from `start` on, so a call may overwrite what the previous one left there.
//
// NOTE(wasm-copies): tensors live in JavaScript typed arrays, so a call copies its operands into
// the module's memory and its results back out: a GEMM per call (A, and C when accumulating; B
// arrives packed (packB) and stays resident while the same packed array comes back), the fused
// recurrence once per sequence (W_hh is packed in wasm and stays there for all its time steps).
// Packed arrays are never written after packB returns them, which is what makes the identity check
// sound; a recurrent call, which writes over the region, forgets the resident array.

/** The module's exported functions; pointers are byte addresses in its memory. */
export interface KernelExports {
  gemm_packed(m: number, n: number, k: number, a: number, b: number, c: number, acc: number): void;
  transpose(k: number, m: number, src: number, dst: number): void;
  recurrent_forward(args: number): void;
  recurrent_backward(args: number): void;
  act_exp(n: number, src: number, dst: number): void;
  act_sigmoid(n: number, src: number, dst: number): void;
  act_tanh(n: number, src: number, dst: number): void;
}

/** The instantiated module and its memory, as float32 slots (index × 4 = byte address). */
export interface WasmModule {
  readonly exports: KernelExports;
  /** First float slot a call may use (after the module's stack), 16-byte aligned. */
  readonly start: number;
  /** The memory as floats; a new view after `reserve` grew it. */
  heap(): Float32Array;
  /** The memory as int32s (same slots). */
  heapInt(): Int32Array;
  /** Grows the memory so that slots [0, end) exist. */
  reserve(end: number): void;
  /** The packed B the GEMM left at `start`, or null (NOTE(wasm-copies)). */
  resident: FloatStorage | null;
}

/** What `instantiateKernels` returns: the module, or why there is none. */
export type WasmModuleLoad = { ok: true; module: WasmModule } | { ok: false; reason: string };

const PAGE = 65536;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Compiles and instantiates the SIMD kernels synchronously. Not available (with the reason) when
 * WebAssembly or its SIMD128 proposal is missing, or when compiling fails.
 */
export function instantiateKernels(): WasmModuleLoad {
  if (typeof WebAssembly !== 'object') return { ok: false, reason: 'no WebAssembly in this runtime' };
  const bytes = decodeBase64(KERNELS_BASE64);
  if (!WebAssembly.validate(bytes)) return { ok: false, reason: 'this runtime has no WebAssembly SIMD128' };
  const memory = new WebAssembly.Memory({ initial: 32 });
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  } catch (e) {
    return { ok: false, reason: `compiling the WebAssembly kernels failed: ${(e as Error).message}` };
  }
  let floats = new Float32Array(memory.buffer);
  let ints = new Int32Array(memory.buffer);
  const module: WasmModule = {
    exports: instance.exports as unknown as KernelExports,
    start: Math.ceil((instance.exports.__heap_base as WebAssembly.Global).value / 16) * 4,
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
  };
  return { ok: true, module };
}
