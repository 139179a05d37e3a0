// The JavaScript functions of ops.h (src/ops.ts calls them). Typed arrays are read in place;
// every length, offset, stride and index is checked before a kernel runs, so a bad call throws a
// RangeError (or a TypeError for a wrong type) and never touches memory outside its arrays.
//   opsUnary(op, x, out)                         opsUnaryBackward(op, x, y, dy, dx)
//   opsBinary(op, a, b, out, geometry)           geometry: Int32Array
//                                                [rank, dims…, aOffset, aStrides…, bOffset, bStrides…]
//   opsReduce(op, x, outer, size, inner, out)
//   opsStridedCopy(src, out, geometry)           geometry: [rank, dims…, offset, strides…] of src
//   opsStridedAccumulate(src, dst, geometry)     geometry: the same, of dst
//   opsFill(out, value)
//   opsIndexSelect(x, outer, size, inner, index, out)
//   opsIndexAdd(dst, outer, size, inner, index, src)
//   opsSoftmax(x, outer, size, inner, log, out)  opsSoftmaxBackward(y, dy, outer, size, inner, log, dx)
//   opsAdam(param, grad, expAvg, expAvgSq, maxExpAvgSq | null, scalars, maximize)
//                                                scalars: Float64Array [β1, β2, eps, stepSize, √(1−β2ᵗ), l2, decay]
//   opsSumSquares(x, init) -> init + Σ x²
//   opsDropout(state, p, scale, x, mask, out)    state: Uint32Array [4], a Generator's, advanced
//   opsInfo() -> { isa }                         the table that runs
#include <stdio.h>

#include "napi-util.h"
#include "ops.h"
#include "xoshiro.h"  // @seqlab/tensor's src/backend/wasm/, on binding.gyp's include path

