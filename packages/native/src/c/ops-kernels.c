// The kernels of ops.h as plain C loops, compiled once per instruction set: ops-portable.c,
// ops-avx2.c and ops-avx512.c define SL_OPS_SUFFIX and include this file, and binding.gyp gives
// each its -m flags, so the auto-vectorizer emits SSE2, AVX2 or AVX-512 from the same loops. All
// three are built with -ffp-contract=off (no fused multiply-adds the js kernels do not do) and
// -fno-math-errno (so sqrtf vectorizes).
//
// NOTE(native-ops-accuracy): float32 kernels of a float32 operation (add, sub, mul, div, sqrt, max,
// min, copies, the scatter-add's adds) equal the js kernel's float64-then-round bit for bit, as
// IEEE-754 guarantees for these operations. Where the js kernel computes in float64 and rounds once
// (unary functions and their backwards, softmax, Adam's update, sums), this file does the same
// float64 arithmetic in the same order; exp, log and tanh come from the C library instead of V8's,
// which may round a float64 result differently in its last bit (invisible after rounding to float32
// almost always; the conformance suite allows 8 ulps). Two kernels sum in another order than the js
// kernel, in float64, so their float32 result differs only when the float64 sums round to different
// float32s: a sum over the last axis (8 float64 accumulators, combined in a fixed order), and
// sum_squares (8 accumulators per block of SUMSQ_BLOCK elements, blocks added in order). Neither
// order depends on the thread count.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pool.h"

#define SL_CAT2(a, b) a##b
#define SL_CAT(a, b) SL_CAT2(a, b)
#define OPS_TABLE SL_CAT(sl_ops_, SL_OPS_SUFFIX)
#define OPS_NAME_STR2(s) #s
#define OPS_NAME_STR(s) OPS_NAME_STR2(s)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
// Rows of a tiled transpose (a tile is TILE_ROWS rows x TILE_COLS columns).
#define TILE_ROWS 16
#define TILE_COLS 64
#define SUMSQ_BLOCK 4096

// --- running a range of work on the pool -------------------------------------------------------

typedef void (*range_fn)(const void *ctx, size_t lo, size_t hi);

typedef struct {
  range_fn fn;
  const void *ctx;
  size_t n, chunk;
} range_job;

static void range_task(void *p, int t) {
  const range_job *j = p;
  size_t lo = (size_t)t * j->chunk;
  size_t hi = MIN(j->n, lo + j->chunk);
  if (lo < hi) j->fn(j->ctx, lo, hi);
}

// fn(ctx, lo, hi) over [0, n) in pieces that are multiples of `align`, on the pool when `work`
// (elements touched) reaches SL_OPS_PARALLEL. The pieces only split independent outputs.
static void parallel_for(size_t n, size_t work, size_t align, range_fn fn, const void *ctx) {
  int tasks = work >= SL_OPS_PARALLEL ? sl_pool_threads() : 1;
  if (tasks <= 1 || n <= align) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  size_t chunk = (n + (size_t)tasks - 1) / (size_t)tasks;
  chunk = (chunk + align - 1) / align * align;
  range_job job = {fn, ctx, n, chunk};
  sl_pool_run(range_task, &job, (int)((n + chunk - 1) / chunk));
}

// --- unary -------------------------------------------------------------------------------------

typedef struct {
  int op;
  const float *x, *y, *dy;
  float *out;
} unary_ctx;

