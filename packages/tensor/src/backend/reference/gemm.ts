import type { FloatStorage } from '../../dtype';

/**
 * Reference GEMM, llm.c's `matmul_forward_naive`: C = (acc ? C : 0) + op(A) @ op(B), one float64
 * dot product per element of C, no packing and no scratch buffers.
 *
 * op(A) [m, k] is stored [m, k] (or [k, m] when transA) from aOff; op(B) [k, n] is stored [k, n]
 * (or [n, k] when transB) from bOff; C [m, n] from cOff; all row-major and dense. m, n or k may be
 * 0 (k = 0 leaves C, or zeros it when not accumulating).
 */
export function gemmNaive(
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
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        const bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
        s += av * bv;
      }
      const ci = cOff + i * n + j;
      c[ci] = accumulate ? c[ci] + s : s;
    }
  }
}
