// The GEMM driver (gemm.h): packing and cache blocking around the micro-kernel of the active
// instruction set, and the split of big products over the thread pool.
//
// Loop nest per task (rows [r0, r1) x panels [p0, p1) of C), BLIS-style:
//   for each KC block of k:            the A block (MC x KC) is packed into MR-row panels (L2)
//     for each MC block of rows:
//       for each NR panel of columns:  the B micro-panel (KC x NR) stays in L1
//         for each MR block of rows:   one micro-kernel call, while the lines of the next A block
//                                      are prefetched into L2 a few at a time and the next call's
//                                      tile of C into L1
// Small products (under SPLIT_FLOPS) stay on the calling thread; the rest split by rows when
// there are enough of them, else by column panels (the recurrent step [B, H] x [H, G·H]).
#include "gemm.h"

#include <stdlib.h>
#include <string.h>

#include "pool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define KC SL_GEMM_KC
#define MC_PANELS SL_GEMM_MC_PANELS
#define SPLIT_FLOPS (4.0 * 1024 * 1024)

size_t sl_packed_size(int k, int n) {
  const int nr = sl_gemm_active()->nr;
  return (size_t)((n + nr - 1) / nr) * (size_t)k * (size_t)nr;
}

#if defined(__SSE2__)
// dst[q · ldd + r] = src[r · lds + q] for r, q < 4: one 4 x 4 block through four registers.
static inline void transpose4(const float *src, size_t lds, float *dst, size_t ldd) {
  __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + lds);
  __m128 r2 = _mm_loadu_ps(src + 2 * lds), r3 = _mm_loadu_ps(src + 3 * lds);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst, r0);
  _mm_storeu_ps(dst + ldd, r1);
  _mm_storeu_ps(dst + 2 * ldd, r2);
  _mm_storeu_ps(dst + 3 * ldd, r3);
}

// The same for two rows: dst[q · ldd + r] = src[r · lds + q] for r < 2, q < 4.
static inline void transpose2x4(const float *src, size_t lds, float *dst, size_t ldd) {
  const __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + lds);
  const __m128 lo = _mm_unpacklo_ps(r0, r1), hi = _mm_unpackhi_ps(r0, r1);
  _mm_storel_pi((__m64 *)dst, lo);
  _mm_storeh_pi((__m64 *)(dst + ldd), lo);
  _mm_storel_pi((__m64 *)(dst + 2 * ldd), hi);
  _mm_storeh_pi((__m64 *)(dst + 3 * ldd), hi);
}
#endif

// dst[q · ldd + r] = src[r · lds + q] for r < rows, q < cols: a transposing copy, 4 x 4 blocks
// through registers where SSE2 is there (every x86-64), one float at a time elsewhere and at the
// edges. Moves floats only: the packed panels hold the same values however they were copied.
static void transpose_copy(const float *src, size_t lds, int rows, int cols, float *dst, size_t ldd) {
  int r = 0;
#if defined(__SSE2__)
  const int cols4 = cols & ~3;
  for (; r + 4 <= rows; r += 4)
    for (int q = 0; q < cols4; q += 4) transpose4(src + r * lds + q, lds, dst + q * ldd + r, ldd);
  for (; r + 2 <= rows; r += 2)
    for (int q = 0; q < cols4; q += 4) transpose2x4(src + r * lds + q, lds, dst + q * ldd + r, ldd);
  for (int rr = 0; rr < r; rr++)
    for (int q = cols4; q < cols; q++) dst[q * ldd + rr] = src[rr * lds + q];
#endif
  for (; r < rows; r++)
    for (int q = 0; q < cols; q++) dst[q * ldd + r] = src[r * lds + q];
}

