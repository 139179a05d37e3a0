// Argument helpers shared by the binding files: read numbers, booleans and float32 typed arrays
// (zero-copy, napi_get_typedarray_info) and throw a RangeError/TypeError naming the argument.
#ifndef SL_NAPI_UTIL_H
#define SL_NAPI_UTIL_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CALL(env, call)                                                                             \
  do {                                                                                                 \
    if ((call) != napi_ok) {                                                                           \
      sl_throw_pending(env, #call);                                                                    \
      return NULL;                                                                                     \
    }                                                                                                  \
  } while (0)

// Throws a generic error for a failed napi call unless one is already pending.
void sl_throw_pending(napi_env env, const char *what);
// Reads args[i] as an int32 / bool; returns 0 and throws a TypeError on the wrong type.
int sl_get_int(napi_env env, napi_value value, const char *fn, const char *name, int *out);
int sl_get_bool(napi_env env, napi_value value, const char *fn, const char *name, int *out);
// Reads a Float32Array without copying; *length in elements.
int sl_get_f32(napi_env env, napi_value value, const char *fn, const char *name, float **data,
               size_t *length);
// Reads an Int32Array / Float64Array without copying; *length in elements.
int sl_get_i32(napi_env env, napi_value value, const char *fn, const char *name, int32_t **data, size_t *length);
int sl_get_u32(napi_env env, napi_value value, const char *fn, const char *name, uint32_t **data, size_t *length);
int sl_get_f64(napi_env env, napi_value value, const char *fn, const char *name, double **data, size_t *length);
// Reads a number (any double).
int sl_get_double(napi_env env, napi_value value, const char *fn, const char *name, double *out);
// Throws a RangeError `<fn>: expected <what>, got <actual>` (printf-style actual).
void sl_range_error(napi_env env, const char *fn, const char *what, const char *actual_fmt, ...);
// Registers a function property on `exports`.
void sl_export(napi_env env, napi_value exports, const char *name, napi_callback cb);

#endif
