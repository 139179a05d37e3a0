import type { Backend } from '../backend';
import type { GemmKernels, GemmPackedFn } from '../js/gemm';
import { BLOCK } from './blocked';
import { gemmVia, gemmPacked as jsGemmPacked } from './js-parts';
import type { WasmModule } from './module';

// The wasm GEMMs: gemm.c (4 × 8 register blocks of f32x4, float32 accumulation like PyTorch's CPU
// GEMMs) behind the js GEMM signatures, copying operands in and out per call (NOTE(wasm-copies)).
// The Backend's `gemm` copies B in as stored and packs it in wasm (pack_b): no packed copy is
// allocated in JavaScript. (4 × 8 is the most V8 keeps in its 16 xmm registers: 6 × 8, 4 × 12 and
// 5 × 8 blocks spill and run at half the speed; tools/bench/PROFILE.md has the measurements.)
// Float64 storage (gradcheck) runs the js kernels.

/**
 * The wasm GEMM kernels: `gemmPacked`, the Backend's `gemm` with op(A) transposed in wasm, and its
 * `gemmBias` (linear's bias adds on C in module memory, before C is copied out).
 */
export interface WasmGemm {
  gemmPacked: GemmPackedFn;
  gemm: GemmKernels['gemm'];
  gemmBias: NonNullable<Backend['gemmBias']>;
  /**
   * NOTE(fused-projection): the products with an operand already in module memory (a float
   * offset, an arena block's): `into`, gemmBias' numbers written at float `cAt` (C = A Bᵀ + Σ biases);
   * `from`, gemm's numbers (C = op(A) B, B as stored) with A [m, k] (or, `transA`, [k, m]) read at
   * float `A` (or from an array). Operands and results in module memory stay there: no copy of them.
   */
  into(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    cAt: number,
    biases: readonly Float32Array[],
  ): void;
  from(
    transA: boolean,
    m: number,
    n: number,
    k: number,
    A: Float32Array | number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
  ): void;
}