// Panels [jb0, jb1) of sl_pack_b.
static void pack_b_panels(int transB, int k, int n, const float *b, float *packed, int jb0, int jb1) {
  const int nr = sl_gemm_active()->nr;
  for (int jb = jb0; jb < jb1; jb++) {
    const int j0 = jb * nr;
    const int cols = n - j0 < nr ? n - j0 : nr;
    float *dst = packed + (size_t)jb * k * nr;
    if (transB) {
      // op(B)[p, j0 + t] = b[(j0 + t) · k + p]: the panel is the transpose of `cols` rows of b.
      transpose_copy(b + (size_t)j0 * k, (size_t)k, cols, k, dst, (size_t)nr);
      if (cols < nr)
        for (int p = 0; p < k; p++)
          for (int t = cols; t < nr; t++) dst[(size_t)p * nr + t] = 0.0f;
    } else {
      for (int p = 0; p < k; p++, dst += nr) {
        memcpy(dst, b + (size_t)p * n + j0, (size_t)cols * sizeof(float));
        for (int t = cols; t < nr; t++) dst[t] = 0.0f;
      }
    }
  }
}

typedef struct {
  int transB, k, n, panels, tasks;
  const float *b;
  float *packed;
} pack_job;

static void pack_b_task(void *ctx, int task) {
  const pack_job *job = ctx;
  const int base = job->panels / job->tasks, extra = job->panels % job->tasks;
  const int jb0 = task * base + (task < extra ? task : extra);
  pack_b_panels(job->transB, job->k, job->n, job->b, job->packed, jb0, jb0 + base + (task < extra ? 1 : 0));
}

// Floats of B at and above which sl_pack_b splits its panels over the pool (each thread packs
// whole panels: the same floats in the same places, whatever the split).
#define PACK_SPLIT_FLOATS (64 * 1024)

void sl_pack_b(int transB, int k, int n, const float *b, float *packed) {
  const int nr = sl_gemm_active()->nr;
  const int panels = (n + nr - 1) / nr;
  const int threads = sl_pool_threads();
  if (threads > 1 && panels > 1 && (size_t)k * n >= PACK_SPLIT_FLOATS) {
    pack_job job = {transB, k, n, panels, panels < 2 * threads ? panels : 2 * threads, b, packed};
    sl_pool_run(pack_b_task, &job, job.tasks);
    return;
  }
  pack_b_panels(transB, k, n, b, packed, 0, panels);
}

// Panels [0, full) of a transposed A block ([k, m]: the weight gradients' Aᵀ), 16 / MR panels at
// a time: for each depth p, one 64-byte line of A's row p (16 floats) goes to 16 / MR panels, so
// every line read is used whole and the stores run along 2 (4 for MR = 4) panels. Dealing a row of
// A to every panel of the block at once stores to 16 addresses KC · MR floats (8 KB) apart, which
// share one L1 set (measured ≈ 5% slower on the W1 gradient [1024, 1600] x [1600, 128]); one
// panel at a time reads each line of A twice.
#define DEAL(MR)                                                                                      \
  for (int ib = 0; ib < full; ib += 16 / (MR) > 0 ? 16 / (MR) : 1) {                                \
    const int group = 16 / (MR) > 0 ? 16 / (MR) : 1;                                                \
    const int g = full - ib < group ? full - ib : group;                                            \
    const float *s = src + (size_t)ib * (MR);                                                       \
    float *d = dst + (size_t)ib * panel;                                                            \
    for (int p = 0; p < kc; p++, s += m, d += (MR))                                                 \
      for (int j = 0; j < g; j++) memcpy(d + (size_t)j * panel, s + j * (MR), (size_t)(MR) * sizeof(float)); \
  }

