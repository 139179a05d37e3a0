// The fused recurrence's JavaScript functions: one direction of one layer over the whole
// sequence in one call, on the Backend's RecurrentForwardArgs / RecurrentBackwardArgs objects
// (@seqlab/tensor's backend.ts). Every buffer is the caller's typed array, read and written in
// place: the working state lives in hN/cN (forward) and dh0/dc0 (backward), the saved buffers are
// filled exactly as the js kernels fill them. Only the packed weights, the per-step scratch and
// the weight gradients' operands are native memory: a buffer the calling thread keeps per call
// slot and reuses from one call to the next (arena_alloc). Every length is checked
// against the sizes before native code touches an array: a wrong one is a RangeError.
// The time loops are recurrent-steps.c's: the batch's rows split over the pool, each range of rows
// its whole sequence with no barrier per step, or, for a batch too small to split, each step split
// by slices of hidden units (run_calls below chooses).
//   recurrentForward(args)   recurrentBackward(args)   recurrentInfo() -> { isa, batchFirstOut }
//   recurrentForwardMany([args, …])   recurrentBackwardMany([args, …])   (independent calls at once)
//   recurrentInferMany([args, …])   (forward only, nothing saved: recurrent-infer.c)
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "kernels.h"
#include "napi-util.h"
#include "pool.h"
#include "recurrent-infer.h"