#define ARGS(n)                                                                                        \
  size_t argc = (n);                                                                                   \
  napi_value args[(n)];                                                                                \
  SL_CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));                                  \
  if (argc < (n)) {                                                                                    \
    sl_range_error(env, fn, #n " arguments", "%zu", argc);                                             \
    return NULL;                                                                                       \
  }

static int check_op(napi_env env, const char *fn, int op, int count) {
  if (op >= 0 && op < count) return 1;
  sl_range_error(env, fn, "an op code in [0, count)", "%d", op);
  return 0;
}

static int check_len(napi_env env, const char *fn, const char *name, size_t got, size_t want) {
  if (got == want) return 1;
  char what[96];
  snprintf(what, sizeof what, "%s of length %zu", name, want);
  sl_range_error(env, fn, what, "%zu", got);
  return 0;
}

static int check_sizes(napi_env env, const char *fn, int outer, int size, int inner) {
  if (outer >= 0 && size >= 0 && inner >= 0) return 1;
  sl_range_error(env, fn, "outer, size, inner >= 0", "%d, %d, %d", outer, size, inner);
  return 0;
}

// Reads [rank, dims…] from geometry at *pos; advances *pos.
static int read_dims(napi_env env, const char *fn, const int32_t *g, size_t glen, size_t *pos, int *rank,
                     ptrdiff_t *dims, size_t *total) {
  if (glen < 1 || g[0] < 1 || g[0] > SL_OPS_MAX_RANK || glen < 1 + (size_t)g[0]) {
    sl_range_error(env, fn, "geometry [rank in 1..6, dims…]", "length %zu", glen);
    return 0;
  }
  *rank = g[0];
  *total = 1;
  for (int d = 0; d < *rank; d++) {
    if (g[1 + d] < 0) {
      sl_range_error(env, fn, "dims >= 0", "%d at dim %d", g[1 + d], d);
      return 0;
    }
    dims[d] = g[1 + d];
    *total *= (size_t)dims[d];
  }
  *pos = 1 + (size_t)*rank;
  return 1;
}

// Reads [offset, strides…] of a view from geometry at *pos and checks that every position of the
// view lies inside `len` elements (and, when `unit_inner`, that its last stride is 0 or 1).
static int read_view(napi_env env, const char *fn, const char *name, const int32_t *g, size_t glen, size_t *pos,
                     int rank, const ptrdiff_t *dims, size_t total, size_t len, int unit_inner, ptrdiff_t *offset,
                     ptrdiff_t *strides) {
  if (glen < *pos + 1 + (size_t)rank) {
    sl_range_error(env, fn, "geometry with an offset and a stride per dim", "length %zu", glen);
    return 0;
  }
  *offset = g[*pos];
  ptrdiff_t lo = *offset, hi = *offset;
  for (int d = 0; d < rank; d++) {
    strides[d] = g[*pos + 1 + d];
    if (dims[d] > 0) {
      const ptrdiff_t reach = (dims[d] - 1) * strides[d];
      if (reach < 0) lo += reach;
      else hi += reach;
    }
  }
  *pos += 1 + (size_t)rank;
  if (unit_inner && strides[rank - 1] != 0 && strides[rank - 1] != 1) {
    char what[96];
    snprintf(what, sizeof what, "%s's last stride 0 or 1", name);
    sl_range_error(env, fn, what, "%td", strides[rank - 1]);
    return 0;
  }
  if (total > 0 && (lo < 0 || (size_t)hi >= len)) {
    char what[96];
    snprintf(what, sizeof what, "%s's view inside its %zu elements", name, len);
    sl_range_error(env, fn, what, "positions %td to %td", lo, hi);
    return 0;
  }
  return 1;
}

static napi_value js_unary(napi_env env, napi_callback_info info) {
  const char *fn = "opsUnary";
  ARGS(3);
  int op;
  float *x, *out;
  size_t xn, on;
  if (!sl_get_int(env, args[0], fn, "op", &op) || !check_op(env, fn, op, SL_UNARY_OPS) ||
      !sl_get_f32(env, args[1], fn, "x", &x, &xn) || !sl_get_f32(env, args[2], fn, "out", &out, &on) ||
      !check_len(env, fn, "out", on, xn))
    return NULL;
  sl_ops_active()->unary(op, x, out, xn);
  return NULL;
}

static napi_value js_unary_backward(napi_env env, napi_callback_info info) {
  const char *fn = "opsUnaryBackward";
  ARGS(5);
  int op;
  float *x, *y, *dy, *dx;
  size_t xn, yn, dyn, dxn;
  if (!sl_get_int(env, args[0], fn, "op", &op) || !check_op(env, fn, op, SL_UNARY_OPS) ||
      !sl_get_f32(env, args[1], fn, "x", &x, &xn) || !sl_get_f32(env, args[2], fn, "y", &y, &yn) ||
      !sl_get_f32(env, args[3], fn, "dy", &dy, &dyn) || !sl_get_f32(env, args[4], fn, "dx", &dx, &dxn) ||
      !check_len(env, fn, "y", yn, xn) || !check_len(env, fn, "dy", dyn, xn) || !check_len(env, fn, "dx", dxn, xn))
    return NULL;
  sl_ops_active()->unary_backward(op, x, y, dy, dx, xn);
  return NULL;
}

static napi_value js_binary(napi_env env, napi_callback_info info) {
  const char *fn = "opsBinary";
  ARGS(5);
  int op, rank;
  float *a, *b, *out;
  int32_t *g;
  size_t an, bn, on, gn, pos, total;
  ptrdiff_t dims[SL_OPS_MAX_RANK];
  sl_view va, vb;
  if (!sl_get_int(env, args[0], fn, "op", &op) || !check_op(env, fn, op, SL_BINARY_OPS) ||
      !sl_get_f32(env, args[1], fn, "a", &a, &an) || !sl_get_f32(env, args[2], fn, "b", &b, &bn) ||
      !sl_get_f32(env, args[3], fn, "out", &out, &on) || !sl_get_i32(env, args[4], fn, "geometry", &g, &gn) ||
      !read_dims(env, fn, g, gn, &pos, &rank, dims, &total) || !check_len(env, fn, "out", on, total) ||
      !read_view(env, fn, "a", g, gn, &pos, rank, dims, total, an, 1, &va.offset, va.strides) ||
      !read_view(env, fn, "b", g, gn, &pos, rank, dims, total, bn, 1, &vb.offset, vb.strides))
    return NULL;
  if (total == 0) return NULL;
  va.data = a;
  vb.data = b;
  sl_ops_active()->binary(op, &va, &vb, rank, dims, out);
  return NULL;
}

static napi_value js_reduce(napi_env env, napi_callback_info info) {
  const char *fn = "opsReduce";
  ARGS(6);
  int op, outer, size, inner;
  float *x, *out;
  size_t xn, on;
  if (!sl_get_int(env, args[0], fn, "op", &op) || !check_op(env, fn, op, SL_REDUCE_OPS) ||
      !sl_get_f32(env, args[1], fn, "x", &x, &xn) || !sl_get_int(env, args[2], fn, "outer", &outer) ||
      !sl_get_int(env, args[3], fn, "size", &size) || !sl_get_int(env, args[4], fn, "inner", &inner) ||
      !sl_get_f32(env, args[5], fn, "out", &out, &on) || !check_sizes(env, fn, outer, size, inner) ||
      !check_len(env, fn, "x", xn, (size_t)outer * size * inner) ||
      !check_len(env, fn, "out", on, (size_t)outer * inner))
    return NULL;
  sl_ops_active()->reduce(op, x, (size_t)outer, (size_t)size, (size_t)inner, out);
  return NULL;
}

// opsStridedCopy(src, out, geometry) and opsStridedAccumulate(src, dst, geometry): the view is
// args[0] for a copy and args[1] for an accumulate.
static napi_value strided(napi_env env, napi_callback_info info, int accumulate) {
  const char *fn = accumulate ? "opsStridedAccumulate" : "opsStridedCopy";
  ARGS(3);
  int rank;
  float *src, *dst;
  int32_t *g;
  size_t sn, dn, gn, pos, total;
  ptrdiff_t dims[SL_OPS_MAX_RANK];
  sl_view v;
  if (!sl_get_f32(env, args[0], fn, "src", &src, &sn) ||
      !sl_get_f32(env, args[1], fn, accumulate ? "dst" : "out", &dst, &dn) ||
      !sl_get_i32(env, args[2], fn, "geometry", &g, &gn) || !read_dims(env, fn, g, gn, &pos, &rank, dims, &total) ||
      !check_len(env, fn, accumulate ? "src" : "out", accumulate ? sn : dn, total) ||
      !read_view(env, fn, accumulate ? "dst" : "src", g, gn, &pos, rank, dims, total, accumulate ? dn : sn, 0,
                 &v.offset, v.strides))
    return NULL;
  if (total == 0) return NULL;
  if (accumulate) {
    sl_ops_active()->strided_accumulate(src, rank, dims, dst, v.strides, v.offset);
  } else {
    v.data = src;
    sl_ops_active()->strided_copy(&v, rank, dims, dst);
  }
  return NULL;
}

static napi_value js_strided_copy(napi_env env, napi_callback_info info) { return strided(env, info, 0); }
static napi_value js_strided_accumulate(napi_env env, napi_callback_info info) { return strided(env, info, 1); }

static napi_value js_fill(napi_env env, napi_callback_info info) {
  const char *fn = "opsFill";
  ARGS(2);
  float *out;
  size_t n;
  double value;
  if (!sl_get_f32(env, args[0], fn, "out", &out, &n) || !sl_get_double(env, args[1], fn, "value", &value))
    return NULL;
  sl_ops_active()->fill(out, n, (float)value);
  return NULL;
}

// Checks x [outer, size, inner] against its length, rows [outer, m, inner] against theirs, and every
// index against size.
static int check_index(napi_env env, const char *fn, int outer, int size, int inner, size_t tableLen,
                       const char *table, const int32_t *index, size_t m, size_t rowsLen, const char *rows) {
  if (!check_sizes(env, fn, outer, size, inner) || !check_len(env, fn, table, tableLen, (size_t)outer * size * inner) ||
      !check_len(env, fn, rows, rowsLen, (size_t)outer * m * inner))
    return 0;
  for (size_t i = 0; i < m; i++) {
    if (index[i] < 0 || index[i] >= size) {
      char what[64];
      snprintf(what, sizeof what, "indices in [0, %d)", size);
      sl_range_error(env, fn, what, "%d at position %zu", index[i], i);
      return 0;
    }
  }
  return 1;
}

static napi_value js_index_select(napi_env env, napi_callback_info info) {
  const char *fn = "opsIndexSelect";
  ARGS(6);
  int outer, size, inner;
  float *x, *out;
  int32_t *index;
  size_t xn, m, on;
  if (!sl_get_f32(env, args[0], fn, "x", &x, &xn) || !sl_get_int(env, args[1], fn, "outer", &outer) ||
      !sl_get_int(env, args[2], fn, "size", &size) || !sl_get_int(env, args[3], fn, "inner", &inner) ||
      !sl_get_i32(env, args[4], fn, "index", &index, &m) || !sl_get_f32(env, args[5], fn, "out", &out, &on) ||
      !check_index(env, fn, outer, size, inner, xn, "x", index, m, on, "out"))
    return NULL;
  sl_ops_active()->index_select(x, (size_t)outer, (size_t)size, (size_t)inner, index, m, out);
  return NULL;
}

static napi_value js_index_add(napi_env env, napi_callback_info info) {
  const char *fn = "opsIndexAdd";
  ARGS(6);
  int outer, size, inner;
  float *dst, *src;
  int32_t *index;
  size_t dn, m, sn;
  if (!sl_get_f32(env, args[0], fn, "dst", &dst, &dn) || !sl_get_int(env, args[1], fn, "outer", &outer) ||
      !sl_get_int(env, args[2], fn, "size", &size) || !sl_get_int(env, args[3], fn, "inner", &inner) ||
      !sl_get_i32(env, args[4], fn, "index", &index, &m) || !sl_get_f32(env, args[5], fn, "src", &src, &sn) ||
      !check_index(env, fn, outer, size, inner, dn, "dst", index, m, sn, "src"))
    return NULL;
  sl_ops_active()->index_add(dst, (size_t)outer, (size_t)size, (size_t)inner, index, m, src);
  return NULL;
}

static napi_value js_softmax(napi_env env, napi_callback_info info) {
  const char *fn = "opsSoftmax";
  ARGS(6);
  int outer, size, inner, log;
  float *x, *out;
  size_t xn, on;
  if (!sl_get_f32(env, args[0], fn, "x", &x, &xn) || !sl_get_int(env, args[1], fn, "outer", &outer) ||
      !sl_get_int(env, args[2], fn, "size", &size) || !sl_get_int(env, args[3], fn, "inner", &inner) ||
      !sl_get_bool(env, args[4], fn, "log", &log) || !sl_get_f32(env, args[5], fn, "out", &out, &on) ||
      !check_sizes(env, fn, outer, size, inner) || !check_len(env, fn, "x", xn, (size_t)outer * size * inner) ||
      !check_len(env, fn, "out", on, xn))
    return NULL;
  sl_ops_active()->softmax(x, (size_t)outer, (size_t)size, (size_t)inner, log, out);
  return NULL;
}

static napi_value js_softmax_backward(napi_env env, napi_callback_info info) {
  const char *fn = "opsSoftmaxBackward";
  ARGS(7);
  int outer, size, inner, log;
  float *y, *dy, *dx;
  size_t yn, dyn, dxn;
  if (!sl_get_f32(env, args[0], fn, "y", &y, &yn) || !sl_get_f32(env, args[1], fn, "dy", &dy, &dyn) ||
      !sl_get_int(env, args[2], fn, "outer", &outer) || !sl_get_int(env, args[3], fn, "size", &size) ||
      !sl_get_int(env, args[4], fn, "inner", &inner) || !sl_get_bool(env, args[5], fn, "log", &log) ||
      !sl_get_f32(env, args[6], fn, "dx", &dx, &dxn) || !check_sizes(env, fn, outer, size, inner) ||
      !check_len(env, fn, "y", yn, (size_t)outer * size * inner) || !check_len(env, fn, "dy", dyn, yn) ||
      !check_len(env, fn, "dx", dxn, yn))
    return NULL;
  sl_ops_active()->softmax_backward(y, dy, (size_t)outer, (size_t)size, (size_t)inner, log, dx);
  return NULL;
}

static napi_value js_adam(napi_env env, napi_callback_info info) {
  const char *fn = "opsAdam";
  ARGS(7);
  float *x, *g, *m, *v, *vmax = NULL;
  double *s;
  size_t xn, gn, mn, vn, vmaxn, sn;
  int maximize;
  napi_valuetype type;
  SL_CALL(env, napi_typeof(env, args[4], &type));
  if (!sl_get_f32(env, args[0], fn, "param", &x, &xn) || !sl_get_f32(env, args[1], fn, "grad", &g, &gn) ||
      !sl_get_f32(env, args[2], fn, "expAvg", &m, &mn) || !sl_get_f32(env, args[3], fn, "expAvgSq", &v, &vn) ||
      (type != napi_null && !sl_get_f32(env, args[4], fn, "maxExpAvgSq", &vmax, &vmaxn)) ||
      !sl_get_f64(env, args[5], fn, "scalars", &s, &sn) || !sl_get_bool(env, args[6], fn, "maximize", &maximize) ||
      !check_len(env, fn, "grad", gn, xn) || !check_len(env, fn, "expAvg", mn, xn) ||
      !check_len(env, fn, "expAvgSq", vn, xn) || (vmax && !check_len(env, fn, "maxExpAvgSq", vmaxn, xn)) ||
      !check_len(env, fn, "scalars", sn, 7))
    return NULL;
  sl_adam_args a = {x, g, m, v, vmax, xn, s[0], s[1], s[2], s[3], s[4], s[5], s[6], maximize};
  sl_ops_active()->adam(&a);
  return NULL;
}

static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  const char *fn = "opsSumSquares";
  ARGS(2);
  float *x;
  size_t n;
  double init;
  napi_value out;
  if (!sl_get_f32(env, args[0], fn, "x", &x, &n) || !sl_get_double(env, args[1], fn, "init", &init)) return NULL;
  SL_CALL(env, napi_create_double(env, sl_ops_active()->sum_squares(x, n, init), &out));
  return out;
}