// Rows [i0, i0 + mc) and depths [p0, p0 + kc) of op(A) into MR-row panels, each dst[p · MR + r]
// (rows past m zero). A row-major A ([m, k]) is transposed through registers (transpose_copy); a
// transposed one is dealt out a line at a time (DEAL). Either way the panels hold the floats the
// scalar copy put there, so the products are the same bits.
static void pack_a(int transA, int m, int k, const float *a, int i0, int mc, int p0, int kc, int mr,
                   float *dst) {
  const size_t panel = (size_t)kc * mr;
  if (transA) {
    const int full = (m - i0 < mc ? (m - i0 < 0 ? 0 : m - i0) : mc) / mr; // panels with MR rows
    const float *src = a + (size_t)p0 * m + i0;
    // MR is a constant in each case, so each copy is one or two vector moves.
    switch (mr) {
      case 8: DEAL(8); break;
      case 6: DEAL(6); break;
      case 4: DEAL(4); break;
      default: DEAL(mr);
    }
    for (int ir = full * mr; ir < mc; ir += mr) {
      const int i = i0 + ir;
      const int rows = m - i < 0 ? 0 : (m - i < mr ? m - i : mr);
      float *d = dst + (size_t)(ir / mr) * panel;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < mr; r++) d[p * mr + r] = r < rows ? a[(size_t)(p0 + p) * m + i + r] : 0.0f;
    }
    return;
  }
  for (int ir = 0; ir < mc; ir += mr, dst += panel) {
    const int i = i0 + ir;
    const int rows = m - i < 0 ? 0 : (m - i < mr ? m - i : mr);
    transpose_copy(a + (size_t)i * k + p0, (size_t)k, rows, kc, dst, (size_t)mr);
    for (int p = 0; p < kc; p++)
      for (int r = rows; r < mr; r++) dst[p * mr + r] = 0.0f;
  }
}

typedef struct {
  const sl_gemm_isa *isa;
  int transA, m, n, k, accumulate;
  const float *a;
  const float *packed;
  float *c;
  int row_tasks, col_tasks;
  // Added to every row of C after the product, one after the other (sl_gemm_packed_bias).
  int nbias;
  const float *const *bias;
} gemm_job;

// Rows [r0, r1) and columns [c0, c1) of C += each bias in turn, one rounding per add: the
// numbers of separate passes (y + b1, then + b2), while the tile is still in cache.
static void add_bias_tile(const gemm_job *job, int r0, int r1, int c0, int c1) {
  for (int i = r0; i < r1; i++) {
    float *row = job->c + (size_t)i * job->n;
    for (int b = 0; b < job->nbias; b++) {
      const float *bias = job->bias[b];
      for (int j = c0; j < c1; j++) row[j] += bias[j];
    }
  }
}

static void range(int total, int parts, int part, int *lo, int *hi) {
  const int base = total / parts, extra = total % parts;
  *lo = part * base + (part < extra ? part : extra);
  *hi = *lo + base + (part < extra ? 1 : 0);
}

// Walks the cache lines of the A block packed next (`rows` rows of `floats` floats, `stride`
// floats apart) a few at a time, prefetching them into L2 between micro-kernel calls: the block's
// floats come from memory while the FMAs of the current block run, instead of stalling pack_a (a
// W1 gradient's [1600, 1024] A is 6.5 MB, read once; its packing was 14–21% of the products with
// n = 128).
typedef struct {
  uintptr_t base; // an address, not a pointer: a row's last line may reach past the end of A
  size_t stride;
  int rows, lines, row, line, per_call;
} prefetcher;

static void prefetch_block(prefetcher *pf, const float *base, size_t stride, int rows, int floats, int calls) {
  pf->base = (uintptr_t)base;
  pf->stride = stride * sizeof(float);
  pf->rows = rows;
  pf->lines = (int)(((pf->base & 63) + (size_t)floats * sizeof(float) + 63) / 64);
  pf->row = pf->line = 0;
  pf->per_call = (rows * pf->lines + calls - 1) / calls;
}

static inline void prefetch_some(prefetcher *pf) {
  for (int i = 0; i < pf->per_call && pf->row < pf->rows; i++) {
    __builtin_prefetch((const void *)(pf->base + pf->row * pf->stride + (size_t)pf->line * 64), 0, 2);
    if (++pf->line == pf->lines) pf->line = 0, pf->row++;
  }
}