void recurrent_forward_steps_portable(const rec_args *a, int threads);
void recurrent_backward_steps_portable(const rec_args *a, int threads);
void recurrent_forward_pack_portable(const rec_args *a);
void recurrent_forward_rows_portable(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_pack_portable(const rec_args *a);
void recurrent_backward_rows_portable(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_weights_portable(const rec_args *a);
void recurrent_backward_rows_packing_portable(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed);
void recurrent_backward_weights_rows_portable(const rec_args *a, int i0, int i1);
void recurrent_infer_rows_portable(const infer_args *a, int r0, int r1, int s0, int s1);
void recurrent_infer_pack_portable(const infer_args *a, int u0, int u1);
int recurrent_infer_pack_units_portable(const infer_args *a);
#if defined(__x86_64__) || defined(_M_X64)
void recurrent_forward_steps_avx2(const rec_args *a, int threads);
void recurrent_backward_steps_avx2(const rec_args *a, int threads);
void recurrent_forward_pack_avx2(const rec_args *a);
void recurrent_forward_rows_avx2(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_pack_avx2(const rec_args *a);
void recurrent_backward_rows_avx2(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_weights_avx2(const rec_args *a);
void recurrent_backward_rows_packing_avx2(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed);
void recurrent_backward_weights_rows_avx2(const rec_args *a, int i0, int i1);
void recurrent_forward_steps_avx512(const rec_args *a, int threads);
void recurrent_backward_steps_avx512(const rec_args *a, int threads);
void recurrent_forward_pack_avx512(const rec_args *a);
void recurrent_forward_rows_avx512(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_pack_avx512(const rec_args *a);
void recurrent_backward_rows_avx512(const rec_args *a, int r0, int r1, int s0, int s1);
void recurrent_backward_weights_avx512(const rec_args *a);
void recurrent_backward_rows_packing_avx512(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed);
void recurrent_backward_weights_rows_avx512(const rec_args *a, int i0, int i1);
void recurrent_infer_rows_avx2(const infer_args *a, int r0, int r1, int s0, int s1);
void recurrent_infer_pack_avx2(const infer_args *a, int u0, int u1);
int recurrent_infer_pack_units_avx2(const infer_args *a);
void recurrent_infer_rows_avx512(const infer_args *a, int r0, int r1, int s0, int s1);
void recurrent_infer_pack_avx512(const infer_args *a, int u0, int u1);
int recurrent_infer_pack_units_avx512(const infer_args *a);
#endif

enum { LSTM = 0, GRU = 1, RNN_TANH = 2, RNN_RELU = 3 };

// One build's training time loops (recurrent-steps.c): the per-step split by hidden units, and the
// split by rows (pack once, then ranges of rows, then the backward's weight gradients).
typedef struct {
  void (*steps)(const rec_args *a, int threads);
  void (*pack)(const rec_args *a);
  void (*rows)(const rec_args *a, int r0, int r1, int s0, int s1);
  void (*weights)(const rec_args *a);  // backward only
  // Backward only, a call without a projection: its ranges pack hPrev as dW_hh's B as they go
  // (rows_packing), then rows [i0, i1) of dW_hh (and db_hh) run as one task of several.
  void (*rows_packing)(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed);
  void (*weights_rows)(const rec_args *a, int i0, int i1);
} train_fns;

// The gate math's build for the GEMM's instruction set: the AVX-512 build (sixteen-float vectors)
// with the AVX-512 micro-kernel, the AVX2 + FMA build (eight) with the AVX2 one, else the portable
// one (four).
static const char *gate_isa(void) {
#if defined(__x86_64__) || defined(_M_X64)
  const char *isa = sl_gemm_active()->isa;
  if (strcmp(isa, "avx512") == 0) return "avx512";
  if (strcmp(isa, "avx2") == 0) return "avx2";
#endif
  return "portable";
}

#define TRAIN_FNS(sfx, backward)                                                                      \
  ((backward) ? (train_fns){recurrent_backward_steps_##sfx, recurrent_backward_pack_##sfx,             \
                            recurrent_backward_rows_##sfx, recurrent_backward_weights_##sfx,           \
                            recurrent_backward_rows_packing_##sfx, recurrent_backward_weights_rows_##sfx} \
              : (train_fns){recurrent_forward_steps_##sfx, recurrent_forward_pack_##sfx,               \
                            recurrent_forward_rows_##sfx, NULL, NULL, NULL})

static train_fns train_for(int backward) {
#if defined(__x86_64__) || defined(_M_X64)
  const char *isa = gate_isa();
  if (strcmp(isa, "avx512") == 0) return TRAIN_FNS(avx512, backward);
  if (strcmp(isa, "avx2") == 0) return TRAIN_FNS(avx2, backward);
#endif
  return TRAIN_FNS(portable, backward);
}

typedef struct {
  napi_env env;
  napi_value obj;
  const char *fn;
} props;

static int get_prop(props *p, const char *name, napi_value *out) {
  if (napi_get_named_property(p->env, p->obj, name, out) != napi_ok) {
    sl_throw_pending(p->env, name);
    return 0;
  }
  return 1;
}

static int is_nullish(props *p, napi_value v) {
  napi_valuetype t;
  return napi_typeof(p->env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

static int int_prop(props *p, const char *name, int *out) {
  napi_value v;
  if (!get_prop(p, name, &v) || !sl_get_int(p->env, v, p->fn, name, out)) return 0;
  if (*out < 0) {
    char message[160];
    snprintf(message, sizeof message, "%s: expected %s >= 0, got %d", p->fn, name, *out);
    napi_throw_range_error(p->env, NULL, message);
    return 0;
  }
  return 1;
}

// A Float32Array of exactly `expected` elements, or NULL when the property is null and `required`
// is 0 (then it is not read at all).
static int f32_prop(props *p, const char *name, size_t expected, int required, float **out) {
  napi_value v;
  size_t length;
  *out = NULL;
  if (!get_prop(p, name, &v)) return 0;
  if (is_nullish(p, v)) {
    if (!required) return 1;
    char message[200];
    snprintf(message, sizeof message, "%s: expected %s to be a Float32Array of %zu elements, got null", p->fn,
             name, expected);
    napi_throw_type_error(p->env, NULL, message);
    return 0;
  }
  if (!sl_get_f32(p->env, v, p->fn, name, out, &length)) return 0;
  if (length != expected) {
    char message[200];
    snprintf(message, sizeof message, "%s: expected %s of %zu elements, got %zu", p->fn, name, expected, length);
    napi_throw_range_error(p->env, NULL, message);
    return 0;
  }
  return 1;
}

static void range_error(props *p, const char *what) {
  char message[240];
  snprintf(message, sizeof message, "%s: expected %s", p->fn, what);
  napi_throw_range_error(p->env, NULL, message);
}

// The sizes every call shares: cell, H, O, B, T, N, reverse and the batch sizes.
static int read_sizes(props *p, rec_args *a) {
  napi_value v;
  char cell[16];
  size_t len;
  if (!get_prop(p, "cell", &v)) return 0;
  if (napi_get_value_string_utf8(p->env, v, cell, sizeof cell, &len) != napi_ok) {
    napi_throw_type_error(p->env, NULL, "recurrent: expected cell to be a string");
    return 0;
  }
  if (strcmp(cell, "lstm") == 0) a->cell = LSTM;
  else if (strcmp(cell, "gru") == 0) a->cell = GRU;
  else if (strcmp(cell, "rnn_tanh") == 0) a->cell = RNN_TANH;
  else if (strcmp(cell, "rnn_relu") == 0) a->cell = RNN_RELU;
  else {
    range_error(p, "cell 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu'");
    return 0;
  }
  int reverse;
  if (!int_prop(p, "hidden", &a->H) || !int_prop(p, "outSize", &a->O) || !int_prop(p, "batch", &a->B) ||
      !get_prop(p, "reverse", &v) || !sl_get_bool(p->env, v, p->fn, "reverse", &reverse) ||
      !get_prop(p, "batchSizes", &v))
    return 0;
  a->reverse = reverse;
  bool typed = false;
  napi_typedarray_type type;
  size_t T;
  void *data;
  if (napi_is_typedarray(p->env, v, &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(p->env, v, &type, &T, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(p->env, NULL, "recurrent: expected batchSizes to be an Int32Array");
    return 0;
  }
  if (T > INT_MAX) {
    range_error(p, "fewer than 2^31 steps");
    return 0;
  }
  a->T = (int)T;
  a->batch_sizes = data;
  long long N = 0;
  for (size_t t = 0; t < T; t++) {
    if (a->batch_sizes[t] < 0 || a->batch_sizes[t] > a->B) {
      range_error(p, "batch sizes from 0 to batch");
      return 0;
    }
    N += a->batch_sizes[t];
  }
  const int G = a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1;
  const long long GH = (long long)G * a->H;
  const long long widest = GH > a->O ? GH : a->O;
  // The cells index rows with int arithmetic: every buffer must stay under 2^31 elements.
  if ((N + 1) * (widest + 1) > INT_MAX || (long long)a->B * (widest + 1) > INT_MAX || GH * (a->O + 1) > INT_MAX) {
    range_error(p, "every buffer under 2^31 elements");
    return 0;
  }
  a->N = (int)N;
  // Optional: out and dOut rows batch-first (NOTE(batch-first-recurrence)), a padded batch only.
  if (!get_prop(p, "outBatchStride", &v)) return 0;
  if (!is_nullish(p, v)) {
    if (!sl_get_int(p->env, v, p->fn, "outBatchStride", &a->out_batch_stride)) return 0;
    int padded = a->out_batch_stride >= a->T;  // 0 (time-major) with no step
    for (int t = 0; padded && t < a->T; t++) padded = a->batch_sizes[t] == a->B;
    if (!padded) {
      range_error(p, "outBatchStride >= the steps, on a padded batch (every batch size = batch)");
      return 0;
    }
  }
  // Optional: out and dOut rows outStride apart, the columns of a wider array (NOTE(layer-columns)).
  if (!get_prop(p, "outStride", &v)) return 0;
  if (!is_nullish(p, v)) {
    if (!sl_get_int(p->env, v, p->fn, "outStride", &a->out_stride)) return 0;
    if (a->out_stride < a->O) {
      range_error(p, "outStride >= outSize");
      return 0;
    }
  }
  return 1;
}

// out or dOut: [N, O] time-major, or with outBatchStride S rows up to (B − 1) · S + T − 1 (batch
// row j of step t at row j · S + t; a caller narrowing the steps passes the array from its first
// step on, NOTE(zero-gradient-steps)), with outStride R row r at r · R: at least (last row) · R + O
// elements, under 2^31 (the loop indexes them with int arithmetic).
static int out_rows_prop(props *p, const rec_args *a, const char *name, int required, float **out) {
  const size_t O = a->O;
  if (!a->out_batch_stride && !a->out_stride) return f32_prop(p, name, (size_t)a->N * O, required, out);
  napi_value v;
  size_t length;
  *out = NULL;
  if (!get_prop(p, name, &v)) return 0;
  if (is_nullish(p, v) && !required) return 1;
  const size_t rows = a->out_batch_stride ? (size_t)(a->B - 1) * a->out_batch_stride + a->T : (size_t)a->N;
  const size_t least = a->N ? (rows - 1) * (a->out_stride ? (size_t)a->out_stride : O) + O : 0;
  if (least >= INT_MAX) {
    range_error(p, "out and dOut rows within 2^31 elements");
    return 0;
  }
  if (!is_nullish(p, v)) {
    if (!sl_get_f32(p->env, v, p->fn, name, out, &length)) return 0;
    if (length >= least) return 1;
  }
  *out = NULL;
  char message[200];
  snprintf(message, sizeof message, "%s: expected %s of at least %zu elements (%s)", p->fn, name, least,
           a->out_batch_stride ? "batch-first rows" : "rows outStride apart");
  napi_throw_range_error(p->env, NULL, message);
  return 0;
}

// The weights and the saved buffers both directions read: W_hh, W_hr, b_hh, and gates, hPrev,
// cells, cPrev, hFull, hhN (the forward writes them, the backward reads them).
static int read_saved(props *p, rec_args *a) {
  const size_t H = a->H, O = a->O, N = a->N;
  const size_t GH = (size_t)(a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1) * H;
  const int lstm = a->cell == LSTM, gru = a->cell == GRU;
  float *w_hh, *w_hr, *b_hh, *gates, *h_prev, *cells, *c_prev, *h_full, *hh_n;
  if (!f32_prop(p, "wHh", GH * O, 1, &w_hh) || !f32_prop(p, "wHr", O * H, 0, &w_hr)) return 0;
  if (w_hr && !lstm) {
    range_error(p, "wHr only for an LSTM (a projection)");
    return 0;
  }
  if (!w_hr && a->O != a->H) {
    range_error(p, "outSize = hidden without a projection (wHr)");
    return 0;
  }
  if (!f32_prop(p, "bHh", GH, 0, &b_hh) || !f32_prop(p, "gates", N * GH, 1, &gates) ||
      !f32_prop(p, "hPrev", N * O, 1, &h_prev) || !f32_prop(p, "cells", N * H, lstm, &cells) ||
      !f32_prop(p, "cPrev", N * H, lstm, &c_prev) || !f32_prop(p, "hFull", N * H, w_hr != NULL, &h_full) ||
      !f32_prop(p, "hhN", N * H, gru, &hh_n))
    return 0;
  a->w_hh = w_hh;
  a->w_hr = w_hr;
  a->b_hh = gru ? b_hh : NULL;  // LSTM and RNN have b_hh inside xProj
  a->gates = gates;
  a->h_prev = h_prev;
  a->cells = lstm ? cells : NULL;
  a->c_prev = lstm ? c_prev : NULL;
  a->h_full = w_hr ? h_full : NULL;
  a->hh_n = gru ? hh_n : NULL;
  return 1;
}

// One 64-byte aligned block carved into the call's scratch buffers.
typedef struct {
  size_t floats;
  float *base;
} arena;

static size_t reserve(arena *s, size_t floats) {
  const size_t at = s->floats;
  s->floats += (floats + 15) & ~(size_t)15;
  return at;
}

// Calls in one *Many list at most.
#define MANY_MAX 64
_Static_assert(MANY_MAX <= SL_BUFFER_TRAIN_CALLS, "a kept scratch buffer for every call of a list");

// The training calls' scratch (packed weights, step offsets, a GRU's dhh [N, G·H], the backward's
// packed hPrev): call `slot`'s buffer of the calling thread, kept across calls and grown on demand
// (sl_thread_buffer), as recurrentInferMany's. Allocated and freed per call, the backward's 5 to 7
// MB of a W3 layer-direction were fresh pages every call, page-faulted in by the time loop (about
// 1,200 faults per call, most of them in gru_backward's first write of dhh). Every float of it is
// written before it is read.
static int arena_alloc(props *p, arena *s, int slot) {
  const size_t want = s->floats ? s->floats : 16;
  s->base = sl_thread_buffer(SL_BUFFER_TRAIN_CALL + slot, want, want);
  if (!s->base) napi_throw_error(p->env, NULL, "recurrent: out of memory for the packed weights and scratch");
  return s->base != NULL;
}

static void copy_or_zero(float *dst, const float *src, size_t n) {
  if (src == dst) return;
  if (src) memmove(dst, src, n * sizeof(float));
  else memset(dst, 0, n * sizeof(float));
}

// xProj [N, G·H], wHh [G·H, O], h0 [B, O], c0 [B, H] -> out [N, O], hN [B, O], cN [B, H], gates,
// hPrev, cells, cPrev, hFull, hhN: reads one argument object into `a` and takes its scratch in `s`
// (the calling thread's kept buffer `slot`, arena_alloc); 0 with a pending exception when an
// argument is wrong.
static int prepare_forward(napi_env env, napi_value obj, const char *fn, int slot, rec_args *out_a, arena *out_s) {
  props p = {env, obj, fn};
  rec_args a;
  memset(&a, 0, sizeof a);
  if (!read_sizes(&p, &a) || !read_saved(&p, &a)) return 0;
  const size_t H = a.H, O = a.O, B = a.B, N = a.N;
  const int lstm = a.cell == LSTM, gru = a.cell == GRU, proj = a.w_hr != NULL;
  const size_t GH = (size_t)(lstm ? 4 : gru ? 3 : 1) * H;
  float *x_proj, *h0, *c0, *out, *h_n, *c_n;
  if (!f32_prop(&p, "xProj", N * GH, 1, &x_proj) || !f32_prop(&p, "h0", B * O, 1, &h0) ||
      !f32_prop(&p, "c0", B * H, 0, &c0) || !out_rows_prop(&p, &a, "out", 1, &out) ||
      !f32_prop(&p, "hN", B * O, 1, &h_n) || !f32_prop(&p, "cN", B * H, 0, &c_n))
    return 0;
  arena s = {0, NULL};
  const size_t at_offsets = reserve(&s, a.T);
  // W_hh packed whole (recurrent.c's loop) or gate by gate (recurrent-steps.c's): room for both.
  const size_t whole = sl_packed_size(a.O, (int)GH), by_gate = (GH / H) * sl_packed_size(a.O, a.H);
  const size_t at_whh = reserve(&s, whole > by_gate ? whole : by_gate);
  const size_t at_whr = proj ? reserve(&s, sl_packed_size(a.H, a.O)) : 0;
  const size_t at_hfs = proj ? reserve(&s, B * H) : 0;
  const size_t at_hh = gru ? reserve(&s, B * GH) : 0;
  const size_t at_c = lstm && !c_n ? reserve(&s, B * H) : 0;
  if (!arena_alloc(&p, &s, slot)) return 0;
  a.offsets = (int *)(s.base + at_offsets);
  a.w_hh_packed = s.base + at_whh;
  a.w_hr_packed = proj ? s.base + at_whr : NULL;
  a.h_full_step = proj ? s.base + at_hfs : NULL;
  a.hh = gru ? s.base + at_hh : NULL;
  // The working state is the output: h starts as h0 in hN, c as c0 in cN.
  a.h = h_n;
  copy_or_zero(a.h, h0, B * O);
  if (lstm) {
    a.c = c_n ? c_n : s.base + at_c;
    copy_or_zero(a.c, c0, B * H);
  }
  a.out = out;
  // LSTM and RNN add the recurrent products into the gates in place: the time loop copies each
  // step's rows of xProj into them first (in cache, on the thread that runs them; a GRU reads
  // xProj as it is).
  a.x_proj = x_proj;
  *out_a = a;
  *out_s = s;
  return 1;
}

// dOut [N, O], dhN [B, O], dcN [B, H] -> dxProj [N, G·H], dh0 [B, O], dc0 [B, H], dwHh += …,
// dbHh += …, dwHr += …, dhTrace, dcTrace: as prepare_forward.
static int prepare_backward(napi_env env, napi_value obj, const char *fn, int slot, rec_args *out_a, arena *out_s) {
  props p = {env, obj, fn};
  rec_args a;
  memset(&a, 0, sizeof a);
  if (!read_sizes(&p, &a) || !read_saved(&p, &a)) return 0;
  const size_t H = a.H, O = a.O, B = a.B, N = a.N;
  const int lstm = a.cell == LSTM, gru = a.cell == GRU, proj = a.w_hr != NULL;
  const size_t GH = (size_t)(lstm ? 4 : gru ? 3 : 1) * H;
  float *d_out, *dh_n, *dc_n, *dx_proj, *dw_hh, *db_hh, *dw_hr, *dh0, *dc0, *dh_trace, *dc_trace;
  if (!out_rows_prop(&p, &a, "dOut", 0, &d_out) || !f32_prop(&p, "dhN", B * O, 0, &dh_n) ||
      !f32_prop(&p, "dcN", B * H, 0, &dc_n) || !f32_prop(&p, "dxProj", N * GH, 1, &dx_proj) ||
      !f32_prop(&p, "dwHh", GH * O, 1, &dw_hh) || !f32_prop(&p, "dbHh", GH, 0, &db_hh) ||
      !f32_prop(&p, "dwHr", O * H, 0, &dw_hr) || !f32_prop(&p, "dh0", B * O, 1, &dh0) ||
      !f32_prop(&p, "dc0", B * H, 0, &dc0) || !f32_prop(&p, "dhTrace", N * O, 0, &dh_trace) ||
      !f32_prop(&p, "dcTrace", N * H, 0, &dc_trace))
    return 0;
  // dW_hr needs every row's total dL/dh_t: the trace when one was asked for, else scratch.
  const int rows_scratch = proj && !dh_trace;
  const size_t pb = sl_packed_size(a.N, a.O), pbh = proj ? sl_packed_size(a.N, a.H) : 0;
  arena s = {0, NULL};
  const size_t at_offsets = reserve(&s, a.T);
  const size_t at_whh = reserve(&s, sl_packed_size((int)GH, a.O));
  const size_t at_whr = proj ? reserve(&s, sl_packed_size(a.O, a.H)) : 0;
  const size_t at_dhs = proj ? reserve(&s, B * H) : 0;
  const size_t at_dhh = gru ? reserve(&s, N * GH) : 0;
  const size_t at_rows = rows_scratch ? reserve(&s, N * O) : 0;
  const size_t at_dc = lstm && !dc0 ? reserve(&s, B * H) : 0;
  const size_t at_sb = reserve(&s, pb > pbh ? pb : pbh);
  if (!arena_alloc(&p, &s, slot)) return 0;
  a.offsets = (int *)(s.base + at_offsets);
  a.w_hh_packed = s.base + at_whh;
  a.w_hr_packed = proj ? s.base + at_whr : NULL;
  a.dh_step = proj ? s.base + at_dhs : NULL;
  a.dhh = gru ? s.base + at_dhh : NULL;
  a.dh_rows = rows_scratch ? s.base + at_rows : dh_trace;
  a.dc_trace = lstm ? dc_trace : NULL;
  a.scratch_b = s.base + at_sb;
  a.d_out = d_out;
  // The carried gradients live in the results: dh starts as dhN in dh0, dc as dcN in dc0.
  a.dh = dh0;
  copy_or_zero(a.dh, dh_n, B * O);
  if (lstm) {
    a.dc = dc0 ? dc0 : s.base + at_dc;
    copy_or_zero(a.dc, dc_n, B * H);
  }
  a.dx_proj = dx_proj;
  a.dw_hh = dw_hh;
  a.db_hh = db_hh;
  a.dw_hr = proj ? dw_hr : NULL;
  *out_a = a;
  *out_s = s;
  return 1;
}

typedef int (*prepare_fn)(napi_env env, napi_value obj, const char *fn, int slot, rec_args *a, arena *s);

// Ranges of rows at most, over all the calls of one job.
#define MAX_RANGES 256
// Ranges of rows per thread: a range is claimed only when a thread starts it, so a thread that the
// OS deschedules (a busy machine) leaves the ranges it has not started to the others. A range's
// work is its rows' steps whatever the split (the same CPU time for 1 to 8 ranges of W2's 64
// rows on one thread), so finer ranges cost nothing but more, smaller products.
#define RANGES_PER_THREAD 2
// Steps per span: a range runs span after span, and between two spans any thread may take it
// over, so a thread the OS deschedules holds back at most the rest of one span of its range.
#define SPAN_STEPS 8
// The backward's weight-gradient tasks (plan_weights): about this many per thread, at most
// MAX_WEIGHT_TASKS in all.
#define WEIGHT_TASKS_PER_THREAD 4
#define MAX_WEIGHT_TASKS 512
// Pauses before a thread with no range to run starts sleeping between polls (pool.c's SPIN).
#define WAIT_SPIN 2000

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

// How the training calls split over the pool (run_calls). The batch split runs each thread's rows
// through the whole sequence with no barrier per step, where the split by hidden units pays a pool
// job and a barrier per step (200 per W2 training step), each a wait for the slowest thread: on a
// busy machine, for a thread the OS has descheduled (tools/bench/PROFILE.md measures both). Ranges
// are whole micro-kernel blocks of rows (MR: 8 in AVX-512, 6 in AVX2, 4 in the scalar GEMM under
// the portable gate math; a block of fewer rows runs only those rows' FMAs, but streams all of
// W_hh as a full one does), so a batch of one block or less has nothing to split by rows and
// splits each step by hidden units instead, when
// the step is big enough to be worth a barrier (recurrent-steps.c's STEP_SPLIT_FLOPS), else runs on
// one thread.
typedef struct {
  rec_args *args;
  train_fns fns;
  int ranges, workers;
  int call[MAX_RANGES], r0[MAX_RANGES], r1[MAX_RANGES];
  // Per range: held by a thread (1) while it runs a span; the next span's first step (read and
  // written only by the holder); all its steps done.
  _Atomic int busy[MAX_RANGES];
  int next[MAX_RANGES];
  _Atomic int finished[MAX_RANGES];
  _Atomic int left;  // ranges not finished
  // Backward: the calls whose ranges pack hPrev (split_weights[i]); weight task t runs rows
  // [w_i0[t], w_i1[t]) of call w_call[t]'s dW_hh (w_i0[t] < 0: all of that call's weight
  // gradients, fns.weights).
  int split_weights[MANY_MAX];
  int weight_tasks;
  int w_call[MAX_WEIGHT_TASKS], w_i0[MAX_WEIGHT_TASKS], w_i1[MAX_WEIGHT_TASKS];
  // Per call: its ranges not finished (a weight task of the call may start at 0). Per weight task:
  // claimed by a thread. Weight tasks not finished.
  _Atomic int call_ranges[MANY_MAX];
  _Atomic int w_taken[MAX_WEIGHT_TASKS];
  _Atomic int w_left;
} train_job;

static void pack_task(void *ctx, int i) {
  const train_job *job = ctx;
  job->fns.pack(&job->args[i]);
}

// Runs the next span of range c when no other thread holds it; 1 when it did.
static int run_span(train_job *job, int c) {
  if (atomic_load_explicit(&job->finished[c], memory_order_relaxed)) return 0;
  int free_ = 0;
  if (!atomic_compare_exchange_strong_explicit(&job->busy[c], &free_, 1, memory_order_acquire,
                                               memory_order_relaxed))
    return 0;
  const rec_args *a = &job->args[job->call[c]];
  const int s0 = job->next[c], ran = s0 < a->T;
  if (ran) {
    if (job->split_weights[job->call[c]])
      job->fns.rows_packing(a, job->r0[c], job->r1[c], s0, s0 + SPAN_STEPS, a->scratch_b);
    else
      job->fns.rows(a, job->r0[c], job->r1[c], s0, s0 + SPAN_STEPS);
    job->next[c] = s0 + SPAN_STEPS;
    if (job->next[c] >= a->T) {
      atomic_store_explicit(&job->finished[c], 1, memory_order_relaxed);
      atomic_fetch_sub_explicit(&job->left, 1, memory_order_relaxed);
      // Releases the range's writes (dxProj, dhh: the weight gradients' A) to the weight tasks.
      atomic_fetch_sub_explicit(&job->call_ranges[job->call[c]], 1, memory_order_release);
    }
  }
  atomic_store_explicit(&job->busy[c], 0, memory_order_release);
  return ran;
}

static void weights_task(void *ctx, int t) {
  const train_job *job = ctx;
  const rec_args *a = &job->args[job->w_call[t]];
  if (job->w_i0[t] < 0) job->fns.weights(a);
  else job->fns.weights_rows(a, job->w_i0[t], job->w_i1[t]);
}

// Runs the first weight task no thread has claimed whose call has every range finished; 1 when
// it did.
static int run_weights(train_job *job) {
  for (int t = 0; t < job->weight_tasks; t++) {
    if (atomic_load_explicit(&job->w_taken[t], memory_order_relaxed)) continue;
    if (atomic_load_explicit(&job->call_ranges[job->w_call[t]], memory_order_acquire) > 0) continue;
    int free_ = 0;
    if (!atomic_compare_exchange_strong_explicit(&job->w_taken[t], &free_, 1, memory_order_relaxed,
                                                 memory_order_relaxed))
      continue;
    weights_task(job, t);
    atomic_fetch_sub_explicit(&job->w_left, 1, memory_order_relaxed);
    return 1;
  }
  return 0;
}

// One thread's part of the job: span after span of one range while it lasts, then of any range no
// other thread holds, until every range is done; in the backward, whenever no range is free, a
// weight task of a call whose ranges are all done (the first thread to finish its ranges starts on
// the weight gradients while the other still runs its own), until every weight task is done. A
// thread waits only when every unfinished range is held by another and no weight task can start:
// it spins a bounded few microseconds, then polls every 20 µs asleep, and takes over the range of
// a thread the OS has descheduled as soon as that thread's span ends.
static void rows_task(void *ctx, int task) {
  train_job *job = ctx;
  int c = (int)((long long)task * job->ranges / job->workers), waits = 0;
  while (atomic_load_explicit(&job->left, memory_order_relaxed) > 0 ||
         atomic_load_explicit(&job->w_left, memory_order_relaxed) > 0) {
    int ran = -1;
    for (int n = 0; n < job->ranges && ran < 0; n++)
      if (run_span(job, (c + n) % job->ranges)) ran = (c + n) % job->ranges;
    if (ran >= 0) {
      c = ran;
      waits = 0;
    } else if (run_weights(job)) {
      waits = 0;
    } else if (++waits < WAIT_SPIN) {
      CPU_RELAX();
    } else {
      nanosleep(&(struct timespec){0, 20000}, NULL);
    }
  }
}

// The backward's weight gradients as tasks: a projected call's in one task (its two GEMMs share
// scratch_b), every other call's dW_hh rows (G·H of them) in parts of whole micro-kernel blocks, as
// many as its share of all the calls' flops of about WEIGHT_TASKS_PER_THREAD tasks per thread. A
// bidirectional layer whose one direction's backward was mostly skipped (W1 and W3's last layer)
// then shares its other direction's dW_hh GEMM between the threads, where one thread ran it alone.
// Marks the calls whose ranges pack hPrev (split_weights).
static void plan_weights(train_job *job, int count, int threads, int mr) {
  double total = 0;
  for (int i = 0; i < count; i++) {
    const rec_args *a = &job->args[i];
    total += (double)a->N * a->O * (a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1) * a->H;
  }
  const int target = threads > 1 ? threads * WEIGHT_TASKS_PER_THREAD : 1;
  job->weight_tasks = 0;
  for (int i = 0; i < count; i++) {
    const rec_args *a = &job->args[i];
    const int GH = (a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1) * a->H;
    const double flops = (double)a->N * a->O * GH;
    const int blocks = (GH + mr - 1) / mr;
    int parts = total > 0 ? (int)(target * flops / total + 0.5) : 1;
    if (parts < 1 || a->w_hr || a->N == 0) parts = 1;
    if (parts > blocks) parts = blocks;
    if (parts > MAX_WEIGHT_TASKS - job->weight_tasks - (count - 1 - i)) parts = 1;
    if (a->w_hr || a->N == 0) {
      const int t = job->weight_tasks++;
      job->w_call[t] = i;
      job->w_i0[t] = job->w_i1[t] = -1;
      continue;
    }
    job->split_weights[i] = 1;
    for (int p = 0; p < parts; p++) {
      const int t = job->weight_tasks++;
      job->w_call[t] = i;
      job->w_i0[t] = (int)((long long)blocks * p / parts) * mr;
      const int i1 = (int)((long long)blocks * (p + 1) / parts) * mr;
      job->w_i1[t] = i1 < GH ? i1 : GH;
    }
  }
}

// Splits the rows of a call into `parts` ranges of whole blocks of `mr` rows (the last block may be
// partial) with about the same work each: row r's work is its length, the steps with
// batch_sizes[t] > r (packed sequences are sorted by decreasing length, so the first ranges hold
// the long ones and get fewer rows). parts ≤ the blocks of the batch. Appends the ranges to the job.
static void split_rows(train_job *job, int call, const rec_args *a, int parts, int mr) {
  const int B = a->B, blocks = (B + mr - 1) / mr;
  // work[b]: the steps whose batch size is at least b, so row r's length is work[r + 1].
  long long *work = calloc((size_t)B + 1, sizeof *work);
  if (!work) abort();
  for (int t = 0; t < a->T; t++) work[a->batch_sizes[t]]++;
  for (int b = B - 1; b >= 0; b--) work[b] += work[b + 1];
  long long total = 0;
  for (int r = 0; r < B; r++) total += work[r + 1];
  int r0 = 0;
  long long done = 0;
  for (int p = 0; p < parts; p++) {
    int r1 = B;
    if (p < parts - 1) {
      // The block boundary whose work so far is nearest to (p + 1) / parts of the total, leaving
      // at least one block for each range after this one.
      const long long target = total * (p + 1) / parts;
      const int last = (blocks - (parts - 1 - p)) * mr;
      r1 = r0 + mr;
      long long sum = done;
      for (int r = r0; r < r1; r++) sum += work[r + 1];
      while (r1 + mr <= last) {
        long long next = sum;
        for (int r = r1; r < r1 + mr; r++) next += work[r + 1];
        if (llabs(next - target) >= llabs(sum - target)) break;
        sum = next;
        r1 += mr;
      }
      done = sum;
    }
    const int k = job->ranges++;
    job->call[k] = call;
    job->r0[k] = r0;
    job->r1[k] = r1;
    job->next[k] = 0;
    atomic_init(&job->busy[k], 0);
    atomic_init(&job->finished[k], 0);
    r0 = r1;
  }
  free(work);
}

// Runs `count` prepared calls. The pool's threads share the calls, then each call's batch: with
// P > 1 threads and C calls, each call's rows split into up to RANGES_PER_THREAD · P / C ranges
// of whole micro-kernel blocks (split_rows), all at once, each range's sequence run span by span
// by whichever thread holds it (rows_task). A lone call whose batch is one block or less splits
// each step by hidden units instead (a projected LSTM, which cannot, runs on one thread). Every
// split computes the same bits.
static void run_calls(rec_args *args, int count, int backward) {
  if (count <= 0) return;
  const int threads = sl_pool_threads_here(), mr = sl_gemm_active()->mr;
  train_job *job = malloc(sizeof *job);
  if (!job) abort();
  job->args = args;
  job->fns = train_for(backward);
  job->ranges = 0;
  const int want = threads > 1 ? threads * RANGES_PER_THREAD : 1;
  const int each = want / count > 1 ? want / count : 1;
  const int cap = MAX_RANGES / count;
  if (count == 1 && threads > 1 && args[0].B <= mr && !args[0].w_hr) {
    job->fns.steps(&args[0], threads);
    free(job);
    return;
  }
  for (int i = 0; i < count; i++) {
    const int blocks = args[i].B > mr ? (args[i].B + mr - 1) / mr : 1;
    int parts = each < blocks ? each : blocks;
    if (parts > cap) parts = cap;
    split_rows(job, i, &args[i], parts, mr);
  }
  atomic_init(&job->left, job->ranges);
  job->weight_tasks = 0;
  for (int i = 0; i < count; i++) job->split_weights[i] = 0;
  if (backward) plan_weights(job, count, threads, mr);
  for (int i = 0; i < count; i++) atomic_init(&job->call_ranges[i], 0);
  for (int k = 0; k < job->ranges; k++) atomic_fetch_add_explicit(&job->call_ranges[job->call[k]], 1, memory_order_relaxed);
  for (int t = 0; t < job->weight_tasks; t++) atomic_init(&job->w_taken[t], 0);
  atomic_init(&job->w_left, job->weight_tasks);
  const int tasks = job->ranges > job->weight_tasks ? job->ranges : job->weight_tasks;
  job->workers = threads < tasks ? threads : tasks;
  sl_pool_run(pack_task, job, count);
  // The ranges, then (backward) the weight gradients, in one job: no barrier between them.
  sl_pool_run(rows_task, job, job->workers);
  free(job);
}

static napi_value call_one(napi_env env, napi_callback_info info, const char *fn, prepare_fn prepare, int backward) {
  size_t argc = 1;
  napi_value obj;
  SL_CALL(env, napi_get_cb_info(env, info, &argc, &obj, NULL, NULL));
  rec_args a;
  arena s;
  if (!prepare(env, obj, fn, 0, &a, &s)) return NULL;
  run_calls(&a, 1, backward);
  return NULL;
}

static napi_value js_recurrent_forward(napi_env env, napi_callback_info info) {
  return call_one(env, info, "recurrentForward", prepare_forward, 0);
}

static napi_value js_recurrent_backward(napi_env env, napi_callback_info info) {
  return call_one(env, info, "recurrentBackward", prepare_backward, 1);
}

// The one argument of a *Many call: an array of at most MANY_MAX argument objects. False with a
// pending JavaScript error when it is not.
static bool read_call_list(napi_env env, napi_callback_info info, const char *fn, napi_value *list,
                           uint32_t *count) {
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, list, NULL, NULL) != napi_ok) {
    sl_throw_pending(env, "arguments");
    return false;
  }
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, *list, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, *list, count) != napi_ok) {
    char message[160];
    snprintf(message, sizeof message, "%s: expected an array of argument objects", fn);
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  if (*count > MANY_MAX) {
    char message[160];
    snprintf(message, sizeof message, "%s: expected at most %d calls, got %u", fn, MANY_MAX, *count);
    napi_throw_range_error(env, NULL, message);
    return false;
  }
  return true;
}

// recurrentForwardMany / recurrentBackwardMany: several independent calls (the directions of a
// bidirectional layer) at once, the pool's threads shared between them (run_calls). Every call
// computes what it would alone, bit for bit.
static napi_value call_many(napi_env env, napi_callback_info info, const char *fn, prepare_fn prepare, int backward) {
  napi_value list;
  uint32_t count = 0;
  if (!read_call_list(env, info, fn, &list, &count)) return NULL;
  rec_args args[MANY_MAX];
  arena scratch[MANY_MAX];  // each the calling thread's kept scratch buffer of its slot (arena_alloc)
  uint32_t ready = 0;
  for (; ready < count; ready++) {
    napi_value obj;
    if (napi_get_element(env, list, ready, &obj) != napi_ok) {
      sl_throw_pending(env, "element");
      break;
    }
    if (!prepare(env, obj, fn, (int)ready, &args[ready], &scratch[ready])) break;
  }
  if (ready == count) run_calls(args, (int)count, backward);
  return NULL;
}

static napi_value js_recurrent_forward_many(napi_env env, napi_callback_info info) {
  return call_many(env, info, "recurrentForwardMany", prepare_forward, 0);
}

static napi_value js_recurrent_backward_many(napi_env env, napi_callback_info info) {
  return call_many(env, info, "recurrentBackwardMany", prepare_backward, 1);
}

// recurrentInferMany([args, …]): the forward of independent sequences with nothing saved
// (recurrent-infer.c), on @seqlab/tensor's RecurrentInferArgs plus outSize (= hidden, for
// read_sizes). xProj is overwritten. With x (RecurrentInferInputArgs: x, inputSize, wIh,
// xBiases), the input projection is made inside, a chunk of steps at a time, and xProj is not read.
// The pool's threads share ranges of each call's rows, every range a whole sequence on one thread
// (no barrier per step); the results are the same bits for every split (recurrent-infer.c).
//
// How many ranges: with a small W_hh (at most INFER_SHARE_MAX_BYTES packed, W1's 1 MB, W2's 256 KB)
// a range of INFER_MIN_ROWS rows runs as fast per row as a bigger one (its steps read W_hh from the
// core's cache either way; W2 on one thread: 13.8 ms as one range of 64 rows or eight of 8), so
// the rows split into about INFER_RANGES_PER_THREAD ranges per thread, and three threads share W1's
// two directions. A bigger W_hh is streamed from memory once per range and step: there, each
// call's rows split into threads / calls ranges.
//
// Who runs what: a range's steps go in units (infer_unit_steps: the fused projection's chunks, 16
// steps of W2's 8-row ranges), one unit of a range at a time, and a thread takes one unit at a time:
// the least advanced free range of its own (ranges dealt round robin over the threads, the calls'
// ranges interleaved, so on an even machine each thread keeps to one direction and its W_hh stays
// in its core's cache), else, once its own are done or taken, the least advanced free range of any
// other thread. Each thread advances its ranges together, so until the very end every thread has
// free ranges left to take, and a thread that runs slower (a slower core, a core shared with
// another process, a worker woken late) gives its units to the others a unit at a time: the call
// ends at most about a unit after an even split would, where taking whole ranges (a range's 100
// steps) left up to a range's time waiting on the slowest thread's last range.

typedef struct {
  void (*rows)(const infer_args *a, int r0, int r1, int s0, int s1);
  void (*pack)(const infer_args *a, int u0, int u1);
  int (*units)(const infer_args *a);
} infer_fns;

static infer_fns infer_for(void) {
#if defined(__x86_64__) || defined(_M_X64)
  const char *isa = gate_isa();
  if (strcmp(isa, "avx512") == 0)
    return (infer_fns){recurrent_infer_rows_avx512, recurrent_infer_pack_avx512, recurrent_infer_pack_units_avx512};
  if (strcmp(isa, "avx2") == 0)
    return (infer_fns){recurrent_infer_rows_avx2, recurrent_infer_pack_avx2, recurrent_infer_pack_units_avx2};
#endif
  return (infer_fns){recurrent_infer_rows_portable, recurrent_infer_pack_portable, recurrent_infer_pack_units_portable};
}

// A range of fewer rows leaves the micro-kernel's row block part empty (8 rows in AVX-512 and the
// portable build, 6 in AVX2): not worth a thread.
#define INFER_MIN_ROWS 8
#define INFER_RANGES_PER_THREAD 4
#define INFER_SHARE_MAX_BYTES ((size_t)2 << 20)

// An optional boolean: false when absent or null.
static int bool_prop(props *p, const char *name, int *out) {
  napi_value v;
  *out = 0;
  if (!get_prop(p, name, &v)) return 0;
  return is_nullish(p, v) || sl_get_bool(p->env, v, p->fn, name, out);
}

// xBiases: an array of at most two Float32Arrays of `n` elements (absent or null: none).
static int read_biases(props *p, size_t n, const float **bias) {
  napi_value list;
  uint32_t count = 0;
  bool is_array = false;
  bias[0] = bias[1] = NULL;
  if (!get_prop(p, "xBiases", &list)) return 0;
  if (is_nullish(p, list)) return 1;
  if (napi_is_array(p->env, list, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(p->env, list, &count) != napi_ok || count > 2) {
    range_error(p, "xBiases to be an array of at most 2 Float32Arrays");
    return 0;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value b;
    float *data;
    size_t length;
    if (napi_get_element(p->env, list, i, &b) != napi_ok) {
      sl_throw_pending(p->env, "xBiases");
      return 0;
    }
    if (!sl_get_f32(p->env, b, p->fn, "xBiases", &data, &length)) return 0;
    if (length != n) {
      char message[200];
      snprintf(message, sizeof message, "%s: expected xBiases[%u] of %zu elements, got %zu", p->fn, i, n, length);
      napi_throw_range_error(p->env, NULL, message);
      return 0;
    }
    bias[i] = data;
  }
  return 1;
}

// The scratch of recurrentInferMany's calls (packed weights, step offsets, the cells' unread saves):
// call `slot`'s buffer of the calling thread, kept across calls and grown on demand
// (sl_thread_buffer); allocated and freed per call, a W1 layer's 3 MB of packed W_ih and W_hh per
// direction were fresh pages each time, faulted in by the packing. Every float of it is written
// before it is read.
_Static_assert(MANY_MAX <= SL_BUFFER_INFER_CALLS, "a kept scratch buffer for every call of a list");

static int infer_arena(props *p, arena *s, int slot) {
  const size_t want = s->floats ? s->floats : 16;
  s->base = sl_thread_buffer(SL_BUFFER_INFER_CALL + slot, want, want);
  if (!s->base) {
    napi_throw_error(p->env, NULL, "recurrent: out of memory for the packed weights and scratch");
    return 0;
  }
  return 1;
}

static int prepare_infer(napi_env env, napi_value obj, const char *fn, int slot, infer_args *out_ia, arena *out_s) {
  props p = {env, obj, fn};
  infer_args ia;
  memset(&ia, 0, sizeof ia);
  rec_args *a = &ia.a;
  if (!read_sizes(&p, a)) return 0;
  if (a->O != a->H) {
    range_error(&p, "outSize = hidden (a projected LSTM runs recurrentForward)");
    return 0;
  }
  const size_t H = a->H, B = a->B, N = a->N;
  const int lstm = a->cell == LSTM, gru = a->cell == GRU;
  const size_t GH = (size_t)(lstm ? 4 : gru ? 3 : 1) * H;
  float *x_proj = NULL, *w_hh, *b_hh, *h0, *c0, *out, *h_n, *c_n;
  int out_stride, out_offset;
  napi_value v;
  size_t out_len;
  // The fused input projection: x [N, I], W_ih [G·H, I] and xBiases in place of xProj.
  if (!get_prop(&p, "x", &v)) return 0;
  if (!is_nullish(&p, v)) {
    float *x, *w_ih;
    if (!int_prop(&p, "inputSize", &ia.I) || !f32_prop(&p, "x", N * ia.I, 1, &x) ||
        !f32_prop(&p, "wIh", GH * ia.I, 1, &w_ih) || !read_biases(&p, GH, ia.bias))
      return 0;
    ia.fused = 1;
    ia.x = x;
    ia.w_ih = w_ih;
    if (!bool_prop(&p, "xBatchFirst", &ia.x_batch_first) || !bool_prop(&p, "outBatchFirst", &ia.out_batch_first))
      return 0;
    for (int t = 0; (ia.x_batch_first || ia.out_batch_first) && t < a->T; t++) {
      if (a->batch_sizes[t] != a->B) {
        range_error(&p, "xBatchFirst and outBatchFirst only with a padded batch (every batch size = batch)");
        return 0;
      }
    }
  } else if (!f32_prop(&p, "xProj", N * GH, 1, &x_proj)) {
    return 0;
  }
  if (!f32_prop(&p, "wHh", GH * H, 1, &w_hh) ||
      !f32_prop(&p, "bHh", GH, 0, &b_hh) || !f32_prop(&p, "h0", B * H, 1, &h0) ||
      !f32_prop(&p, "c0", B * H, 0, &c0) || !f32_prop(&p, "hN", B * H, 1, &h_n) ||
      !f32_prop(&p, "cN", B * H, 0, &c_n) || !int_prop(&p, "outStride", &out_stride) ||
      !int_prop(&p, "outOffset", &out_offset) || !get_prop(&p, "out", &v) ||
      !sl_get_f32(env, v, fn, "out", &out, &out_len))
    return 0;
  if ((size_t)out_offset + H > (size_t)out_stride) {
    range_error(&p, "outOffset + hidden <= outStride");
    return 0;
  }
  if (out_len != N * (size_t)out_stride) {
    char message[200];
    snprintf(message, sizeof message, "%s: expected out of %zu elements (N x outStride), got %zu", fn,
             N * (size_t)out_stride, out_len);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  arena s = {0, NULL};
  const size_t at_offsets = reserve(&s, a->T);
  const size_t at_whh = reserve(&s, (GH / H) * sl_packed_size(a->H, a->H));
  const size_t at_wih = ia.fused ? reserve(&s, sl_packed_size(ia.I, (int)GH)) : 0;
  const size_t at_hh = gru ? reserve(&s, B * GH) : 0;
  const size_t at_save = reserve(&s, B * H);   // LSTM cells, GRU hh_n: written, never read
  const size_t at_save2 = reserve(&s, B * H);  // LSTM c_prev
  const size_t at_c = lstm && !c_n ? reserve(&s, B * H) : 0;
  if (!infer_arena(&p, &s, slot)) return 0;
  a->offsets = (int *)(s.base + at_offsets);
  a->w_hh = w_hh;
  a->w_hh_packed = s.base + at_whh;
  ia.w_ih_packed = ia.fused ? s.base + at_wih : NULL;
  a->b_hh = gru ? b_hh : NULL;
  a->hh = gru ? s.base + at_hh : NULL;
  a->cells = lstm ? s.base + at_save : NULL;
  a->c_prev = lstm ? s.base + at_save2 : NULL;
  a->hh_n = gru ? s.base + at_save : NULL;
  a->h = h_n;
  copy_or_zero(a->h, h0, B * H);
  if (lstm) {
    a->c = c_n ? c_n : s.base + at_c;
    copy_or_zero(a->c, c0, B * H);
  }
  // LSTM and RNN add the products into xProj; a GRU writes its gates over its own xProj. With x,
  // both are each range's chunk scratch (recurrent-infer.c).
  a->gates = x_proj;
  a->x_proj = gru ? x_proj : NULL;
  ia.out = out + out_offset;
  ia.out_stride = out_stride;
  *out_ia = ia;
  *out_s = s;
  return 1;
}

// One range of rows of one call, and its progress: units [0, done) have run; `busy` while a thread
// runs its next unit (claimed by compare-and-swap, released after `done` is advanced, so the next
// thread to claim it sees every write of the units before).
typedef struct {
  int call, r0, r1, units, steps;  // steps per unit (infer_unit_steps)
  _Atomic int done, busy;
} infer_range;

typedef struct {
  infer_args *args;
  infer_fns fns;
  int parts[MANY_MAX];  // row ranges per call
  // The ranges, the calls' interleaved (call 0's first, call 1's first, …); range k is thread
  // (k mod workers)'s own.
  infer_range *ranges;
  int count, workers;
  // Packing: call i's units (fns.units) in pack_parts[i] tasks from task pack_first[i].
  int units[MANY_MAX], pack_parts[MANY_MAX], pack_first[MANY_MAX];
} infer_many_job;

// Packing tasks per thread: a few, so a thread that starts late (or is descheduled) leaves its share
// to the others.
#define INFER_PACK_TASKS_PER_THREAD 4

static void infer_pack_task(void *ctx, int task) {
  const infer_many_job *job = ctx;
  int i = 0;
  while (task >= job->pack_first[i] + job->pack_parts[i]) i++;
  const int part = task - job->pack_first[i], parts = job->pack_parts[i], n = job->units[i];
  job->fns.pack(&job->args[i], (int)((long long)n * part / parts), (int)((long long)n * (part + 1) / parts));
}

// The free range with units left and the fewest done, among thread `own`'s ranges (own >= 0) or
// the others' (own < 0: any thread but -1 − own); claimed (busy) when found, else -1.
static int claim_range(infer_many_job *job, int own) {
  for (;;) {
    int best = -1, best_done = INT_MAX;
    for (int k = 0; k < job->count; k++) {
      const int owner = k % job->workers;
      if (own >= 0 ? owner != own : owner == -1 - own) continue;
      infer_range *r = &job->ranges[k];
      if (atomic_load_explicit(&r->busy, memory_order_relaxed)) continue;
      const int done = atomic_load_explicit(&r->done, memory_order_relaxed);
      if (done < r->units && done < best_done) best = k, best_done = done;
    }
    if (best < 0) return -1;
    int idle = 0;
    if (atomic_compare_exchange_strong_explicit(&job->ranges[best].busy, &idle, 1, memory_order_acquire,
                                                memory_order_relaxed)) {
      // Done may have moved between the scan and the claim (another thread ran a unit and let go).
      if (atomic_load_explicit(&job->ranges[best].done, memory_order_relaxed) < job->ranges[best].units)
        return best;
      atomic_store_explicit(&job->ranges[best].busy, 0, memory_order_release);
    }
  }
}

// Task t is thread t's loop (t < workers): a unit of its own least advanced free range, else of
// another thread's, until none is free (the ranges still running finish on their threads).
static void infer_rows_task(void *ctx, int task) {
  infer_many_job *job = ctx;
  for (;;) {
    int k = claim_range(job, task);
    if (k < 0) k = claim_range(job, -1 - task);
    if (k < 0) return;
    infer_range *r = &job->ranges[k];
    const int u = atomic_load_explicit(&r->done, memory_order_relaxed);
    job->fns.rows(&job->args[r->call], r->r0, r->r1, u * r->steps, (u + 1) * r->steps);
    atomic_store_explicit(&r->done, u + 1, memory_order_relaxed);
    atomic_store_explicit(&r->busy, 0, memory_order_release);
  }
}

static napi_value js_recurrent_infer_many(napi_env env, napi_callback_info info) {
  const char *fn = "recurrentInferMany";
  napi_value list;
  uint32_t count = 0;
  if (!read_call_list(env, info, fn, &list, &count)) return NULL;
  infer_args args[MANY_MAX];
  arena scratch[MANY_MAX];  // each a block of the calling thread's kept scratch (infer_arena)
  uint32_t ready = 0;
  for (; ready < count; ready++) {
    napi_value obj;
    if (napi_get_element(env, list, ready, &obj) != napi_ok) {
      sl_throw_pending(env, "element");
      break;
    }
    if (!prepare_infer(env, obj, fn, (int)ready, &args[ready], &scratch[ready])) break;
  }
  if (ready == count && count > 0) {
    infer_many_job job;
    job.args = args;
    job.fns = infer_for();
    const int threads = sl_pool_threads_here();
    const int each = threads / (int)count > 1 ? threads / (int)count : 1;
    const int share = threads > 1 ? (threads * INFER_RANGES_PER_THREAD + (int)count - 1) / (int)count : 1;
    int tasks = 0, pack_tasks = 0, most_parts = 0;
    // Every call's packing split over the pool: each call's units in about an equal share of
    // threads × INFER_PACK_TASKS_PER_THREAD tasks (one task per call on one thread: nothing to share).
    const int pack_each = threads > 1 ? (threads * INFER_PACK_TASKS_PER_THREAD + (int)count - 1) / (int)count : 1;
    for (uint32_t i = 0; i < count; i++) {
      const rec_args *a = &args[i].a;
      const size_t w_hh_bytes = (size_t)(a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1) * a->H * a->H * sizeof(float);
      const int want = w_hh_bytes <= INFER_SHARE_MAX_BYTES ? share : each;
      const int most = (a->B + INFER_MIN_ROWS - 1) / INFER_MIN_ROWS;
      job.parts[i] = want < most ? want : (most > 0 ? most : 1);
      tasks += job.parts[i];
      if (job.parts[i] > most_parts) most_parts = job.parts[i];
      job.units[i] = job.fns.units(&args[i]);
      job.pack_parts[i] = pack_each < job.units[i] ? pack_each : (job.units[i] > 0 ? job.units[i] : 1);
      job.pack_first[i] = pack_tasks;
      pack_tasks += job.pack_parts[i];
    }
    infer_range *ranges = malloc((size_t)tasks * sizeof *ranges);
    if (!ranges) {
      napi_throw_error(env, NULL, "recurrentInferMany: out of memory for the task table");
      return NULL;
    }
    job.ranges = ranges;
    job.count = 0;
    for (int part = 0; part < most_parts; part++) {
      for (uint32_t i = 0; i < count; i++) {
        if (part >= job.parts[i]) continue;
        // Ranges of whole micro-kernel blocks where the batch allows, the remainder in the last.
        const int B = args[i].a.B, parts = job.parts[i];
        const int rows = ((B + parts - 1) / parts + INFER_MIN_ROWS - 1) / INFER_MIN_ROWS * INFER_MIN_ROWS;
        const int r0 = part * rows, r1 = r0 + rows < B ? r0 + rows : B;
        if (r0 >= r1) continue;
        infer_range *r = &ranges[job.count++];
        r->call = (int)i;
        r->r0 = r0;
        r->r1 = r1;
        r->steps = infer_unit_steps(&args[i], r1 - r0);
        r->units = (args[i].a.T + r->steps - 1) / r->steps;
        atomic_init(&r->done, 0);
        atomic_init(&r->busy, 0);
      }
    }
    job.workers = threads < job.count ? threads : job.count;
    if (job.workers < 1) job.workers = 1;
    sl_pool_run(infer_pack_task, &job, pack_tasks);
    sl_pool_run(infer_rows_task, &job, job.workers);
    free(ranges);
  }
  return NULL;
}

// recurrentInfo() -> { isa }: the build of the gate math the next call runs.
static napi_value js_recurrent_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  SL_CALL(env, napi_create_object(env, &out));
  SL_CALL(env, napi_create_string_utf8(env, gate_isa(), NAPI_AUTO_LENGTH, &v));
  SL_CALL(env, napi_set_named_property(env, out, "isa", v));
  // recurrentForward/Backward read outBatchStride (NOTE(batch-first-recurrence)) and outStride
  // (NOTE(layer-columns)).
  SL_CALL(env, napi_get_boolean(env, true, &v));
  SL_CALL(env, napi_set_named_property(env, out, "batchFirstOut", v));
  SL_CALL(env, napi_set_named_property(env, out, "outStride", v));
  return out;
}

napi_value sl_init_recurrent(napi_env env, napi_value exports) {
  sl_export(env, exports, "recurrentForward", js_recurrent_forward);
  sl_export(env, exports, "recurrentBackward", js_recurrent_backward);
  sl_export(env, exports, "recurrentForwardMany", js_recurrent_forward_many);
  sl_export(env, exports, "recurrentBackwardMany", js_recurrent_backward_many);
  sl_export(env, exports, "recurrentInferMany", js_recurrent_infer_many);
  sl_export(env, exports, "recurrentInfo", js_recurrent_info);
  return exports;
}
