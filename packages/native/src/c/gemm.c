// The GEMM driver (gemm.h): packing and cache blocking around the micro-kernel of the active
// instruction set, and the split of big products over the thread pool.
//
// Loop nest per task (rows [r0, r1) x panels [p0, p1) of C), BLIS-style:
//   for each KC block of k:            the A block (MC x KC) is packed into MR-row panels (L2)
//     for each MC block of rows:
//       for each NR panel of columns:  the B micro-panel (KC x NR) stays in L1
//         for each MR block of rows:   one micro-kernel call
// Small products (under SPLIT_FLOPS) stay on the calling thread; the rest split by rows when
// there are enough of them, else by column panels (the recurrent step [B, H] x [H, G·H]).
#include "gemm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define KC SL_GEMM_KC
#define MC_PANELS SL_GEMM_MC_PANELS
#define SPLIT_FLOPS (4.0 * 1024 * 1024)

size_t sl_packed_size(int k, int n) {
  const int nr = sl_gemm_active()->nr;
  return (size_t)((n + nr - 1) / nr) * (size_t)k * (size_t)nr;
}

void sl_pack_b(int transB, int k, int n, const float *b, float *packed) {
  const int nr = sl_gemm_active()->nr;
  const int panels = (n + nr - 1) / nr;
  for (int jb = 0; jb < panels; jb++) {
    const int j0 = jb * nr;
    const int cols = n - j0 < nr ? n - j0 : nr;
    float *dst = packed + (size_t)jb * k * nr;
    for (int p = 0; p < k; p++, dst += nr) {
      if (transB) {
        for (int t = 0; t < cols; t++) dst[t] = b[(size_t)(j0 + t) * k + p];
      } else {
        memcpy(dst, b + (size_t)p * n + j0, (size_t)cols * sizeof(float));
      }
      for (int t = cols; t < nr; t++) dst[t] = 0.0f;
    }
  }
}

// One MR-row panel of op(A): rows [i, i + rows) (rows ≤ MR, zero past them) and depths
// [p0, p0 + kc), as dst[p · MR + r]. MR is a constant in each instance (pack_a's switch), so the
// copies of a transposed A's MR contiguous floats become vector moves. A row-major A is read row
// by row (sequential reads, writes MR floats apart in the panel, which stays in L1).
#define PACK_PANEL(MR)                                                                                 \
  static void pack_panel_##MR(int transA, int m, int k, const float *a, int i, int rows, int p0, int kc, \
                              float *dst) {                                                            \
    if (transA && rows == MR) {                                                                        \
      const float *src = a + (size_t)p0 * m + i;                                                       \
      for (int p = 0; p < kc; p++, dst += MR, src += m)                                                \
        for (int r = 0; r < MR; r++) dst[r] = src[r];                                                  \
      return;                                                                                          \
    }                                                                                                  \
    if (transA) {                                                                                      \
      const float *src = a + (size_t)p0 * m + i;                                                       \
      for (int p = 0; p < kc; p++, dst += MR, src += m)                                                \
        for (int r = 0; r < MR; r++) dst[r] = r < rows ? src[r] : 0.0f;                               \
      return;                                                                                          \
    }                                                                                                  \
    for (int r = 0; r < MR; r++) {                                                                     \
      if (r < rows) {                                                                                  \
        const float *src = a + (size_t)(i + r) * k + p0;                                               \
        for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];                                         \
      } else {                                                                                         \
        for (int p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;                                           \
      }                                                                                                \
    }                                                                                                  \
  }
PACK_PANEL(4)
PACK_PANEL(6)
PACK_PANEL(8)

