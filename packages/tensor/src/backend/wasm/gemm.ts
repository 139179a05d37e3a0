import { type GemmKernels, type GemmPackedFn, gemmVia, gemmPacked as jsGemmPacked, packB } from '../js/gemm';
import type { WasmModule } from './module';

// The wasm GEMMs: gemm.c (4 × 8 register blocks of f32x4, float32 accumulation like PyTorch's CPU
// GEMMs) behind the js GEMM signatures, copying operands in and out per call (NOTE(wasm-copies)).
// Float64 storage (gradcheck) runs the js kernels.

/** The wasm GEMM kernels: `gemmPacked`, and the Backend's `gemm` with op(A) transposed in wasm. */
export interface WasmGemm {
  gemmPacked: GemmPackedFn;
  gemm: GemmKernels['gemm'];
}

export function makeWasmGemm(wasm: WasmModule): WasmGemm {
  const { gemm_packed: run, transpose } = wasm.exports;
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
    const bAt = wasm.start;
    const aAt = align4(bAt + packed.length);
    const cAt = align4(aAt + m * k);
    const srcAt = align4(cAt + m * n);
    wasm.reserve(transA ? srcAt + m * k : srcAt);
    const heap = wasm.heap();
    if (wasm.resident !== packed) {
      heap.set(packed, bAt);
      wasm.resident = packed;
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
  return { gemmPacked, gemm };
}
