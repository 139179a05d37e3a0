// seqlab's WebAssembly SIMD kernels, compiled by `node tools/wasm/build.mjs` into kernels.ts (the module as
// base64, committed); `node tools/wasm/build.mjs --check` and wasm.test.ts check that it is not stale.
//
// gemm_packed: C[m, n] (+)= A[m, k] @ B, with B given as 4-column panels, zero-padded,
// exactly the layout of the js backend's packB: B[(jb*k + p)*4 + t] = op(B)[p, jb*4 + t].
// Register blocking: 4 rows x 2 panels (8 f32x4 accumulators) in the main loop, then 4 x 1 and
// 1 x 1 edges. Accumulates in float32 like PyTorch's CPU GEMMs (the js kernel uses float64).
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

EXPORT void gemm_packed(int m, int n, int k, const float *A, const float *B, float *C, int acc) {
  const int panels = (n + 3) / 4;
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    const float *a0 = A + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
    float *c0 = C + i * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
    int jb = 0;
    for (; jb + 2 <= panels; jb += 2) {
      const float *b0 = B + jb * k * 4, *b1 = b0 + k * 4;
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
      const int j = jb * 4, w0 = n - j, w1 = n - j - 4;
      store(c0 + j, s00, w0, acc); store(c0 + j + 4, s01, w1, acc);
      store(c1 + j, s10, w0, acc); store(c1 + j + 4, s11, w1, acc);
      store(c2 + j, s20, w0, acc); store(c2 + j + 4, s21, w1, acc);
      store(c3 + j, s30, w0, acc); store(c3 + j + 4, s31, w1, acc);
    }
    for (; jb < panels; jb++) {
      const float *b0 = B + jb * k * 4;
      v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (int p = 0; p < k; p++) {
        const v128_t x0 = wasm_v128_load(b0 + 4 * p);
        FMA(s0, wasm_v128_load32_splat(a0 + p), x0);
        FMA(s1, wasm_v128_load32_splat(a1 + p), x0);
        FMA(s2, wasm_v128_load32_splat(a2 + p), x0);
        FMA(s3, wasm_v128_load32_splat(a3 + p), x0);
      }
      const int j = jb * 4, w = n - j;
      store(c0 + j, s0, w, acc); store(c1 + j, s1, w, acc);
      store(c2 + j, s2, w, acc); store(c3 + j, s3, w, acc);
    }
  }
  for (; i < m; i++) {
    const float *a = A + i * k;
    float *c = C + i * n;
    for (int jb = 0; jb < panels; jb++) {
      const float *b0 = B + jb * k * 4;
      v128_t s = wasm_f32x4_splat(0);
      for (int p = 0; p < k; p++) FMA(s, wasm_v128_load32_splat(a + p), wasm_v128_load(b0 + 4 * p));
      store(c + jb * 4, s, n - jb * 4, acc);
    }
  }
}

// transpose: dst[m, k] = src[k, m]ᵀ, in 4 x 4 blocks of four loads, eight shuffles and four stores
// (about 4× faster than scalar 8 x 8 tiles on [1600, 1024]: tools/bench/PROFILE.md); the rows and
// columns past the last multiple of 4 one float at a time. gemm with a transposed A (the weight
// gradients, dW = dYᵀ X) copies op(A) row-major first, as the js kernel does.
EXPORT void transpose(int k, int m, const float *src, float *dst) {
  const int k4 = k & ~3, m4 = m & ~3;
  for (int p = 0; p < k4; p += 4) {
    const float *s0 = src + p * m, *s1 = s0 + m, *s2 = s1 + m, *s3 = s2 + m;
    for (int i = 0; i < m4; i += 4) {
      const v128_t r0 = wasm_v128_load(s0 + i), r1 = wasm_v128_load(s1 + i);
      const v128_t r2 = wasm_v128_load(s2 + i), r3 = wasm_v128_load(s3 + i);
      // t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3]; t2, t3 the same of r2, r3.
      const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      float *d = dst + i * k + p;
      wasm_v128_store(d, wasm_i64x2_shuffle(t0, t2, 0, 2));
      wasm_v128_store(d + k, wasm_i64x2_shuffle(t0, t2, 1, 3));
      wasm_v128_store(d + 2 * k, wasm_i64x2_shuffle(t1, t3, 0, 2));
      wasm_v128_store(d + 3 * k, wasm_i64x2_shuffle(t1, t3, 1, 3));
    }
    for (int i = m4; i < m; i++) {
      float *d = dst + i * k + p;
      d[0] = s0[i];
      d[1] = s1[i];
      d[2] = s2[i];
      d[3] = s3[i];
    }
  }
  for (int p = k4; p < k; p++)
    for (int i = 0; i < m; i++) dst[i * k + p] = src[p * m + i];
}

// pack_b: op(B) [k, n] into the 4-column panels gemm_packed reads (the js packB, in wasm): the
// fused recurrent kernels pack W_hh once per sequence here, beside the GEMMs that reuse it every step.
// A transposed B's full panels go 4 x 4 blocks at a time (four loads along four rows of B, a
// transpose in registers, four stores along the panel); B as stored goes four full panels at a time,
// so each depth's 16 floats (a 64-byte line) are read once for the four, where one panel at a time
// read every line four times, 16 bytes each (≈ 3-5x slower on W1's [1600, 512] and [1024, 256]).
// The same floats either way.
void pack_b(int trans, int k, int n, const float *src, float *dst) {
  const int panels = (n + 3) / 4, k4 = k & ~3;
  int jb = 0;
  if (!trans) {
    for (; jb + 4 <= n / 4; jb += 4) {
      float *d = dst + jb * k * 4;
      const float *s = src + jb * 4;
      for (int p = 0; p < k; p++, s += n)
        for (int g = 0; g < 4; g++) wasm_v128_store(d + (g * k + p) * 4, wasm_v128_load(s + 4 * g));
    }
  }
  for (; jb < panels; jb++) {
    float *d = dst + jb * k * 4;
    const int w = n - jb * 4 < 4 ? n - jb * 4 : 4;
    if (trans) {
      const float *s = src + jb * 4 * k;  // op(B)[p, j] = src[j·k + p]
      int p = 0;
      if (w == 4) {
        const float *s0 = s, *s1 = s0 + k, *s2 = s1 + k, *s3 = s2 + k;
        for (; p < k4; p += 4) {
          const v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p);
          const v128_t r2 = wasm_v128_load(s2 + p), r3 = wasm_v128_load(s3 + p);
          // t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3]; t2, t3 the same of r2, r3.
          const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(d + p * 4, wasm_i64x2_shuffle(t0, t2, 0, 2));
          wasm_v128_store(d + p * 4 + 4, wasm_i64x2_shuffle(t0, t2, 1, 3));
          wasm_v128_store(d + p * 4 + 8, wasm_i64x2_shuffle(t1, t3, 0, 2));
          wasm_v128_store(d + p * 4 + 12, wasm_i64x2_shuffle(t1, t3, 1, 3));
        }
      }
      for (; p < k; p++)
        for (int t = 0; t < 4; t++) d[p * 4 + t] = t < w ? s[t * k + p] : 0;
    } else if (w == 4) {
      for (int p = 0; p < k; p++) wasm_v128_store(d + p * 4, wasm_v128_load(src + p * n + jb * 4));
    } else {
      for (int p = 0; p < k; p++)
        for (int t = 0; t < 4; t++) d[p * 4 + t] = t < w ? src[p * n + jb * 4 + t] : 0;
    }
  }
}
