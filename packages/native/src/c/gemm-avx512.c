// AVX-512 micro-kernel (compiled with -mavx512f -mavx512vl -mfma): an 8 x 32 block of C in 16 zmm
// accumulators; per k step two loads of B and eight broadcasts of A feed 16 FMAs, enough
// independent chains to keep two FMA pipes busy at a 4-cycle latency. Edge blocks store through
// masks. A block of fewer than 8 rows runs only its rows' FMAs (kernel_rows).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "gemm.h"

#define MR 8
#define NR 32

#define ROW(r)                                                                                         \
  a = _mm512_set1_ps(ap[r]);                                                                          \
  c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);                                                          \
  c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);

// The kernels' stores: the accumulators of `rows` rows of C (adding C's old values first when
// accumulating), the first `cols` columns through masks: the full kernel's 8 and kernel_rows' R.
static inline __attribute__((always_inline)) void store_rows(__m512 acc[MR][2], float *c, int ldc, int rows,
                                                             int cols, int accumulate) {
  const int lo = cols >= 16 ? 16 : cols;
  const int hi = cols > 16 ? cols - 16 : 0;
  const __mmask16 m0 = (__mmask16)((1u << lo) - 1u);
  const __mmask16 m1 = (__mmask16)((1u << hi) - 1u);
  for (int r = 0; r < rows; r++) {
    float *cr = c + (size_t)r * ldc;
    if (accumulate) {
      acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(m0, cr));
      acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    _mm512_mask_storeu_ps(cr, m0, acc[r][0]);
    _mm512_mask_storeu_ps(cr + 16, m1, acc[r][1]);
  }
}

// The block's first R < MR rows alone (R a constant where it is inlined): the last block of rows
// of a product whose m is not a multiple of 8, and the recurrent steps of a packed batch, whose
// active rows shrink step by step (a W1-packed batch's steps run 1 to 7 rows in a fifth of their
// blocks). Each element is the same chain of FMAs over the same k as in the full kernel, from zero,
// then + C: the same bits, for R · 2 FMAs per k step instead of 16. With 2 rows or more the
// 4-cycle FMA latency still has as many chains as one 512-bit FMA pipe a cycle needs (Zen 4); one
// row is latency-bound at the cost of two.
static inline __attribute__((always_inline)) void kernel_rows(const int R, int kc, const float *ap,
                                                              const float *bp, float *c, int ldc, int cols,
                                                              int accumulate) {
  __m512 acc[MR][2];
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(bp);
    const __m512 b1 = _mm512_loadu_ps(bp + 16);
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += NR;
  }
  store_rows(acc, c, ldc, R, cols, accumulate);
}

// Blocks of 1 to 7 rows, out of line: the full kernel's code stays as it was.
static __attribute__((noinline)) void kernel_short(int kc, const float *ap, const float *bp, float *c, int ldc,
                                                   int rows, int cols, int accumulate) {
  switch (rows) {
    case 1: kernel_rows(1, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 2: kernel_rows(2, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 3: kernel_rows(3, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 4: kernel_rows(4, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 5: kernel_rows(5, kc, ap, bp, c, ldc, cols, accumulate); break;
    case 6: kernel_rows(6, kc, ap, bp, c, ldc, cols, accumulate); break;
    default: kernel_rows(7, kc, ap, bp, c, ldc, cols, accumulate); break;
  }
}

static void kernel_avx512(int kc, const float *ap, const float *bp, float *c, int ldc, int rows, int cols,
                          int accumulate) {
  if (rows < MR) {
    if (rows > 0) kernel_short(kc, ap, bp, c, ldc, rows, cols, accumulate);
    return;
  }
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps();
  __m512 c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(bp);
    const __m512 b1 = _mm512_loadu_ps(bp + 16);
    __m512 a;
    ROW(0)
    ROW(1)
    ROW(2)
    ROW(3)
    ROW(4)
    ROW(5)
    ROW(6)
    ROW(7)
    ap += MR;
    bp += NR;
  }
  __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                       {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  store_rows(acc, c, ldc, rows, cols, accumulate);
}

static double peak_avx512(long iters) {
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-4f);
  // Distinct starting values, or the compiler merges identical chains.
#define START(i) _mm512_set1_ps(0.01f * (i))
  __m512 c00 = START(0), c01 = START(1), c10 = START(2), c11 = START(3), c20 = START(4), c21 = START(5);
  __m512 c30 = START(6), c31 = START(7), c40 = START(8), c41 = START(9), c50 = START(10), c51 = START(11);
  __m512 c60 = START(12), c61 = START(13), c70 = START(14), c71 = START(15);
  for (long i = 0; i < iters; i++) {
#define PEAK_ROW(r)                                                                                  \
  c##r##0 = _mm512_fmadd_ps(c##r##0, a, b);                                                         \
  c##r##1 = _mm512_fmadd_ps(c##r##1, a, b);
    PEAK_ROW(0) PEAK_ROW(1) PEAK_ROW(2) PEAK_ROW(3) PEAK_ROW(4) PEAK_ROW(5) PEAK_ROW(6) PEAK_ROW(7)
  }
  __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c00, c01), _mm512_add_ps(c10, c11)),
                             _mm512_add_ps(_mm512_add_ps(c20, c21), _mm512_add_ps(c30, c31)));
  sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c40, c41), _mm512_add_ps(c50, c51)),
                                         _mm512_add_ps(_mm512_add_ps(c60, c61), _mm512_add_ps(c70, c71))));
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return (double)iters * 16 * 16 * 2;
}

const sl_gemm_isa sl_gemm_avx512 = {"avx512", MR, NR, kernel_avx512, peak_avx512};
#endif