export function makeWasmGemm(wasm: WasmModule): WasmGemm {
  const { gemm_packed: run, transpose, pack_b: packInWasm, add_bias: addBias } = wasm.exports;
  const align4 = (x: number) => (x + 3) & ~3;

  /**
   * C (+)= op(A) @ B in wasm memory laid out as [packed B][A][C][Aᵀ source when transA]; A is read
   * from `A` at `base`, row-major [m, k], or with `transA` column-major ([k, m], transposed here).
   * B is `packed` (packB's panels, kept resident while the same array comes back), or `b` as
   * stored from `bOff` (op(B) = B [k, n], or Bᵀ of B [n, k] with `transB`), copied in after the
   * other operands and packed in wasm (pack_b). `biases` (float32, n each) are added to C in
   * module memory (blocked.c's add_bias, in order) block by block of rows, each block copied out
   * while it is in cache: the numbers of the copy out then one `addBias` per bias. `A` or `c` as a
   * number: a float offset in module memory (below `scratch`) where A is read or C is written in place.
   */
  const product = (
    transA: boolean,
    m: number,
    n: number,
    k: number,
    A: Float32Array | number,
    base: number,
    packed: Float32Array | null,
    transB: boolean,
    b: Float32Array,
    bOff: number,
    c: Float32Array | number,
    cOff: number,
    accumulate: boolean,
    biases: readonly Float32Array[] = [],
  ) => {
    const bAt = wasm.scratch;
    let aAt = align4(bAt + (packed ? packed.length : Math.ceil(n / 4) * 4 * k));
    // A read in place (not transposed) and C written in place take no room here.
    const cOwn = align4(aAt + (typeof A === 'number' && !transA ? 0 : m * k));
    const cAt = typeof c === 'number' ? c : cOwn;
    const srcAt = typeof c === 'number' ? cOwn : align4(cOwn + m * n);
    const rawAt = align4(transA && typeof A !== 'number' ? srcAt + m * k : srcAt);
    const n4 = align4(n);
    // The biases go where B came in as stored, once it is packed.
    wasm.reserve(rawAt + Math.max(packed ? 0 : k * n, biases.length * n4));
    const heap = wasm.heap();
    if (packed === null) {
      heap.set(b.subarray(bOff, bOff + k * n), rawAt);
      packInWasm(transB ? 1 : 0, k, n, rawAt * 4, bAt * 4);
      wasm.resident = null;
    } else if (wasm.resident !== packed) {
      heap.set(packed, bAt);
      wasm.resident = packed;
    }
    if (typeof A === 'number') {
      if (transA) transpose(k, m, (A + base) * 4, aAt * 4);
      else aAt = A + base;
    } else if (transA) {
      heap.set(A.subarray(base, base + m * k), srcAt);
      transpose(k, m, srcAt * 4, aAt * 4);
    } else {
      heap.set(A.subarray(base, base + m * k), aAt);
    }
    if (accumulate && typeof c !== 'number') heap.set(c.subarray(cOff, cOff + m * n), cAt);
    run(m, n, k, aAt * 4, bAt * 4, cAt * 4, accumulate ? 1 : 0);
    for (let i = 0; i < biases.length; i++) heap.set(biases[i].subarray(0, n), rawAt + i * n4);
    const step = biases.length > 0 ? Math.max(1, Math.floor(BLOCK / n)) : m;
    for (let r0 = 0; r0 < m; r0 += step) {
      const r1 = Math.min(m, r0 + step);
      const at = cAt + r0 * n;
      for (let i = 0; i < biases.length; i++) addBias(r1 - r0, n, at * 4, (rawAt + i * n4) * 4);
      if (typeof c !== 'number') c.set(heap.subarray(at, cAt + r1 * n), cOff + r0 * n);
    }
  };

  const none = new Float32Array(0);
  const gemmPacked: GemmPackedFn = (m, n, k, A, base, packed, c, cOff, accumulate) => {
    if (!(A instanceof Float32Array && packed instanceof Float32Array && c instanceof Float32Array)) {
      jsGemmPacked(m, n, k, A, base, packed, c, cOff, accumulate);
    } else if (m > 0 && n > 0 && k > 0) {
      product(false, m, n, k, A, base, packed, false, none, 0, c, cOff, accumulate);
    } else if (m > 0 && n > 0 && !accumulate) {
      c.fill(0, cOff, cOff + m * n);
    }
  };

  // float32: B is packed in wasm, with no packed copy in JavaScript; float64 (gradcheck) and empty
  // products: the js kernel's path.
  const gemm: GemmKernels['gemm'] = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
    if (
      a instanceof Float32Array &&
      b instanceof Float32Array &&
      c instanceof Float32Array &&
      m * n * k > 0
    ) {
      product(transA, m, n, k, a, aOff, null, transB, b, bOff, c, cOff, accumulate);
    } else {
      gemmVia(gemmPacked, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  };
  // Float32 operands and a nonempty product: in one call; else the GEMM then each bias in turn.
  const gemmBias: WasmGemm['gemmBias'] = (m, n, k, a, b, c, biases) => {
    const f32 = (x: unknown): x is Float32Array => x instanceof Float32Array;
    if (f32(a) && f32(b) && f32(c) && m * n * k > 0 && biases.every(f32)) {
      product(false, m, n, k, a, 0, null, true, b, 0, c, 0, false, biases);
      return;
    }
    gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
    for (const v of biases) for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) c[r * n + j] += v[j];
  };
  const into: WasmGemm['into'] = (m, n, k, a, b, cAt, biases) =>
    product(false, m, n, k, a, 0, null, true, b, 0, cAt, 0, false, biases);
  const from: WasmGemm['from'] = (transA, m, n, k, A, b, bOff, c, cOff) =>
    product(transA, m, n, k, A, 0, null, false, b, bOff, c, cOff, false);
  return { gemmPacked, gemm, gemmBias, into, from };
}
