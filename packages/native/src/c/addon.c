// The addon's entry: one init function per binding file, each adding its functions to `exports`.
// A new kernel file adds its `sl_init_<name>` here and to binding.gyp.
#include "napi-util.h"

napi_value sl_init_gemm(napi_env env, napi_value exports);
napi_value sl_init_pool(napi_env env, napi_value exports);
napi_value sl_init_recurrent(napi_env env, napi_value exports);
napi_value sl_init_ops(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  sl_init_gemm(env, exports);
  sl_init_pool(env, exports);
  sl_init_recurrent(env, exports);
  sl_init_ops(env, exports);
  return exports;
}