// Dropout's mask and product with the uniforms of @seqlab/tensor's Generator (xoshiro128**,
// src/random.ts' drawUniforms; the step is xoshiro.h's, shared with the wasm kernel, NOTE(xoshiro-c)) drawn here from its state, which is written back: u = (r >> 8) / 2^24,
// mask = scale where u >= p else 0 (float32), out = x · mask rounded to float32 (the float64
// product of two float32 values is exact: one rounding, as in js). Bit for bit the js loop of
// ops/nn.ts' dropout, and the state after it the same. u >= p is (r >> 8) >= ceil(p · 2^24) (a
// scaling by a power of two, exact), an integer compare. In blocks: the draws (a serial chain)
// into the block's mask words, then the mask and product (vectorized) while the block is in cache.
// One thread: the draws are a chain.
#define DROPOUT_BLOCK 2048
static napi_value js_dropout(napi_env env, napi_callback_info info) {
  const char *fn = "opsDropout";
  ARGS(6);
  uint32_t *s;
  float *x, *m, *y;
  size_t sn, xn, mn, yn;
  double p, scale;
  if (!sl_get_u32(env, args[0], fn, "state", &s, &sn) || !sl_get_double(env, args[1], fn, "p", &p) ||
      !sl_get_double(env, args[2], fn, "scale", &scale) || !sl_get_f32(env, args[3], fn, "x", &x, &xn) ||
      !sl_get_f32(env, args[4], fn, "mask", &m, &mn) || !sl_get_f32(env, args[5], fn, "out", &y, &yn) ||
      !check_len(env, fn, "state", sn, 4) || !check_len(env, fn, "mask", mn, xn) || !check_len(env, fn, "out", yn, xn))
    return NULL;
  if (!(p >= 0 && p < 1)) {
    sl_range_error(env, fn, "p in [0, 1)", "%g", p);
    return NULL;
  }
  const double th = p * 16777216.0;
  const uint32_t lim = (uint32_t)th + ((double)(uint32_t)th < th);
  const float keep = (float)scale;
  sl_xoshiro g = {s[0], s[1], s[2], s[3]};
  for (size_t lo = 0; lo < xn; lo += DROPOUT_BLOCK) {
    const size_t hi = lo + DROPOUT_BLOCK < xn ? lo + DROPOUT_BLOCK : xn;
    uint32_t draws[DROPOUT_BLOCK];
    for (size_t i = lo; i < hi; i++) draws[i - lo] = sl_xoshiro_next(&g);
    for (size_t i = lo; i < hi; i++) {
      const float k = (draws[i - lo] >> 8) >= lim ? keep : 0.0f;
      m[i] = k;
      y[i] = x[i] * k;
    }
  }
  s[0] = g.s0;
  s[1] = g.s1;
  s[2] = g.s2;
  s[3] = g.s3;
  return NULL;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  SL_CALL(env, napi_create_object(env, &out));
  SL_CALL(env, napi_create_string_utf8(env, sl_ops_active()->isa, NAPI_AUTO_LENGTH, &v));
  SL_CALL(env, napi_set_named_property(env, out, "isa", v));
  return out;
}

napi_value sl_init_ops(napi_env env, napi_value exports) {
  sl_export(env, exports, "opsUnary", js_unary);
  sl_export(env, exports, "opsUnaryBackward", js_unary_backward);
  sl_export(env, exports, "opsBinary", js_binary);
  sl_export(env, exports, "opsReduce", js_reduce);
  sl_export(env, exports, "opsStridedCopy", js_strided_copy);
  sl_export(env, exports, "opsStridedAccumulate", js_strided_accumulate);
  sl_export(env, exports, "opsFill", js_fill);
  sl_export(env, exports, "opsIndexSelect", js_index_select);
  sl_export(env, exports, "opsIndexAdd", js_index_add);
  sl_export(env, exports, "opsSoftmax", js_softmax);
  sl_export(env, exports, "opsSoftmaxBackward", js_softmax_backward);
  sl_export(env, exports, "opsAdam", js_adam);
  sl_export(env, exports, "opsSumSquares", js_sum_squares);
  sl_export(env, exports, "opsDropout", js_dropout);
  sl_export(env, exports, "opsInfo", js_info);
  return exports;
}
