// AVX2 + FMA micro-kernel (compiled with -mavx2 -mfma): a 6 x 16 block of C in 12 ymm
// accumulators; per k step two loads of B and six broadcasts of A.
// A block of fewer than 6 rows runs only its rows' FMAs (kernel_rows).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "gemm.h"

#define MR 6
#define NR 16

// Stores the accumulators of `rows` rows of C (adding C's old values first when accumulating),
// the first `cols` columns (through a tile when that is fewer than NR).
static inline __attribute__((always_inline)) void store_rows(__m256 acc[MR][2], float *c, int ldc, int rows,
                                                             int cols, int accumulate) {
  if (cols == NR) {
    for (int r = 0; r < rows; r++) {
      float *cr = c + (size_t)r * ldc;
      if (accumulate) {
        acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(cr));
        acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, acc[r][0]);
      _mm256_storeu_ps(cr + 8, acc[r][1]);
    }
    return;
  }
  float tile[MR][NR];
  for (int r = 0; r < rows; r++) {
    _mm256_storeu_ps(tile[r], acc[r][0]);
    _mm256_storeu_ps(tile[r] + 8, acc[r][1]);
    float *cr = c + (size_t)r * ldc;
    if (accumulate) {
      for (int t = 0; t < cols; t++) cr[t] += tile[r][t];
    } else {
      for (int t = 0; t < cols; t++) cr[t] = tile[r][t];
    }
  }
}

// The block's first R < MR rows alone (R a constant where it is inlined), as gemm-avx512.c's
// kernel_rows: each element the full kernel's chain of FMAs, so the same bits, for R · 2 FMAs per
// k step instead of 12.
static inline __attribute__((always_inline)) void kernel_rows(const int R, int kc, const float *ap,
                                                              const float *bp, float *c, int ldc, int cols,
                                                              int accumulate) {
  __m256 acc[MR][2];
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
    for (int r = 0; r < R; r++) {
      const __m256 a = _mm256_broadcast_ss(ap + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += NR;
  }
  store_rows(acc, c, ldc, R, cols, accumulate);
}

// Blocks of 1 to 5 rows, out of line: the full kernel's code stays as it was.
static __attribute__((noinline)) void kernel_short(int kc, const float *ap, const float *bp, float *c, int ldc,
                                                   int rows, int cols, int accumulate) {
  switch (rows) {
    case 1: kernel_rows(1, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 2: kernel_rows(2, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 3: kernel_rows(3, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 4: kernel_rows(4, kc, ap, bp, c, ldc, cols, accumulate); break;
    default: kernel_rows(5, kc, ap, bp, c, ldc, cols, accumulate); break;
  }
}

static void kernel_avx2(int kc, const float *ap, const float *bp, float *c, int ldc, int rows, int cols,
                        int accumulate) {
  if (rows < MR) {
    if (rows > 0) kernel_short(kc, ap, bp, c, ldc, rows, cols, accumulate);
    return;
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
    __m256 a;
    a = _mm256_broadcast_ss(ap + 0);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
    ap += MR;
    bp += NR;
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  store_rows(acc, c, ldc, rows, cols, accumulate);
}

static double peak_avx2(long iters) {
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-4f);
  // Distinct starting values, or the compiler merges identical chains.
#define START(i) _mm256_set1_ps(0.01f * (i))
  __m256 c0 = START(0), c1 = START(1), c2 = START(2), c3 = START(3), c4 = START(4), c5 = START(5);
  __m256 c6 = START(6), c7 = START(7), c8 = START(8), c9 = START(9), c10 = START(10), c11 = START(11);
  for (long i = 0; i < iters; i++) {
    c0 = _mm256_fmadd_ps(c0, a, b);
    c1 = _mm256_fmadd_ps(c1, a, b);
    c2 = _mm256_fmadd_ps(c2, a, b);
    c3 = _mm256_fmadd_ps(c3, a, b);
    c4 = _mm256_fmadd_ps(c4, a, b);
    c5 = _mm256_fmadd_ps(c5, a, b);
    c6 = _mm256_fmadd_ps(c6, a, b);
    c7 = _mm256_fmadd_ps(c7, a, b);
    c8 = _mm256_fmadd_ps(c8, a, b);
    c9 = _mm256_fmadd_ps(c9, a, b);
    c10 = _mm256_fmadd_ps(c10, a, b);
    c11 = _mm256_fmadd_ps(c11, a, b);
  }
  __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return (double)iters * 12 * 8 * 2;
}

const sl_gemm_isa sl_gemm_avx2 = {"avx2", MR, NR, kernel_avx2, peak_avx2};
#endif
