// Runtime dispatch of ops.h: the table built for the GEMM's active instruction set (cpu.c), so
// `setIsa` switches the GEMM and these kernels together.
#include <string.h>

#include "gemm.h"
#include "ops.h"

const sl_ops_table *sl_ops_active(void) {
#if defined(__x86_64__) || defined(_M_X64)
  const char *isa = sl_gemm_active()->isa;
  if (strcmp(isa, "avx512") == 0) return &sl_ops_avx512;
  if (strcmp(isa, "avx2") == 0) return &sl_ops_avx2;
#endif
  return &sl_ops_portable;
}
