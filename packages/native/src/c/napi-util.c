#include "napi-util.h"

#include <stdarg.h>
#include <stdio.h>

void sl_throw_pending(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, what);
}

static void type_error(napi_env env, const char *fn, const char *name, const char *expected) {
  char message[200];
  snprintf(message, sizeof message, "%s: expected %s %s", fn, name, expected);
  napi_throw_type_error(env, NULL, message);
}

int sl_get_int(napi_env env, napi_value value, const char *fn, const char *name, int *out) {
  int32_t v;
  if (napi_get_value_int32(env, value, &v) != napi_ok) {
    type_error(env, fn, name, "to be a number");
    return 0;
  }
  *out = v;
  return 1;
}

int sl_get_bool(napi_env env, napi_value value, const char *fn, const char *name, int *out) {
  bool v;
  if (napi_get_value_bool(env, value, &v) != napi_ok) {
    type_error(env, fn, name, "to be a boolean");
    return 0;
  }
  *out = v ? 1 : 0;
  return 1;
}

int sl_get_f32(napi_env env, napi_value value, const char *fn, const char *name, float **data,
               size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    type_error(env, fn, name, "to be a Float32Array");
    return 0;
  }
  *data = (float *)raw;
  return 1;
}

static int get_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != want)
    return 0;
  *data = raw;
  return 1;
}

int sl_get_i32(napi_env env, napi_value value, const char *fn, const char *name, int32_t **data, size_t *length) {
  if (get_typed(env, value, napi_int32_array, (void **)data, length)) return 1;
  type_error(env, fn, name, "to be an Int32Array");
  return 0;
}

int sl_get_u32(napi_env env, napi_value value, const char *fn, const char *name, uint32_t **data, size_t *length) {
  if (get_typed(env, value, napi_uint32_array, (void **)data, length)) return 1;
  type_error(env, fn, name, "to be a Uint32Array");
  return 0;
}

int sl_get_f64(napi_env env, napi_value value, const char *fn, const char *name, double **data, size_t *length) {
  if (get_typed(env, value, napi_float64_array, (void **)data, length)) return 1;
  type_error(env, fn, name, "to be a Float64Array");
  return 0;
}

int sl_get_double(napi_env env, napi_value value, const char *fn, const char *name, double *out) {
  if (napi_get_value_double(env, value, out) == napi_ok) return 1;
  type_error(env, fn, name, "to be a number");
  return 0;
}

void sl_range_error(napi_env env, const char *fn, const char *what, const char *actual_fmt, ...) {
  char actual[160], message[360];
  va_list args;
  va_start(args, actual_fmt);
  vsnprintf(actual, sizeof actual, actual_fmt, args);
  va_end(args);
  snprintf(message, sizeof message, "%s: expected %s, got %s", fn, what, actual);
  napi_throw_range_error(env, NULL, message);
}

void sl_export(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}
