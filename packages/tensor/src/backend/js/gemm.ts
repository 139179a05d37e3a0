import type { FloatStorage } from '../../dtype';
import type { gemmNaive } from '../reference/gemm';

// The reference GEMM lives with the other reference kernels (backend/reference/gemm.ts); it is
// re-exported here for the GEMM tests and benchmarks that compare against it.
export { gemmNaive } from '../reference/gemm';

/**
 * op(B) [k, n] packed into 4-column panels, zero-padded: packed[(jb·k + p)·4 + t] = op(B)[p, jb·4 + t].
 * Pack once and reuse with `gemmPacked` when B is constant across calls (a recurrent weight over
 * the time steps).
 */
export function packB(transB: boolean, k: number, n: number, b: FloatStorage, bOff: number): FloatStorage {
  const panels = Math.ceil(n / 4);
  const packed =
    b instanceof Float64Array ? new Float64Array(panels * k * 4) : new Float32Array(panels * k * 4);
  for (let jb = 0; jb < panels; jb++) {
    for (let t = 0; t < 4; t++) {
      const j = jb * 4 + t;
      if (j >= n) break;
      let q = jb * k * 4 + t;
      if (transB) {
        const row = bOff + j * k;
        for (let p = 0; p < k; p++, q += 4) packed[q] = b[row + p];
      } else {
        for (let p = 0, src = bOff + j; p < k; p++, q += 4, src += n) packed[q] = b[src];
      }
    }
  }
  return packed;
}

/**
 * Register-tiled GEMM: op(B) is packed into 4-column panels (`packB`), op(A) read row-major
 * [m, k]; each 4x4 block of C is held in 16 locals across the k loop (a 1x4 kernel takes the last
 * m % 4 rows). Accumulates in float64 registers, rounds once on store.
 *
 * It handles every shape itself, so it has no fallback: m % 4 rows take the 1x4 kernel, n % 4
 * columns a zero-padded panel, m, n or k = 0 return early, and either transpose is normalised
 * before the kernel. backend/conformance.test.ts checks it against the reference `gemmNaive` on
 * exactly those edge shapes.
 */
export const gemmTiled: GemmFn = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) =>
  gemmVia(gemmPacked, transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);

/** The Backend's `gemm`: C[m, n] = (acc ? C : 0) + op(A) @ op(B), each operand from its offset. */
export type GemmFn = typeof gemmNaive;

/** `gemmPacked`'s signature: C[m, n] (+)= A[m, k] (row-major, from base) @ packed panels of B. */
export type GemmPackedFn = typeof gemmPacked;

/** The GEMM kernels the fused recurrent kernels use (see `makeRecurrentKernels`). */
export interface GemmKernels {
  /** C = (acc ? C : 0) + op(A) @ op(B), the Backend's `gemm`. */
  gemm: GemmFn;
  /** C (+)= A @ B with B packed by `packB`. */
  gemmPacked: GemmPackedFn;
  /** Packs op(B) into 4-column panels for `gemmPacked`. */
  packB: typeof packB;
}

/**
 * A full GEMM on top of a packed kernel: op(A) made row-major (a copy when transposed), op(B)
 * packed, then `packed(…)`.
 */
export function gemmVia(
  packed: GemmPackedFn,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatStorage,
  aOff: number,
  b: FloatStorage,
  bOff: number,
  c: FloatStorage,
  cOff: number,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  let A = a;
  let base = aOff;
  if (transA) {
    A = a instanceof Float64Array ? new Float64Array(m * k) : new Float32Array(m * k);
    for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) A[i * k + p] = a[aOff + p * m + i];
    base = 0;
  }
  packed(m, n, k, A, base, packB(transB, k, n, b, bOff), c, cOff, accumulate);
}

/** C[m, n] (+)= A[m, k] (row-major, from aOff) @ B given as `packB`'s panels. */
export function gemmPacked(
  m: number,
  n: number,
  k: number,
  A: FloatStorage,
  base: number,
  packed: FloatStorage,
  c: FloatStorage,
  cOff: number,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  const panels = Math.ceil(n / 4);
  const m4 = m - (m % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = base + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let jb = 0; jb < panels; jb++) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      let q = jb * k * 4;
      for (let p = 0; p < k; p++, q += 4) {
        const b0 = packed[q],
          b1 = packed[q + 1],
          b2 = packed[q + 2],
          b3 = packed[q + 3];
        const x0 = A[a0 + p],
          x1 = A[a1 + p],
          x2 = A[a2 + p],
          x3 = A[a3 + p];
        c00 += x0 * b0;
        c01 += x0 * b1;
        c02 += x0 * b2;
        c03 += x0 * b3;
        c10 += x1 * b0;
        c11 += x1 * b1;
        c12 += x1 * b2;
        c13 += x1 * b3;
        c20 += x2 * b0;
        c21 += x2 * b1;
        c22 += x2 * b2;
        c23 += x2 * b3;
        c30 += x3 * b0;
        c31 += x3 * b1;
        c32 += x3 * b2;
        c33 += x3 * b3;
      }
      const j = jb * 4;
      const r0 = cOff + i * n + j;
      if (j + 4 <= n) {
        if (accumulate) {
          c[r0] += c00;
          c[r0 + 1] += c01;
          c[r0 + 2] += c02;
          c[r0 + 3] += c03;
          const r1 = r0 + n;
          c[r1] += c10;
          c[r1 + 1] += c11;
          c[r1 + 2] += c12;
          c[r1 + 3] += c13;
          const r2 = r1 + n;
          c[r2] += c20;
          c[r2 + 1] += c21;
          c[r2 + 2] += c22;
          c[r2 + 3] += c23;
          const r3 = r2 + n;
          c[r3] += c30;
          c[r3 + 1] += c31;
          c[r3 + 2] += c32;
          c[r3 + 3] += c33;
        } else {
          c[r0] = c00;
          c[r0 + 1] = c01;
          c[r0 + 2] = c02;
          c[r0 + 3] = c03;
          const r1 = r0 + n;
          c[r1] = c10;
          c[r1 + 1] = c11;
          c[r1 + 2] = c12;
          c[r1 + 3] = c13;
          const r2 = r1 + n;
          c[r2] = c20;
          c[r2 + 1] = c21;
          c[r2 + 2] = c22;
          c[r2 + 3] = c23;
          const r3 = r2 + n;
          c[r3] = c30;
          c[r3 + 1] = c31;
          c[r3 + 2] = c32;
          c[r3 + 3] = c33;
        }
      } else {
        const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < 4; r++) {
          for (let t = 0; j + t < n; t++) {
            const ci = r0 + r * n + t;
            c[ci] = accumulate ? c[ci] + block[r * 4 + t] : block[r * 4 + t];
          }
        }
      }
    }
  }
  for (let i = m4; i < m; i++) {
    const ai = base + i * k;
    for (let jb = 0; jb < panels; jb++) {
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      let q = jb * k * 4;
      for (let p = 0; p < k; p++, q += 4) {
        const x = A[ai + p];
        c0 += x * packed[q];
        c1 += x * packed[q + 1];
        c2 += x * packed[q + 2];
        c3 += x * packed[q + 3];
      }
      const j = jb * 4;
      const block = [c0, c1, c2, c3];
      for (let t = 0; t < 4 && j + t < n; t++) {
        const ci = cOff + i * n + j + t;
        c[ci] = accumulate ? c[ci] + block[t] : block[t];
      }
    }
  }
}

/** The js backend's GEMM kernels (float64 accumulation in registers). */
export const jsGemmKernels: GemmKernels = { gemm: gemmTiled, gemmPacked, packB };
