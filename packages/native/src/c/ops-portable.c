// The kernels of ops-kernels.c built for the target's baseline (SSE2 on x86-64, NEON on arm64); chosen at run time by ops.c.

#define SL_OPS_SUFFIX portable
#include "ops-kernels.c"

