// seqlab's WebAssembly SIMD kernels, compiled by `node tools/wasm/build.mjs` into kernels.ts (the module as
// base64, committed); `node tools/wasm/build.mjs --check` and wasm.test.ts check that it is not stale.
//
// gemm_packed: C[m, n] (+)= A[m, k] @ B, with B given as 4-column panels, zero-padded,
// exactly the layout of the js backend's packB: B[(jb*k + p)*4 + t] = op(B)[p, jb*4 + t].
// Register blocking: 4 rows x 2 panels (8 f32x4 accumulators) in the main loop, then 4 x 1 and
// 1 x 1 edges, inside blocks of rows sized for L1. Accumulates in float32 like PyTorch's CPU GEMMs (the js kernel uses float64).
#include "kernels.h"

static inline void store(float *c, v128_t v, int cols, int acc) {
  if (cols >= 4) {
    if (acc) v = wasm_f32x4_add(v, wasm_v128_load(c));
    wasm_v128_store(c, v);
    return;
  }
  float t[4];
  wasm_v128_store(t, v);
  for (int j = 0; j < cols; j++) c[j] = acc ? c[j] + t[j] : t[j];
}

#define FMA(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))

// C rows i..i+3, columns of panels jb and jb + 1 (8 f32x4 accumulators).
static inline void block4x8(int n, int k, const float *a0, const float *b0, float *c0, int j, int acc) {
  const float *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
  const float *b1 = b0 + k * 4;
  v128_t s00 = wasm_f32x4_splat(0), s01 = s00, s10 = s00, s11 = s00;
  v128_t s20 = s00, s21 = s00, s30 = s00, s31 = s00;
  for (int p = 0; p < k; p++) {
    const v128_t x0 = wasm_v128_load(b0 + 4 * p), x1 = wasm_v128_load(b1 + 4 * p);
    const v128_t y0 = wasm_v128_load32_splat(a0 + p), y1 = wasm_v128_load32_splat(a1 + p);
    const v128_t y2 = wasm_v128_load32_splat(a2 + p), y3 = wasm_v128_load32_splat(a3 + p);
    FMA(s00, y0, x0); FMA(s01, y0, x1);
    FMA(s10, y1, x0); FMA(s11, y1, x1);
    FMA(s20, y2, x0); FMA(s21, y2, x1);
    FMA(s30, y3, x0); FMA(s31, y3, x1);
  }
  float *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
  const int w0 = n - j, w1 = n - j - 4;
  store(c0 + j, s00, w0, acc); store(c0 + j + 4, s01, w1, acc);
  store(c1 + j, s10, w0, acc); store(c1 + j + 4, s11, w1, acc);
  store(c2 + j, s20, w0, acc); store(c2 + j + 4, s21, w1, acc);
  store(c3 + j, s30, w0, acc); store(c3 + j + 4, s31, w1, acc);
}

// C rows i..i+3, the columns of panel jb.
static inline void block4x4(int n, int k, const float *a0, const float *b0, float *c0, int j, int acc) {
  const float *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  for (int p = 0; p < k; p++) {
    const v128_t x0 = wasm_v128_load(b0 + 4 * p);
    FMA(s0, wasm_v128_load32_splat(a0 + p), x0);
    FMA(s1, wasm_v128_load32_splat(a1 + p), x0);
    FMA(s2, wasm_v128_load32_splat(a2 + p), x0);
    FMA(s3, wasm_v128_load32_splat(a3 + p), x0);
  }
  const int w = n - j;
  store(c0 + j, s0, w, acc); store(c0 + n + j, s1, w, acc);
  store(c0 + 2 * n + j, s2, w, acc); store(c0 + 3 * n + j, s3, w, acc);
}

// C row i, the columns of panel jb.
static inline void block1x4(int n, int k, const float *a, const float *b0, float *c, int j, int acc) {
  v128_t s = wasm_f32x4_splat(0);
  for (int p = 0; p < k; p++) FMA(s, wasm_v128_load32_splat(a + p), wasm_v128_load(b0 + 4 * p));
  store(c + j, s, n - j, acc);
}

// Rows go in blocks whose A (about 32 KB) stays in L1 while each pair of B panels streams past
// once per block: the recurrent step [32, 256] x [256, 1024] reads its 1 MB of B once, not once
// per 4 rows. Each C element is the same sum in the same order whatever the blocking.
EXPORT void gemm_packed(int m, int n, int k, const float *A, const float *B, float *C, int acc) {
  const int panels = (n + 3) / 4;
  int mc = (8192 / (k > 0 ? k : 1)) & ~3;
  if (mc < 4) mc = 4;
  for (int i0 = 0; i0 < m; i0 += mc) {
    const int ie = i0 + mc < m ? i0 + mc : m;
    const int i4 = i0 + (ie - i0) / 4 * 4;
    int jb = 0;
    for (; jb + 2 <= panels; jb += 2) {
      const float *b0 = B + jb * k * 4;
      for (int i = i0; i < i4; i += 4) block4x8(n, k, A + i * k, b0, C + i * n, jb * 4, acc);
      for (int i = i4; i < ie; i++) {
        block1x4(n, k, A + i * k, b0, C + i * n, jb * 4, acc);
        block1x4(n, k, A + i * k, b0 + k * 4, C + i * n, jb * 4 + 4, acc);
      }
    }
    if (jb < panels) {
      const float *b0 = B + jb * k * 4;
      for (int i = i0; i < i4; i += 4) block4x4(n, k, A + i * k, b0, C + i * n, jb * 4, acc);
      for (int i = i4; i < ie; i++) block1x4(n, k, A + i * k, b0, C + i * n, jb * 4, acc);
    }
  }
}

// transpose: dst[m, k] = src[k, m]ᵀ, in 8 x 8 tiles so both sides stay in cache. gemm with a
// transposed A (the weight gradients, dW = dYᵀ X) copies op(A) row-major first, as the js kernel does.
EXPORT void transpose(int k, int m, const float *src, float *dst) {
  for (int p0 = 0; p0 < k; p0 += 8) {
    const int pe = p0 + 8 < k ? p0 + 8 : k;
    for (int i0 = 0; i0 < m; i0 += 8) {
      const int ie = i0 + 8 < m ? i0 + 8 : m;
      for (int p = p0; p < pe; p++)
        for (int i = i0; i < ie; i++) dst[i * k + p] = src[p * m + i];
    }
  }
}

// pack_b: op(B) [k, n] into the 4-column panels gemm_packed reads (the js packB, in wasm): the
// fused recurrent kernels pack W_hh once per sequence here, beside the GEMMs that reuse it every step.
void pack_b(int trans, int k, int n, const float *src, float *dst) {
  const int panels = (n + 3) / 4;
  for (int jb = 0; jb < panels; jb++) {
    float *d = dst + jb * k * 4;
    const int w = n - jb * 4 < 4 ? n - jb * 4 : 4;
    if (trans) {
      const float *s = src + jb * 4 * k;  // op(B)[p, j] = src[j·k + p]
      for (int p = 0; p < k; p++)
        for (int t = 0; t < 4; t++) d[p * 4 + t] = t < w ? s[t * k + p] : 0;
    } else if (w == 4) {
      for (int p = 0; p < k; p++) wasm_v128_store(d + p * 4, wasm_v128_load(src + p * n + jb * 4));
    } else {
      for (int p = 0; p < k; p++)
        for (int t = 0; t < 4; t++) d[p * 4 + t] = t < w ? src[p * n + jb * 4 + t] : 0;
    }
  }
}