static void unary_range(const void *p, size_t lo, size_t hi) {
  const unary_ctx *c = p;
  const float *x = c->x + lo;
  float *out = c->out + lo;
  const size_t n = hi - lo;
  switch (c->op) {
  case SL_NEG:
    for (size_t i = 0; i < n; i++) out[i] = -x[i];
    break;
  case SL_EXP:
    for (size_t i = 0; i < n; i++) out[i] = (float)exp((double)x[i]);
    break;
  case SL_LOG:
    for (size_t i = 0; i < n; i++) out[i] = (float)log((double)x[i]);
    break;
  case SL_SQRT:
    for (size_t i = 0; i < n; i++) out[i] = sqrtf(x[i]);
    break;
  case SL_ABS:
    for (size_t i = 0; i < n; i++) out[i] = fabsf(x[i]);
    break;
  case SL_TANH:
    for (size_t i = 0; i < n; i++) out[i] = (float)tanh((double)x[i]);
    break;
  case SL_SIGMOID:
    for (size_t i = 0; i < n; i++) out[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
    break;
  case SL_RELU: // NaN propagates, as torch.relu
    for (size_t i = 0; i < n; i++) out[i] = x[i] > 0 || x[i] != x[i] ? x[i] : 0.0f;
    break;
  case SL_SIGN:
    for (size_t i = 0; i < n; i++) out[i] = x[i] > 0 ? 1.0f : x[i] < 0 ? -1.0f : 0.0f;
    break;
  }
}

static void unary(int op, const float *x, float *out, size_t n) {
  unary_ctx c = {op, x, NULL, NULL, out};
  parallel_for(n, n, 16, unary_range, &c);
}

static void unary_backward_range(const void *p, size_t lo, size_t hi) {
  const unary_ctx *c = p;
  const float *x = c->x + lo, *y = c->y + lo, *dy = c->dy + lo;
  float *dx = c->out + lo;
  const size_t n = hi - lo;
  switch (c->op) {
  case SL_NEG:
    for (size_t i = 0; i < n; i++) dx[i] = -dy[i];
    break;
  case SL_EXP:
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i];
    break;
  case SL_LOG:
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] / x[i];
    break;
  case SL_SQRT:
    for (size_t i = 0; i < n; i++) dx[i] = (float)((double)dy[i] / (2.0 * (double)y[i]));
    break;
  case SL_ABS:
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0.0f;
    break;
  case SL_TANH:
    for (size_t i = 0; i < n; i++) dx[i] = (float)((double)dy[i] * (1.0 - (double)y[i] * (double)y[i]));
    break;
  case SL_SIGMOID:
    for (size_t i = 0; i < n; i++) dx[i] = (float)((double)dy[i] * (double)y[i] * (1.0 - (double)y[i]));
    break;
  case SL_RELU:
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
    break;
  case SL_SIGN:
    for (size_t i = 0; i < n; i++) dx[i] = 0.0f;
    break;
  }
}

static void unary_backward(int op, const float *x, const float *y, const float *dy, float *dx, size_t n) {
  unary_ctx c = {op, x, y, dy, dx};
  parallel_for(n, 2 * n, 16, unary_backward_range, &c);
}

// --- binary ------------------------------------------------------------------------------------

// One row: out[j] = a[j * sa] (op) b[j * sb], with sa, sb in {0, 1}; one loop per case so each
// vectorizes (a 0 stride is a broadcast scalar).
#define BINARY_ROW(EXPR)                                                                               \
  do {                                                                                                 \
    if (sa && sb) {                                                                                    \
      for (size_t j = 0; j < n; j++) {                                                                 \
        const float x = a[j], y = b[j];                                                                \
        out[j] = (EXPR);                                                                               \
      }                                                                                                \
    } else if (sa) {                                                                                   \
      const float y = b[0];                                                                            \
      for (size_t j = 0; j < n; j++) {                                                                 \
        const float x = a[j];                                                                          \
        out[j] = (EXPR);                                                                               \
      }                                                                                                \
    } else if (sb) {                                                                                   \
      const float x = a[0];                                                                            \
      for (size_t j = 0; j < n; j++) {                                                                 \
        const float y = b[j];                                                                          \
        out[j] = (EXPR);                                                                               \
      }                                                                                                \
    } else {                                                                                           \
      const float x = a[0], y = b[0];                                                                  \
      const float v = (EXPR);                                                                          \
      for (size_t j = 0; j < n; j++) out[j] = v;                                                       \
    }                                                                                                  \
  } while (0)

static void binary_row(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *out, size_t n) {
  switch (op) {
  case SL_ADD:
    BINARY_ROW(x + y);
    break;
  case SL_SUB:
    BINARY_ROW(x - y);
    break;
  case SL_MUL:
    BINARY_ROW(x * y);
    break;
  case SL_DIV:
    BINARY_ROW(x / y);
    break;
  case SL_MAXIMUM: // NaN-propagating, as torch.maximum
    BINARY_ROW(x != x || x > y ? x : y);
    break;
  case SL_MINIMUM:
    BINARY_ROW(x != x || x < y ? x : y);
    break;
  }
}

