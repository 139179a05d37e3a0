// The thread pool's JavaScript functions: threads() -> number, setThreads(n); and the process's
// allocator policy, retainFreedMemory() -> boolean.
#if defined(__linux__)
#include <features.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// retainFreedMemory() -> whether glibc's malloc took the policy (false on other C libraries, where
// nothing changes). Arrays up to 32 MiB come from the heap instead of a mapping of their own, and
// up to 1 GiB of freed memory at the top of the heap is kept instead of handed back to the kernel.
// Why: V8 frees typed arrays in bursts, at a collection, long after their last use; glibc then
// unmaps or trims those megabytes, and the next steps' arrays are fresh pages, each faulted in
// and zeroed by the kernel on first touch (W2 inference ≈ 150 faults a step, W2 training 350–900:
// tools/bench/PROFILE.md). Process-wide, so it is the application's choice (registerNative's
// retainFreedMemory option); the price is a resident size that stays at its high-water mark.
#define RETAIN_MMAP_THRESHOLD (32 << 20)
#define RETAIN_TRIM_THRESHOLD (1 << 30)

static napi_value js_retain_freed_memory(napi_env env, napi_callback_info info) {
  (void)info;
  int ok = 0;
#if defined(__GLIBC__)
  // Both: setting either turns off glibc's own adjustment of the other.
  ok = mallopt(M_MMAP_THRESHOLD, RETAIN_MMAP_THRESHOLD) == 1 && mallopt(M_TRIM_THRESHOLD, RETAIN_TRIM_THRESHOLD) == 1;
#endif
  napi_value out;
  SL_CALL(env, napi_get_boolean(env, ok, &out));
  return out;
}

napi_value sl_init_pool(napi_env env, napi_value exports) {
  sl_export(env, exports, "threads", js_threads);
  sl_export(env, exports, "setThreads", js_set_threads);
  sl_export(env, exports, "retainFreedMemory", js_retain_freed_memory);
  return exports;
}