// The next micro-kernel call's tile of C: rows [r0, r1) of `cols` floats from c (ldc apart), which
// it reads (accumulating) or writes, fetched while this call's FMAs run.
static inline void prefetch_tile(const float *c, int ldc, int r0, int r1, int cols) {
  for (int r = r0; r < r1; r++)
    for (int t = 0; t < cols; t += 16) __builtin_prefetch(c + (size_t)r * ldc + t, 1, 3);
}

// Rows [r0, r1) and column panels [p0, p1) of the job's C, on the calling thread.
static void gemm_block(const gemm_job *job, int r0, int r1, int p0, int p1) {
  const int mr = job->isa->mr, nr = job->isa->nr, mc_max = mr * MC_PANELS;
  const int m = job->m, n = job->n, k = job->k;
  if (r0 >= r1 || p0 >= p1) return;
  const int kc_max = k < KC ? k : KC;
  float *ap = sl_thread_buffer(SL_BUFFER_GEMM_PACKED_A, (size_t)mc_max * kc_max, (size_t)mc_max * kc_max);
  if (!ap) abort();
  const sl_micro_kernel kernel = job->isa->kernel;
  for (int pc = 0; pc < k; pc += KC) {
    const int kc = k - pc < KC ? k - pc : KC;
    const int acc = job->accumulate || pc > 0;
    for (int ic = r0; ic < r1; ic += mc_max) {
      const int mc = r1 - ic < mc_max ? r1 - ic : mc_max;
      pack_a(job->transA, m, k, job->a, ic, mc, pc, kc, mr, ap);
      // The block packed after this one: the next rows, else the first rows of the next depths.
      prefetcher pf = {0};
      const int ic2 = ic + mc_max < r1 ? ic + mc_max : r0, pc2 = ic + mc_max < r1 ? pc : pc + KC;
      if (pc2 < k) {
        const int mc2 = r1 - ic2 < mc_max ? r1 - ic2 : mc_max, kc2 = k - pc2 < KC ? k - pc2 : KC;
        const int calls = (p1 - p0) * ((mc + mr - 1) / mr);
        if (job->transA) prefetch_block(&pf, job->a + (size_t)pc2 * m + ic2, (size_t)m, kc2, mc2, calls);
        else prefetch_block(&pf, job->a + (size_t)ic2 * k + pc2, (size_t)k, mc2, kc2, calls);
      }
      for (int jb = p0; jb < p1; jb++) {
        const float *bp = job->packed + ((size_t)jb * k + pc) * nr;
        const int j0 = jb * nr;
        const int cols = n - j0 < nr ? n - j0 : nr;
        for (int ir = 0; ir < mc; ir += mr) {
          const int rows = mc - ir < mr ? mc - ir : mr;
          float *c = job->c + (size_t)(ic + ir) * n + j0;
          prefetch_some(&pf);
          prefetch_tile(c, n, mr, mc - ir < 2 * mr ? mc - ir : 2 * mr, cols);
          kernel(kc, ap + (size_t)ir * kc, bp, c, n, rows, cols, acc);
        }
      }
      // The last block of depths completed these rows' elements: their biases, while in cache.
      if (job->nbias > 0 && pc + kc >= k) add_bias_tile(job, ic, ic + mc, p0 * nr, p1 * nr < n ? p1 * nr : n);
    }
  }
}

static void gemm_task(void *ctx, int task) {
  const gemm_job *job = ctx;
  const int mr = job->isa->mr, nr = job->isa->nr, m = job->m;
  int rb0, rb1, p0, p1;
  range((m + mr - 1) / mr, job->row_tasks, task / job->col_tasks, &rb0, &rb1);
  range((job->n + nr - 1) / nr, job->col_tasks, task % job->col_tasks, &p0, &p1);
  gemm_block(job, rb0 * mr, rb1 * mr < m ? rb1 * mr : m, p0, p1);
}