// Packs rows [i0, i0 + mc) and depths [p0, p0 + kc) of op(A) into MR-row panels, zero past m.
static void pack_a(int transA, int m, int k, const float *a, int i0, int mc, int p0, int kc, int mr,
                   float *dst) {
  for (int ir = 0; ir < mc; ir += mr, dst += (size_t)kc * mr) {
    const int i = i0 + ir;
    const int rows = m - i < 0 ? 0 : (m - i < mr ? m - i : mr);
    switch (mr) {
      case 4: pack_panel_4(transA, m, k, a, i, rows, p0, kc, dst); break;
      case 6: pack_panel_6(transA, m, k, a, i, rows, p0, kc, dst); break;
      case 8: pack_panel_8(transA, m, k, a, i, rows, p0, kc, dst); break;
      default:
        for (int p = 0; p < kc; p++)
          for (int r = 0; r < mr; r++)
            dst[p * mr + r] = r >= rows ? 0.0f : transA ? a[(size_t)(p0 + p) * m + i + r] : a[(size_t)(i + r) * k + p0 + p];
    }
  }
}

typedef struct {
  const sl_gemm_isa *isa;
  int transA, m, n, k, accumulate;
  const float *a;
  const float *packed;
  float *c;
  int row_tasks, col_tasks;
} gemm_job;

// Per-thread scratch for the packed A block, grown on demand and kept; a pool worker's is freed
// when the worker exits (a pthread key's destructor), so resizing the pool leaks nothing.
static _Thread_local float *scratch = NULL;
static _Thread_local size_t scratch_size = 0;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_key_init(void) { pthread_key_create(&scratch_key, free); }

static float *scratch_for(size_t floats) {
  if (floats > scratch_size) {
    pthread_once(&scratch_once, scratch_key_init);
    free(scratch);
    scratch = aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64);
    scratch_size = scratch ? floats : 0;
    pthread_setspecific(scratch_key, scratch);
  }
  return scratch;
}

static void range(int total, int parts, int part, int *lo, int *hi) {
  const int base = total / parts, extra = total % parts;
  *lo = part * base + (part < extra ? part : extra);
  *hi = *lo + base + (part < extra ? 1 : 0);
}

static void gemm_task(void *ctx, int task) {
  const gemm_job *job = ctx;
  const int mr = job->isa->mr, nr = job->isa->nr, mc_max = mr * MC_PANELS;
  const int n = job->n, k = job->k;
  int rb0, rb1, p0, p1;
  range((job->m + mr - 1) / mr, job->row_tasks, task / job->col_tasks, &rb0, &rb1);
  range((n + nr - 1) / nr, job->col_tasks, task % job->col_tasks, &p0, &p1);
  const int r0 = rb0 * mr, r1 = rb1 * mr < job->m ? rb1 * mr : job->m;
  if (r0 >= r1 || p0 >= p1) return;
  const int kc_max = k < KC ? k : KC;
  float *ap = scratch_for((size_t)mc_max * kc_max);
  if (!ap) abort();
  const sl_micro_kernel kernel = job->isa->kernel;
  for (int pc = 0; pc < k; pc += KC) {
    const int kc = k - pc < KC ? k - pc : KC;
    const int acc = job->accumulate || pc > 0;
    for (int ic = r0; ic < r1; ic += mc_max) {
      const int mc = r1 - ic < mc_max ? r1 - ic : mc_max;
      pack_a(job->transA, job->m, k, job->a, ic, mc, pc, kc, mr, ap);
      for (int jb = p0; jb < p1; jb++) {
        const float *bp = job->packed + ((size_t)jb * k + pc) * nr;
        const int j0 = jb * nr;
        const int cols = n - j0 < nr ? n - j0 : nr;
        for (int ir = 0; ir < mc; ir += mr) {
          const int rows = mc - ir < mr ? mc - ir : mr;
          kernel(kc, ap + (size_t)ir * kc, bp, job->c + (size_t)(ic + ir) * n + j0, n, rows, cols, acc);
        }
      }
    }
  }
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
  float *ap = scratch_for((size_t)mc_max * kc_max);
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
            isa->kernel(kc, ap + (size_t)ir * kc, bp, c[b] + (size_t)(ic + ir) * ldc + j0, ldc, rows, cols, acc);
          }
        }
      }
    }
  }
}

void sl_gemm_packed(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                    int accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memset(c, 0, (size_t)m * n * sizeof(float));
    return;
  }
  const sl_gemm_isa *isa = sl_gemm_active();
  gemm_job job = {isa, transA, m, n, k, accumulate, a, packed, c, 1, 1};
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
