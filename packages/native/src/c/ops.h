// The float32 kernels of the Backend besides the GEMM and the recurrence: elementwise, reductions,
// softmax, strided copies, the embedding's gather and scatter-add, fill, and the optimizer's
// fused loops (Adam's update, the sum of squares of clip-grad-norm). ops-kernels.c holds them
// all as plain C loops written for the auto-vectorizer; it is compiled once per instruction set
// (ops-portable.c, ops-avx2.c, ops-avx512.c, each with its own -m flags in binding.gyp) and
// ops-binding.c runs the table of the GEMM's instruction set (sl_ops_active).
//
// Each kernel computes what the js kernel of @seqlab/tensor computes, in the same precision
// (float32 storage, float64 wherever the js kernel rounds a float64 result once), so most are bit
// for bit the js kernel's: see NOTE(native-ops-accuracy) in ops-kernels.c for the exceptions.
//
// Threads: a kernel splits its work across the pool (pool.h) only above SL_OPS_PARALLEL elements,
// and always into pieces whose results do not depend on how many threads run them (each output
// element is written by one task, in the order one thread would write it), so any thread count
// gives the same bits.
#ifndef SL_OPS_H
#define SL_OPS_H

#include <stddef.h>

// Elements below which a kernel runs on the calling thread alone (waking the pool costs more).
#define SL_OPS_PARALLEL 32768
// The most dims a strided kernel takes (after merging contiguous dims); more fall back to js.
#define SL_OPS_MAX_RANK 6

// Unary ops, in the order of the UnaryOp union of @seqlab/tensor (src/ops.ts maps the names).
enum { SL_NEG, SL_EXP, SL_LOG, SL_SQRT, SL_ABS, SL_TANH, SL_SIGMOID, SL_RELU, SL_SIGN, SL_UNARY_OPS };
// The binary ops with a native kernel (the rest run the js kernel).
enum { SL_ADD, SL_SUB, SL_MUL, SL_DIV, SL_MAXIMUM, SL_MINIMUM, SL_BINARY_OPS };
// Reductions.
enum { SL_SUM, SL_MAX, SL_MIN, SL_REDUCE_OPS };

// A strided float32 view of `rank` dims (sizes in the caller's `dims`), from `offset`.
typedef struct {
  const float *data;
  ptrdiff_t offset;
  ptrdiff_t strides[SL_OPS_MAX_RANK];
} sl_view;

// Adam's update of one parameter (see @seqlab/tensor's js/optim.ts for the loop it reproduces).
typedef struct {
  float *param;
  const float *grad;
  float *exp_avg;
  float *exp_avg_sq;
  float *max_exp_avg_sq; // NULL without amsgrad
  size_t n;
  double beta1, beta2, eps, step_size, bias2_sqrt, l2, decay;
  int maximize;
} sl_adam_args;

typedef struct {
  const char *isa;
  void (*unary)(int op, const float *x, float *out, size_t n);
  void (*unary_backward)(int op, const float *x, const float *y, const float *dy, float *dx, size_t n);
  // out[i...] = a (op) b over dims[0..rank); the last dim of a and b has stride 0 or 1.
  void (*binary)(int op, const sl_view *a, const sl_view *b, int rank, const ptrdiff_t *dims, float *out);
  // x [outer, size, inner] reduced over the middle axis into out [outer, inner].
  void (*reduce)(int op, const float *x, size_t outer, size_t size, size_t inner, float *out);
  void (*strided_copy)(const sl_view *src, int rank, const ptrdiff_t *dims, float *out);
  void (*strided_accumulate)(const float *src, int rank, const ptrdiff_t *dims, float *dst, const ptrdiff_t *strides,
                             ptrdiff_t offset);
  void (*fill)(float *out, size_t n, float value);
  void (*index_select)(const float *x, size_t outer, size_t size, size_t inner, const int *index, size_t m,
                       float *out);
  void (*index_add)(float *dst, size_t outer, size_t size, size_t inner, const int *index, size_t m,
                    const float *src);
  void (*softmax)(const float *x, size_t outer, size_t size, size_t inner, int log, float *out);
  void (*softmax_backward)(const float *y, const float *dy, size_t outer, size_t size, size_t inner, int log,
                           float *dx);
  void (*adam)(const sl_adam_args *a);
  // init + Σ x[i]², in float64, in fixed blocks (see NOTE(native-ops-accuracy)).
  double (*sum_squares)(const float *x, size_t n, double init);
} sl_ops_table;

extern const sl_ops_table sl_ops_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const sl_ops_table sl_ops_avx2;
extern const sl_ops_table sl_ops_avx512;
#endif

// The table of the GEMM's active instruction set (avx512, avx2, else portable).
const sl_ops_table *sl_ops_active(void);

#endif