void sl_gemm_panels(int m, int n, int k, const float *a, int nb, const float *const *packed, int jb0, int jb1,
                    float *const *c, int ldc, int accumulate) {
  if (m <= 0 || jb0 >= jb1) return;
  const sl_gemm_isa *isa = sl_gemm_active();
  const int mr = isa->mr, nr = isa->nr, mc_max = mr * MC_PANELS;
  if (k <= 0) {
    if (accumulate) return;
    const int c0 = jb0 * nr, c1 = jb1 * nr < n ? jb1 * nr : n;
    for (int b = 0; b < nb; b++)
      for (int i = 0; i < m; i++) memset(c[b] + (size_t)i * ldc + c0, 0, (size_t)(c1 - c0) * sizeof(float));
    return;
  }
  const int kc_max = k < KC ? k : KC;
  float *ap = sl_thread_buffer(SL_BUFFER_GEMM_PACKED_A, (size_t)mc_max * kc_max, (size_t)mc_max * kc_max);
  if (!ap) abort();
  for (int pc = 0; pc < k; pc += KC) {
    const int kc = k - pc < KC ? k - pc : KC;
    const int acc = accumulate || pc > 0;
    for (int ic = 0; ic < m; ic += mc_max) {
      const int mc = m - ic < mc_max ? m - ic : mc_max;
      // A's block is packed once for every B.
      pack_a(0, m, k, a, ic, mc, pc, kc, mr, ap);
      for (int b = 0; b < nb; b++) {
        for (int jb = jb0; jb < jb1; jb++) {
          const float *bp = packed[b] + ((size_t)jb * k + pc) * nr;
          const int j0 = jb * nr;
          const int cols = n - j0 < nr ? n - j0 : nr;
          for (int ir = 0; ir < mc; ir += mr) {
            const int rows = mc - ir < mr ? mc - ir : mr;
            float *cb = c[b] + (size_t)(ic + ir) * ldc + j0;
            prefetch_tile(cb, ldc, mr, mc - ir < 2 * mr ? mc - ir : 2 * mr, cols);
            isa->kernel(kc, ap + (size_t)ir * kc, bp, cb, ldc, rows, cols, acc);
          }
        }
      }
    }
  }
}

void sl_gemm_packed_rows(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                         int accumulate, int r0, int r1) {
  if (r0 < 0) r0 = 0;
  if (r1 > m) r1 = m;
  if (r0 >= r1 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memset(c + (size_t)r0 * n, 0, (size_t)(r1 - r0) * n * sizeof(float));
    return;
  }
  const sl_gemm_isa *isa = sl_gemm_active();
  const gemm_job job = {isa, transA, m, n, k, accumulate, a, packed, c, 1, 1, 0, NULL};
  gemm_block(&job, r0, r1, 0, (n + isa->nr - 1) / isa->nr);
}

void sl_gemm_packed(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                    int accumulate) {
  sl_gemm_packed_bias(transA, m, n, k, a, packed, c, accumulate, 0, NULL);
}

void sl_gemm_packed_bias(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                         int accumulate, int nbias, const float *const *bias) {
  if (m <= 0 || n <= 0) return;
  const sl_gemm_isa *isa = sl_gemm_active();
  gemm_job job = {isa, transA, m, n, k, accumulate, a, packed, c, 1, 1, nbias, bias};
  if (k <= 0) {
    if (!accumulate) memset(c, 0, (size_t)m * n * sizeof(float));
    if (nbias > 0) add_bias_tile(&job, 0, m, 0, n);
    return;
  }
  const int threads = sl_pool_threads();
  const double flops = 2.0 * m * n * k;
  if (threads > 1 && flops >= SPLIT_FLOPS) {
    const int row_blocks = (m + isa->mr - 1) / isa->mr;
    const int panels = (n + isa->nr - 1) / isa->nr;
    // Two tasks per thread: a thread descheduled on a busy machine leaves work to the others
    // (a task is claimed only when a thread starts it). A column task packs its own copy of A,
    // which is small when there are few rows.
    if (row_blocks >= 4 * threads) {
      job.row_tasks = 2 * threads;
    } else {
      job.col_tasks = panels < 2 * threads ? panels : 2 * threads;
    }
  }
  sl_pool_run(gemm_task, &job, job.row_tasks * job.col_tasks);
}
