// Portable micro-kernel: plain C the compiler vectorises for the baseline of the target (SSE2 on
// x86-64, NEON on arm64). 4 x 16 block of C in a local array across the k loop.
#include "gemm.h"

#define MR 4
#if defined(__x86_64__) || defined(_M_X64)
#define NR 8 // SSE2 has 16 registers: 8 accumulators of 4 x 8, B and a broadcast
#else
#define NR 16
#endif

static void kernel_scalar(int kc, const float *ap, const float *bp, float *c, int ldc, int rows, int cols,
                          int accumulate) {
  float acc[MR][NR] = {{0}};
  for (int p = 0; p < kc; p++) {
    const float *a = ap + p * MR;
    const float *b = bp + p * NR;
    for (int r = 0; r < MR; r++) {
      const float x = a[r];
      for (int t = 0; t < NR; t++) acc[r][t] += x * b[t];
    }
  }
  for (int r = 0; r < rows; r++) {
    float *cr = c + (size_t)r * ldc;
    if (accumulate) {
      for (int t = 0; t < cols; t++) cr[t] += acc[r][t];
    } else {
      for (int t = 0; t < cols; t++) cr[t] = acc[r][t];
    }
  }
}

static double peak_scalar(long iters) {
  float acc[MR][NR];
  for (int r = 0; r < MR; r++)
    for (int t = 0; t < NR; t++) acc[r][t] = (float)(r * NR + t) * 1e-3f; // distinct, or chains merge
  const float a = 0.999f, b = 1e-4f;
  for (long i = 0; i < iters; i++)
    for (int r = 0; r < MR; r++)
      for (int t = 0; t < NR; t++) acc[r][t] = acc[r][t] * a + b;
  volatile float sink = acc[MR - 1][NR - 1];
  (void)sink;
  return (double)iters * MR * NR * 2;
}

const sl_gemm_isa sl_gemm_scalar = {"scalar", MR, NR, kernel_scalar, peak_scalar};
