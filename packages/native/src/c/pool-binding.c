// The thread pool's JavaScript functions: threads() -> number, setThreads(n).
#include "napi-util.h"
#include "pool.h"

static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  SL_CALL(env, napi_create_int32(env, sl_pool_threads(), &out));
  return out;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int n;
  SL_CALL(env, napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  if (!sl_get_int(env, arg, "setThreads", "n", &n)) return NULL;
  if (n < 1 || n > 1024) {
    napi_throw_range_error(env, NULL, "setThreads: expected n in [1, 1024]");
    return NULL;
  }
  sl_pool_set_threads(n);
  return NULL;
}

napi_value sl_init_pool(napi_env env, napi_value exports) {
  sl_export(env, exports, "threads", js_threads);
  sl_export(env, exports, "setThreads", js_set_threads);
  return exports;
}
