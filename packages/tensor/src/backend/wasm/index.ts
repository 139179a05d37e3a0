import type { FloatStorage } from '../../dtype';
import type { Backend } from '../backend';
import { type GemmKernels, type GemmPackedFn, gemmVia, gemmPacked as jsGemmPacked, packB } from '../js/gemm';
import { jsBackend } from '../js/index';
import { makeRecurrentKernels } from '../js/recurrent/loop';
import { KERNELS_BASE64 } from './kernels';

// The wasm backend: the js backend with its GEMMs (every matmul, the input projections and the
// per-step recurrent products, forward and backward) run by a WebAssembly SIMD128 kernel
// (gemm.c: 4x8 register blocks of f32x4, float32 accumulation like PyTorch's CPU GEMMs).
// Everything else, and any float64 work (gradcheck), runs the js kernels.
//
// NOTE(wasm-copies): tensors live in JavaScript typed arrays, so a call copies A (and C when
// accumulating) into the module's memory and C back out; B arrives packed (packB) and stays
// resident while the same packed array comes back — a recurrent layer's W_hh over all its time
// steps — so per step only the small state and gate rows move. Packed arrays are never written
// after packB returns them, which is what makes the identity check sound.

/** The wasm GEMM kernels: `gemmPacked`, and the Backend's `gemm` with op(A) transposed in wasm. */
export interface WasmGemm {
  gemmPacked: GemmPackedFn;
  gemm: GemmKernels['gemm'];
}

/** What `loadWasmGemm` returns: the kernels, or why there are none. */
export type WasmGemmLoad = ({ ok: true } & WasmGemm) | { ok: false; reason: string };

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const PAGE = 65536;

/**
 * Compiles and instantiates the SIMD kernels synchronously. Not available (with the reason) when
 * WebAssembly or its SIMD128 proposal is missing, or when compiling fails.
 */
export function loadWasmGemm(): WasmGemmLoad {
  if (typeof WebAssembly !== 'object') return { ok: false, reason: 'no WebAssembly in this runtime' };
  const bytes = decodeBase64(KERNELS_BASE64);
  if (!WebAssembly.validate(bytes)) return { ok: false, reason: 'this runtime has no WebAssembly SIMD128' };
  let instance: WebAssembly.Instance;
  const memory = new WebAssembly.Memory({ initial: 32 });
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  } catch (e) {
    return { ok: false, reason: `compiling the WebAssembly kernels failed: ${(e as Error).message}` };
  }
  const run = instance.exports.gemm_packed as (
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    acc: number,
  ) => void;
  const transpose = instance.exports.transpose as (k: number, m: number, src: number, dst: number) => void;
  // First float slot after the module's stack, 16-byte aligned.
  const start = Math.ceil((instance.exports.__heap_base as WebAssembly.Global).value / 16) * 4;
  let heap = new Float32Array(memory.buffer);
  // The packed B now in wasm memory. A strong reference to that one array, not a WeakRef: a WeakRef
  // keeps its target alive until the current job ends, and a synchronous training loop is one job,
  // so every step's packed weights would stay alive (the leak wasm.test.ts guards against).
  let resident: FloatStorage | null = null;
  const align4 = (x: number) => (x + 3) & ~3;

  /**
   * C (+)= op(A) @ B in wasm memory laid out as [packed B][A][C][Aᵀ source when transA]; A is read
   * from `A` at `base`, row-major [m, k], or with `transA` column-major ([k, m], transposed here).
   */
  const product = (
    transA: boolean,
    m: number,
    n: number,
    k: number,
    A: Float32Array,
    base: number,
    packed: Float32Array,
    c: Float32Array,
    cOff: number,
    accumulate: boolean,
  ) => {
    const bAt = start;
    const aAt = align4(bAt + packed.length);
    const cAt = align4(aAt + m * k);
    const srcAt = align4(cAt + m * n);
    const end = transA ? srcAt + m * k : srcAt;
    if (end * 4 > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end * 4 - memory.buffer.byteLength) / PAGE));
      heap = new Float32Array(memory.buffer);
    }
    if (resident !== packed) {
      heap.set(packed, bAt);
      resident = packed;
    }
    if (transA) {
      heap.set(A.subarray(base, base + m * k), srcAt);
      transpose(k, m, srcAt * 4, aAt * 4);
    } else {
      heap.set(A.subarray(base, base + m * k), aAt);
    }
    if (accumulate) heap.set(c.subarray(cOff, cOff + m * n), cAt);
    run(m, n, k, aAt * 4, bAt * 4, cAt * 4, accumulate ? 1 : 0);
    c.set(heap.subarray(cAt, cAt + m * n), cOff);
  };

  const gemmPacked: GemmPackedFn = (m, n, k, A, base, packed, c, cOff, accumulate) => {
    if (!(A instanceof Float32Array && packed instanceof Float32Array && c instanceof Float32Array)) {
      jsGemmPacked(m, n, k, A, base, packed, c, cOff, accumulate);
    } else if (m > 0 && n > 0 && k > 0) {
      product(false, m, n, k, A, base, packed, c, cOff, accumulate);
    } else if (m > 0 && n > 0 && !accumulate) {
      c.fill(0, cOff, cOff + m * n);
    }
  };

  const gemm: GemmKernels['gemm'] = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
    if (
      transA &&
      a instanceof Float32Array &&
      b instanceof Float32Array &&
      c instanceof Float32Array &&
      m * n * k > 0
    ) {
      product(true, m, n, k, a, aOff, packB(transB, k, n, b, bOff) as Float32Array, c, cOff, accumulate);
    } else {
      gemmVia(gemmPacked, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  };
  return { ok: true, gemmPacked, gemm };
}

/**
 * The wasm backend over a loaded kernel: the js backend with every GEMM (the Backend's `gemm` and
 * the fused recurrent kernels' products) run in WebAssembly SIMD.
 */
export function createWasmBackend({ gemmPacked, gemm }: WasmGemm): Backend {
  const kernels: GemmKernels = { gemmPacked, packB, gemm };
  return { ...jsBackend, name: 'wasm', gemm: kernels.gemm, ...makeRecurrentKernels(kernels) };
}
