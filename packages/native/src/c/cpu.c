// Runtime dispatch: the GEMM micro-kernel for the best instruction set this CPU runs, chosen
// once at load with __builtin_cpu_supports (each kernel sits in its own translation unit built
// with its own -m flags, so one binary runs on any x86-64). Other architectures take the portable
// kernel.
#include <stdio.h>
#include <string.h>

#include "gemm.h"

static const sl_gemm_isa *active = NULL;
static char reason[160];

static int supports(const sl_gemm_isa *isa) {
  if (isa == &sl_gemm_scalar) return 1;
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (isa == &sl_gemm_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == &sl_gemm_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
#endif
  return 0;
}

static void choose(void) {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  if (supports(&sl_gemm_avx512)) {
    active = &sl_gemm_avx512;
    snprintf(reason, sizeof reason, "the widest instruction set this build has");
  } else if (supports(&sl_gemm_avx2)) {
    active = &sl_gemm_avx2;
    snprintf(reason, sizeof reason, "this CPU has no AVX-512 (avx512f + avx512vl)");
  } else {
    active = &sl_gemm_scalar;
    snprintf(reason, sizeof reason, "this CPU has neither AVX-512 nor AVX2 + FMA");
  }
#else
  active = &sl_gemm_scalar;
  snprintf(reason, sizeof reason, "built for a CPU architecture without AVX kernels (portable C)");
#endif
}

const sl_gemm_isa *sl_gemm_active(void) {
  if (!active) choose();
  return active;
}

const char *sl_gemm_isa_reason(void) {
  if (!active) choose();
  return reason;
}

int sl_gemm_select(const char *name) {
  const sl_gemm_isa *all[] = {
#if defined(__x86_64__) || defined(_M_X64)
      &sl_gemm_avx512,
      &sl_gemm_avx2,
#endif
      &sl_gemm_scalar,
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (strcmp(all[i]->isa, name) == 0) {
      if (!supports(all[i])) return 0;
      active = all[i];
      snprintf(reason, sizeof reason, "selected by name");
      return 1;
    }
  }
  return 0;
}
