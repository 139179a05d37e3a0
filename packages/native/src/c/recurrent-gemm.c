// The GEMM building blocks the wasm recurrence calls (declared in its kernels.h), bound to the
// native packed GEMM: pack_b packs W_hh into the active micro-kernel's panels once per sequence
// and gemm_packed runs each step's product on them (split over the pool when the step is big
// enough, gemm.c's SPLIT_FLOPS), so every step finds W_hh packed and hot in cache.
#include "gemm.h"

void gemm_packed(int m, int n, int k, const float *A, const float *B, float *C, int acc);
void transpose(int k, int m, const float *src, float *dst);
void pack_b(int trans, int k, int n, const float *src, float *dst);

// C[m, n] (+)= A[m, k] @ B, B packed by pack_b.
void gemm_packed(int m, int n, int k, const float *A, const float *B, float *C, int acc) {
  sl_gemm_packed(0, m, n, k, A, B, C, acc);
}

// op(B) [k, n] into the active micro-kernel's panels: B [k, n], or Bᵀ for B [n, k] when trans.
void pack_b(int trans, int k, int n, const float *src, float *dst) { sl_pack_b(trans, k, n, src, dst); }

// dst[m, k] = src[k, m]ᵀ, in 8 x 8 tiles so both sides stay in cache.
void transpose(int k, int m, const float *src, float *dst) {
  for (int p0 = 0; p0 < k; p0 += 8) {
    const int pe = p0 + 8 < k ? p0 + 8 : k;
    for (int i0 = 0; i0 < m; i0 += 8) {
      const int ie = i0 + 8 < m ? i0 + 8 : m;
      for (int p = p0; p < pe; p++)
        for (int i = i0; i < ie; i++) dst[(size_t)i * k + p] = src[(size_t)p * m + i];
    }
  }
}