typedef struct {
  int op;
  const sl_view *a, *b;
  int rank;
  const ptrdiff_t *dims;
  float *out;
} binary_ctx;

// The output elements [lo, hi) in row-major order: a partial first row, whole rows, a partial last.
static void binary_range(const void *p, size_t lo, size_t hi) {
  const binary_ctx *c = p;
  const int r = c->rank;
  const ptrdiff_t *dims = c->dims, *as = c->a->strides, *bs = c->b->strides;
  const size_t n = (size_t)dims[r - 1];
  ptrdiff_t idx[SL_OPS_MAX_RANK];
  ptrdiff_t ao = c->a->offset, bo = c->b->offset;
  size_t rem = lo;
  for (int d = r - 1; d >= 0; d--) {
    idx[d] = (ptrdiff_t)(rem % (size_t)dims[d]);
    rem /= (size_t)dims[d];
    ao += idx[d] * as[d];
    bo += idx[d] * bs[d];
  }
  for (size_t pos = lo; pos < hi;) {
    const size_t len = MIN(n - (size_t)idx[r - 1], hi - pos);
    binary_row(c->op, c->a->data + ao, as[r - 1], c->b->data + bo, bs[r - 1], c->out + pos, len);
    pos += len;
    if (pos >= hi) break;
    // The next row starts at column 0.
    ao -= idx[r - 1] * as[r - 1];
    bo -= idx[r - 1] * bs[r - 1];
    idx[r - 1] = 0;
    for (int d = r - 2; d >= 0; d--) {
      ao += as[d];
      bo += bs[d];
      if (++idx[d] < dims[d]) break;
      ao -= as[d] * dims[d];
      bo -= bs[d] * dims[d];
      idx[d] = 0;
    }
  }
}

static void binary(int op, const sl_view *a, const sl_view *b, int rank, const ptrdiff_t *dims, float *out) {
  size_t total = 1;
  for (int d = 0; d < rank; d++) total *= (size_t)dims[d];
  binary_ctx c = {op, a, b, rank, dims, out};
  parallel_for(total, total, 16, binary_range, &c);
}

// --- reductions --------------------------------------------------------------------------------

typedef struct {
  int op;
  const float *x;
  size_t outer, size, inner;
  float *out;
} reduce_ctx;

