// The GEMM's JavaScript functions. Typed arrays are read in place (no copies); every offset and
// length is checked against the array before native code touches it, so a bad call throws a
// RangeError instead of corrupting memory.
//   gemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate, ...biases)
//     biases: up to MAX_BIAS Float32Arrays of at least n floats, added to every row of C in turn
//     after the product (sl_gemm_packed_bias); an undefined or null one ends the list
//   gemmMaxBiases() -> MAX_BIAS
//   packB(transB, k, n, b, bOff) -> Float32Array (64-byte aligned panels for gemmPacked)
//   gemmPacked(m, n, k, a, aOff, packed, c, cOff, accumulate, nr)  nr: the width B was packed with
//   gemmInfo() -> { isa, reason, mr, nr }
//   setIsa(name) -> boolean
//   fmaPeak(iters) -> { wall, cpu } GFLOP/s of register-only FMAs (the benchmark's 100%)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "napi-util.h"
#include "pool.h"

static int check_span(napi_env env, const char *fn, const char *name, size_t length, int off, size_t count) {
  if (off < 0 || (size_t)off > length || count > length - (size_t)off) {
    char message[200];
    snprintf(message, sizeof message, "%s: expected %s to hold %zu elements from offset %d, got length %zu",
             fn, name, count, off, length);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  return 1;
}

static int check_dims(napi_env env, const char *fn, int m, int n, int k) {
  if (m < 0 || n < 0 || k < 0) {
    char message[160];
    snprintf(message, sizeof message, "%s: expected m, n, k >= 0, got %d, %d, %d", fn, m, n, k);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  return 1;
}

static int check_width(napi_env env, int nr) {
  const sl_gemm_isa *isa = sl_gemm_active();
  if (nr != isa->nr) {
    char message[200];
    snprintf(message, sizeof message,
             "gemmPacked: expected B packed in panels of %d (the %s micro-kernel), got panels of %d. Pack it "
             "again after setIsa",
             isa->nr, isa->isa, nr);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  return 1;
}

// gemm's packed B: the calling thread's kept buffer when it is at most KEEP_FLOATS (4 MB: W1's
// largest, W_ih [1024, 512], is 2 MB), so that the training step's GEMMs do not map, fault in and
// unmap fresh pages on every call (≈ 5% of W1's [1600, 128] x [128, 1024] forward), grown to twice
// the request (up to KEEP_FLOATS) so that a few growing shapes settle fast; a larger B is
// allocated and freed per call.
#define KEEP_FLOATS ((size_t)1 << 20)

#define MAX_BIAS 4

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 12 + MAX_BIAS;
  napi_value args[12 + MAX_BIAS];
  SL_CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int transA, transB, m, n, k, aOff, bOff, cOff, acc;
  float *a, *b, *c;
  size_t aLen, bLen, cLen;
  const char *fn = "gemm";
  if (!sl_get_bool(env, args[0], fn, "transA", &transA) || !sl_get_bool(env, args[1], fn, "transB", &transB) ||
      !sl_get_int(env, args[2], fn, "m", &m) || !sl_get_int(env, args[3], fn, "n", &n) ||
      !sl_get_int(env, args[4], fn, "k", &k) || !sl_get_f32(env, args[5], fn, "a", &a, &aLen) ||
      !sl_get_int(env, args[6], fn, "aOff", &aOff) || !sl_get_f32(env, args[7], fn, "b", &b, &bLen) ||
      !sl_get_int(env, args[8], fn, "bOff", &bOff) || !sl_get_f32(env, args[9], fn, "c", &c, &cLen) ||
      !sl_get_int(env, args[10], fn, "cOff", &cOff) || !sl_get_bool(env, args[11], fn, "accumulate", &acc) ||
      !check_dims(env, fn, m, n, k) || !check_span(env, fn, "a", aLen, aOff, (size_t)m * k) ||
      !check_span(env, fn, "b", bLen, bOff, (size_t)k * n) ||
      !check_span(env, fn, "c", cLen, cOff, (size_t)m * n))
    return NULL;
  const float *bias[MAX_BIAS];
  int nbias = 0;
  for (size_t i = 12; i < argc; i++) {
    napi_valuetype type;
    SL_CALL(env, napi_typeof(env, args[i], &type));
    if (type == napi_undefined || type == napi_null) break;
    float *v;
    size_t vLen;
    if (!sl_get_f32(env, args[i], fn, "bias", &v, &vLen) || !check_span(env, fn, "bias", vLen, 0, (size_t)n))
      return NULL;
    bias[nbias++] = v;
  }
  if (m == 0 || n == 0) return NULL;
  float *packed = NULL;
  int kept = 0;
  if (k > 0) {
    const size_t floats = sl_packed_size(k, n);
    kept = floats <= KEEP_FLOATS;
    packed = kept ? sl_thread_buffer(SL_BUFFER_GEMM_PACKED_B, floats, 2 * floats < KEEP_FLOATS ? 2 * floats : KEEP_FLOATS)
                  : aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64);
    if (!packed) {
      napi_throw_error(env, NULL, "gemm: out of memory packing B");
      return NULL;
    }
    sl_pack_b(transB, k, n, b + bOff, packed);
  }
  sl_gemm_packed_bias(transA, m, n, k, a + aOff, packed, c + cOff, acc, nbias, bias);
  if (!kept) free(packed);
  return NULL;
}

// How many biases gemm takes: its presence also tells the loader that this binary's gemm adds them
// (an older one would take the arguments and ignore them).
static napi_value js_gemm_max_biases(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  SL_CALL(env, napi_create_int32(env, MAX_BIAS, &out));
  return out;
}

static napi_value js_pack_b(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  SL_CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int transB, k, n, bOff;
  float *b;
  size_t bLen;
  const char *fn = "packB";
  if (!sl_get_bool(env, args[0], fn, "transB", &transB) || !sl_get_int(env, args[1], fn, "k", &k) ||
      !sl_get_int(env, args[2], fn, "n", &n) || !sl_get_f32(env, args[3], fn, "b", &b, &bLen) ||
      !sl_get_int(env, args[4], fn, "bOff", &bOff) || !check_dims(env, fn, 0, n, k) ||
      !check_span(env, fn, "b", bLen, bOff, (size_t)k * n))
    return NULL;
  const size_t floats = sl_packed_size(k, n);
  void *data;
  napi_value buffer, out;
  SL_CALL(env, napi_create_arraybuffer(env, floats * sizeof(float) + 64, &data, &buffer));
  const size_t shift = (64 - ((uintptr_t)data & 63)) & 63;
  SL_CALL(env, napi_create_typedarray(env, napi_float32_array, floats, buffer, shift, &out));
  sl_pack_b(transB, k, n, b + bOff, (float *)((char *)data + shift));
  return out;
}

static napi_value js_gemm_packed(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value args[10];
  SL_CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int m, n, k, aOff, cOff, acc, nr;
  float *a, *packed, *c;
  size_t aLen, pLen, cLen;
  const char *fn = "gemmPacked";
  if (!sl_get_int(env, args[0], fn, "m", &m) || !sl_get_int(env, args[1], fn, "n", &n) ||
      !sl_get_int(env, args[2], fn, "k", &k) || !sl_get_f32(env, args[3], fn, "a", &a, &aLen) ||
      !sl_get_int(env, args[4], fn, "aOff", &aOff) || !sl_get_f32(env, args[5], fn, "packed", &packed, &pLen) ||
      !sl_get_f32(env, args[6], fn, "c", &c, &cLen) || !sl_get_int(env, args[7], fn, "cOff", &cOff) ||
      !sl_get_bool(env, args[8], fn, "accumulate", &acc) || !sl_get_int(env, args[9], fn, "nr", &nr) ||
      !check_width(env, nr) || !check_dims(env, fn, m, n, k) ||
      !check_span(env, fn, "a", aLen, aOff, (size_t)m * k) ||
      !check_span(env, fn, "packed", pLen, 0, sl_packed_size(k, n)) ||
      !check_span(env, fn, "c", cLen, cOff, (size_t)m * n))
    return NULL;
  sl_gemm_packed(0, m, n, k, a + aOff, packed, c + cOff, acc);
  return NULL;
}

static napi_value js_gemm_info(napi_env env, napi_callback_info info) {
  (void)info;
  const sl_gemm_isa *isa = sl_gemm_active();
  napi_value out, v;
  SL_CALL(env, napi_create_object(env, &out));
  SL_CALL(env, napi_create_string_utf8(env, isa->isa, NAPI_AUTO_LENGTH, &v));
  SL_CALL(env, napi_set_named_property(env, out, "isa", v));
  SL_CALL(env, napi_create_string_utf8(env, sl_gemm_isa_reason(), NAPI_AUTO_LENGTH, &v));
  SL_CALL(env, napi_set_named_property(env, out, "reason", v));
  SL_CALL(env, napi_create_int32(env, isa->mr, &v));
  SL_CALL(env, napi_set_named_property(env, out, "mr", v));
  SL_CALL(env, napi_create_int32(env, isa->nr, &v));
  SL_CALL(env, napi_set_named_property(env, out, "nr", v));
  return out;
}

// fmaPeak(iters) -> { wall, cpu }: GFLOP/s of the active instruction set's FMA loop over wall
// time and over this thread's CPU time.
static napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, out, v;
  int iters;
  SL_CALL(env, napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  if (!sl_get_int(env, arg, "fmaPeak", "iters", &iters)) return NULL;
  struct timespec w0, w1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  const double flops = sl_gemm_active()->fma_peak(iters);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  clock_gettime(CLOCK_MONOTONIC, &w1);
  const double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
  const double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
  SL_CALL(env, napi_create_object(env, &out));
  SL_CALL(env, napi_create_double(env, wall > 0 ? flops / wall * 1e-9 : 0, &v));
  SL_CALL(env, napi_set_named_property(env, out, "wall", v));
  SL_CALL(env, napi_create_double(env, cpu > 0 ? flops / cpu * 1e-9 : 0, &v));
  SL_CALL(env, napi_set_named_property(env, out, "cpu", v));
  return out;
}

static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, out;
  char name[32];
  size_t len;
  SL_CALL(env, napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  if (napi_get_value_string_utf8(env, arg, name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "setIsa: expected name to be a string");
    return NULL;
  }
  SL_CALL(env, napi_get_boolean(env, sl_gemm_select(name), &out));
  return out;
}

napi_value sl_init_gemm(napi_env env, napi_value exports) {
  sl_export(env, exports, "gemm", js_gemm);
  sl_export(env, exports, "gemmMaxBiases", js_gemm_max_biases);
  sl_export(env, exports, "packB", js_pack_b);
  sl_export(env, exports, "gemmPacked", js_gemm_packed);
  sl_export(env, exports, "gemmInfo", js_gemm_info);
  sl_export(env, exports, "setIsa", js_set_isa);
  sl_export(env, exports, "fmaPeak", js_fma_peak);
  return exports;
}
