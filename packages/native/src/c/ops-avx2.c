// The kernels of ops-kernels.c built for avx2 (binding.gyp gives this file its -m flags); chosen at run time by ops.c.
#if defined(__x86_64__) || defined(_M_X64)
#define SL_OPS_SUFFIX avx2
#include "ops-kernels.c"
#endif