// Rows [lo, hi) of x [outer, size] (inner 1): one output per row.
static void reduce_rows(const void *p, size_t lo, size_t hi) {
  const reduce_ctx *c = p;
  const size_t size = c->size;
  for (size_t o = lo; o < hi; o++) {
    const float *x = c->x + o * size;
    if (c->op == SL_SUM) {
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      size_t i = 0;
      for (; i + 8 <= size; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += (double)x[i + l];
      double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (; i < size; i++) s += (double)x[i];
      c->out[o] = (float)s;
    } else if (c->op == SL_MAX) {
      float m = -INFINITY;
      for (size_t i = 0; i < size; i++)
        if (x[i] > m || x[i] != x[i]) m = x[i];
      c->out[o] = m;
    } else {
      float m = INFINITY;
      for (size_t i = 0; i < size; i++)
        if (x[i] < m || x[i] != x[i]) m = x[i];
      c->out[o] = m;
    }
  }
}

// Columns [lo, hi) of every outer slice of x [outer, size, inner], summed (or maxed) down the
// middle axis in its order, as the js kernel does, TILE_COLS columns at a time.
static void reduce_cols(const void *p, size_t lo, size_t hi) {
  const reduce_ctx *c = p;
  const size_t size = c->size, inner = c->inner;
  for (size_t o = 0; o < c->outer; o++) {
    const float *x = c->x + o * size * inner;
    float *out = c->out + o * inner;
    for (size_t j0 = lo; j0 < hi; j0 += TILE_COLS) {
      const size_t w = MIN(TILE_COLS, hi - j0);
      if (c->op == SL_SUM) {
        double acc[TILE_COLS];
        for (size_t j = 0; j < w; j++) acc[j] = 0;
        for (size_t i = 0; i < size; i++) {
          const float *row = x + i * inner + j0;
          for (size_t j = 0; j < w; j++) acc[j] += (double)row[j];
        }
        for (size_t j = 0; j < w; j++) out[j0 + j] = (float)acc[j];
      } else {
        const int max = c->op == SL_MAX;
        float acc[TILE_COLS];
        for (size_t j = 0; j < w; j++) acc[j] = max ? -INFINITY : INFINITY;
        for (size_t i = 0; i < size; i++) {
          const float *row = x + i * inner + j0;
          if (max) {
            for (size_t j = 0; j < w; j++)
              if (row[j] > acc[j] || row[j] != row[j]) acc[j] = row[j];
          } else {
            for (size_t j = 0; j < w; j++)
              if (row[j] < acc[j] || row[j] != row[j]) acc[j] = row[j];
          }
        }
        for (size_t j = 0; j < w; j++) out[j0 + j] = acc[j];
      }
    }
  }
}

static void reduce(int op, const float *x, size_t outer, size_t size, size_t inner, float *out) {
  reduce_ctx c = {op, x, outer, size, inner, out};
  const size_t work = outer * size * inner;
  if (inner == 1) parallel_for(outer, work, 1, reduce_rows, &c);
  else parallel_for(inner, work, TILE_COLS, reduce_cols, &c);
}

// --- strided copies ----------------------------------------------------------------------------

typedef struct {
  const float *src;
  float *dst;
  ptrdiff_t offset;
  const ptrdiff_t *strides;
  int rank;
  const ptrdiff_t *dims;
} strided_ctx;

// Storage offset of row `row` (all dims but the last, row-major) of a view.
static ptrdiff_t row_offset(const strided_ctx *c, size_t row) {
  ptrdiff_t off = c->offset;
  for (int d = c->rank - 2; d >= 0; d--) {
    off += (ptrdiff_t)(row % (size_t)c->dims[d]) * c->strides[d];
    row /= (size_t)c->dims[d];
  }
  return off;
}

// Rows [lo, hi) of out = view, TILE_ROWS rows at a time; a strided last dim is gathered tile by
// tile (a transpose reads TILE_ROWS neighbouring source columns per cache line).
static void copy_rows(const void *p, size_t lo, size_t hi) {
  const strided_ctx *c = p;
  const size_t n = (size_t)c->dims[c->rank - 1];
  const ptrdiff_t step = c->strides[c->rank - 1];
  ptrdiff_t off[TILE_ROWS];
  for (size_t r0 = lo; r0 < hi; r0 += TILE_ROWS) {
    const size_t rows = MIN(TILE_ROWS, hi - r0);
    for (size_t r = 0; r < rows; r++) off[r] = row_offset(c, r0 + r);
    if (step == 1) {
      for (size_t r = 0; r < rows; r++) memcpy(c->dst + (r0 + r) * n, c->src + off[r], n * sizeof(float));
      continue;
    }
    for (size_t j0 = 0; j0 < n; j0 += TILE_COLS) {
      const size_t w = MIN(TILE_COLS, n - j0);
      for (size_t r = 0; r < rows; r++) {
        const float *s = c->src + off[r] + (ptrdiff_t)j0 * step;
        float *d = c->dst + (r0 + r) * n + j0;
        for (size_t j = 0; j < w; j++) d[j] = s[(ptrdiff_t)j * step];
      }
    }
  }
}

static void strided_copy(const sl_view *src, int rank, const ptrdiff_t *dims, float *out) {
  size_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= (size_t)dims[d];
  const size_t total = rows * (size_t)dims[rank - 1];
  strided_ctx c = {src->data, out, src->offset, src->strides, rank, dims};
  parallel_for(rows, total, TILE_ROWS, copy_rows, &c);
}

// Rows [lo, hi) of view += src, for a view whose positions are all distinct.
static void accumulate_rows(const void *p, size_t lo, size_t hi) {
  const strided_ctx *c = p;
  const size_t n = (size_t)c->dims[c->rank - 1];
  const ptrdiff_t step = c->strides[c->rank - 1];
  ptrdiff_t off[TILE_ROWS];
  for (size_t r0 = lo; r0 < hi; r0 += TILE_ROWS) {
    const size_t rows = MIN(TILE_ROWS, hi - r0);
    for (size_t r = 0; r < rows; r++) off[r] = row_offset(c, r0 + r);
    if (step == 1) {
      for (size_t r = 0; r < rows; r++) {
        float *d = c->dst + off[r];
        const float *s = c->src + (r0 + r) * n;
        for (size_t j = 0; j < n; j++) d[j] += s[j];
      }
      continue;
    }
    // A strided last dim (the gradient of a transpose): down the tile's rows for each column, so
    // the read-modify-writes walk the destination's rows (contiguous when the row stride is 1).
    for (size_t j0 = 0; j0 < n; j0 += TILE_COLS) {
      const size_t w = MIN(TILE_COLS, n - j0);
      for (size_t j = j0; j < j0 + w; j++) {
        float *d = c->dst + (ptrdiff_t)j * step;
        const float *s = c->src + r0 * n + j;
        for (size_t r = 0; r < rows; r++) d[off[r]] += s[r * n];
      }
    }
  }
}

// Whether the view's positions are provably distinct: sorted by |stride|, every stride clears the
// extent of the smaller ones (a stride of 0, a repeated position, fails).
static int distinct_positions(int rank, const ptrdiff_t *dims, const ptrdiff_t *strides) {
  ptrdiff_t s[SL_OPS_MAX_RANK], e[SL_OPS_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    s[d] = strides[d] < 0 ? -strides[d] : strides[d];
    e[d] = dims[d];
  }
  for (int i = 1; i < rank; i++) // insertion sort by stride
    for (int k = i; k > 0 && s[k] < s[k - 1]; k--) {
      ptrdiff_t t = s[k]; s[k] = s[k - 1]; s[k - 1] = t;
      t = e[k]; e[k] = e[k - 1]; e[k - 1] = t;
    }
  ptrdiff_t extent = 1;
  for (int d = 0; d < rank; d++) {
    if (e[d] == 1) continue;
    if (s[d] < extent) return 0;
    extent = s[d] * (e[d] - 1) + extent;
  }
  return 1;
}

// dst[view] += src where positions repeat: the js kernel's order exactly, on one thread (a row
// whose positions are all one, stride 0, is summed in float64 first, as the js kernel does).
static void accumulate_sequential(const strided_ctx *c, size_t rows) {
  const int r = c->rank;
  const size_t n = (size_t)c->dims[r - 1];
  const ptrdiff_t step = c->strides[r - 1];
  for (size_t row = 0; row < rows; row++) {
    const ptrdiff_t off = row_offset(c, row);
    const float *s = c->src + row * n;
    float *d = c->dst + off;
    if (step == 0) {
      double sum = 0;
      for (size_t j = 0; j < n; j++) sum += (double)s[j];
      d[0] = (float)((double)d[0] + sum);
    } else {
      for (size_t j = 0; j < n; j++) d[(ptrdiff_t)j * step] += s[j];
    }
  }
}

static void strided_accumulate(const float *src, int rank, const ptrdiff_t *dims, float *dst, const ptrdiff_t *strides,
                               ptrdiff_t offset) {
  size_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= (size_t)dims[d];
  const size_t total = rows * (size_t)dims[rank - 1];
  strided_ctx c = {src, dst, offset, strides, rank, dims};
  if (distinct_positions(rank, dims, strides)) parallel_for(rows, total, TILE_ROWS, accumulate_rows, &c);
  else accumulate_sequential(&c, rows);
}

typedef struct {
  float *out;
  float value;
} fill_ctx;

static void fill_range(const void *p, size_t lo, size_t hi) {
  const fill_ctx *c = p;
  for (size_t i = lo; i < hi; i++) c->out[i] = c->value;
}

static void fill(float *out, size_t n, float value) {
  fill_ctx c = {out, value};
  parallel_for(n, n, 16, fill_range, &c);
}

// --- embedding gather and scatter-add ----------------------------------------------------------

typedef struct {
  const float *x;
  float *out;
  size_t outer, size, inner, m;
  const int *index;
} index_ctx;

// Output rows [lo, hi) of [outer, m] rows of `inner` floats.
static void select_rows(const void *p, size_t lo, size_t hi) {
  const index_ctx *c = p;
  for (size_t r = lo; r < hi; r++) {
    const size_t o = r / c->m, i = r % c->m;
    memcpy(c->out + r * c->inner, c->x + (o * c->size + (size_t)c->index[i]) * c->inner, c->inner * sizeof(float));
  }
}

static void index_select(const float *x, size_t outer, size_t size, size_t inner, const int *index, size_t m,
                         float *out) {
  index_ctx c = {x, out, outer, size, inner, m, index};
  parallel_for(outer * m, outer * m * inner, 1, select_rows, &c);
}

// Columns [lo, hi) of every row: each task adds every source row into its own columns, in index
// order, so repeated indices accumulate in the js kernel's order whatever the thread count.
static void add_cols(const void *p, size_t lo, size_t hi) {
  const index_ctx *c = p;
  float *dst = (float *)c->x;
  for (size_t o = 0; o < c->outer; o++)
    for (size_t i = 0; i < c->m; i++) {
      float *d = dst + (o * c->size + (size_t)c->index[i]) * c->inner;
      const float *s = c->out + (o * c->m + i) * c->inner;
      for (size_t j = lo; j < hi; j++) d[j] += s[j];
    }
}

static void index_add(float *dst, size_t outer, size_t size, size_t inner, const int *index, size_t m,
                      const float *src) {
  index_ctx c = {dst, (float *)src, outer, size, inner, m, index};
  parallel_for(inner, outer * m * inner, 16, add_cols, &c);
}

// --- softmax -----------------------------------------------------------------------------------

typedef struct {
  const float *x, *dy;
  float *out;
  size_t size, inner;
  int log;
} softmax_ctx;

// Lines [lo, hi) of the outer x inner lines along the middle axis, in float64 as the js kernel.
static void softmax_lines(const void *p, size_t lo, size_t hi) {
  const softmax_ctx *c = p;
  const size_t size = c->size, inner = c->inner;
  for (size_t line = lo; line < hi; line++) {
    const size_t base = (line / inner) * size * inner + line % inner;
    const float *x = c->x + base;
    float *out = c->out + base;
    double max = -INFINITY;
    for (size_t i = 0; i < size; i++) {
      const double v = x[i * inner];
      if (v > max || v != v) max = v;
    }
    double sum = 0;
    for (size_t i = 0; i < size; i++) sum += exp((double)x[i * inner] - max);
    if (c->log) {
      const double lse = max + log(sum);
      for (size_t i = 0; i < size; i++) out[i * inner] = (float)((double)x[i * inner] - lse);
    } else {
      for (size_t i = 0; i < size; i++) out[i * inner] = (float)(exp((double)x[i * inner] - max) / sum);
    }
  }
}

static void softmax(const float *x, size_t outer, size_t size, size_t inner, int log, float *out) {
  softmax_ctx c = {x, NULL, out, size, inner, log};
  parallel_for(outer * inner, outer * size * inner, 1, softmax_lines, &c);
}

static void softmax_backward_lines(const void *p, size_t lo, size_t hi) {
  const softmax_ctx *c = p;
  const size_t size = c->size, inner = c->inner;
  for (size_t line = lo; line < hi; line++) {
    const size_t base = (line / inner) * size * inner + line % inner;
    const float *y = c->x + base, *dy = c->dy + base;
    float *dx = c->out + base;
    double s = 0;
    if (c->log) {
      for (size_t i = 0; i < size; i++) s += (double)dy[i * inner];
      for (size_t i = 0; i < size; i++)
        dx[i * inner] = (float)((double)dy[i * inner] - exp((double)y[i * inner]) * s);
    } else {
      for (size_t i = 0; i < size; i++) s += (double)dy[i * inner] * (double)y[i * inner];
      for (size_t i = 0; i < size; i++)
        dx[i * inner] = (float)((double)y[i * inner] * ((double)dy[i * inner] - s));
    }
  }
}

static void softmax_backward(const float *y, const float *dy, size_t outer, size_t size, size_t inner, int log,
                             float *dx) {
  softmax_ctx c = {y, dy, dx, size, inner, log};
  parallel_for(outer * inner, 2 * outer * size * inner, 1, softmax_backward_lines, &c);
}

// --- the optimizer's loops ---------------------------------------------------------------------

// Elements [lo, hi) of Adam's update: the js loop (@seqlab/tensor's js/optim.ts) term by term, in
// float64 with float32 state, so the results are the js kernel's bit for bit. The four buffers are
// distinct tensors' storage (restrict, so the loop vectorizes); `l2` and `amsgrad` are constants in
// each call below, so each variant is its own loop without branches.
static inline __attribute__((always_inline)) void adam_loop(const sl_adam_args *a, size_t lo, size_t hi,
                                                            const int l2_on, const int amsgrad) {
  float *restrict x = a->param;
  float *restrict m = a->exp_avg;
  float *restrict v = a->exp_avg_sq;
  float *restrict vmax = a->max_exp_avg_sq;
  const float *restrict g = a->grad;
  const double beta1 = a->beta1, beta2 = a->beta2, eps = a->eps, step_size = a->step_size;
  const double bias2_sqrt = a->bias2_sqrt, l2 = a->l2, decay = a->decay;
  const double sign = a->maximize ? -1.0 : 1.0; // −g exactly
  for (size_t i = lo; i < hi; i++) {
    double gi = sign * (double)g[i];
    if (l2_on) gi += l2 * (double)x[i];
    const double xi = (double)x[i] * decay;
    const float mi = (float)(beta1 * (double)m[i] + (1 - beta1) * gi);
    const float vi = (float)(beta2 * (double)v[i] + (1 - beta2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    float vhat = vi;
    if (amsgrad) {
      const float old = vmax[i];
      vhat = old != old || vi != vi ? NAN : (old > vi ? old : vi); // NaN-propagating, as Math.max
      vmax[i] = vhat;
    }
    x[i] = (float)(xi - (step_size * (double)mi) / (sqrt((double)vhat) / bias2_sqrt + eps));
  }
}

static void adam_range(const void *p, size_t lo, size_t hi) {
  const sl_adam_args *a = p;
  const int l2_on = a->l2 != 0, amsgrad = a->max_exp_avg_sq != NULL;
  if (l2_on && amsgrad) adam_loop(a, lo, hi, 1, 1);
  else if (l2_on) adam_loop(a, lo, hi, 1, 0);
  else if (amsgrad) adam_loop(a, lo, hi, 0, 1);
  else adam_loop(a, lo, hi, 0, 0);
}

static void adam(const sl_adam_args *a) { parallel_for(a->n, 4 * a->n, 16, adam_range, a); }

typedef struct {
  const float *x;
  size_t n;
  double *blocks;
} sumsq_ctx;

static double block_squares(const float *x, size_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += (double)x[i + l] * (double)x[i + l];
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) s += (double)x[i] * (double)x[i];
  return s;
}

static void sumsq_blocks(const void *p, size_t lo, size_t hi) {
  const sumsq_ctx *c = p;
  for (size_t b = lo; b < hi; b++) {
    const size_t start = b * SUMSQ_BLOCK;
    c->blocks[b] = block_squares(c->x + start, MIN(SUMSQ_BLOCK, c->n - start));
  }
}

static double sum_squares(const float *x, size_t n, double init) {
  const size_t nb = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
  double stack[64];
  double *blocks = nb <= 64 ? stack : malloc(nb * sizeof(double));
  double total = init;
  if (!blocks) { // out of memory: the same blocks, one at a time
    for (size_t b = 0; b < nb; b++) total += block_squares(x + b * SUMSQ_BLOCK, MIN(SUMSQ_BLOCK, n - b * SUMSQ_BLOCK));
    return total;
  }
  sumsq_ctx c = {x, n, blocks};
  parallel_for(nb, n, 1, sumsq_blocks, &c);
  for (size_t b = 0; b < nb; b++) total += blocks[b];
  if (blocks != stack) free(blocks);
  return total;
}

const sl_ops_table OPS_TABLE = {
    OPS_NAME_STR(SL_OPS_SUFFIX),
    unary,
    unary_backward,
    binary,
    reduce,
    strided_copy,
    strided_accumulate,
    fill,
    index_select,
    index_add,
    softmax,
    softmax_backward,
    adam,
    sum_squares,
};
