// One product in a loop, as the binding's `gemm` runs it (B packed into a fresh buffer, then
// sl_gemm_packed), on one thread: something to hold still under `perf`, outside Node.
//
// From packages/native (the two vector kernels need their own -m flags, as binding.gyp gives them):
//
//   cc -O3 -g -Isrc/c -mavx512f -mavx512vl -mfma -c src/c/gemm-avx512.c -o /tmp/gemm-avx512.o
//   cc -O3 -g -Isrc/c -mavx2 -mfma -c src/c/gemm-avx2.c -o /tmp/gemm-avx2.o
//   cc -O3 -g -Isrc/c bench/gemm-loop.c src/c/gemm.c src/c/cpu.c src/c/pool.c src/c/gemm-scalar.c
//      /tmp/gemm-avx512.o /tmp/gemm-avx2.o -lpthread -o /tmp/gemm-loop
//   perf record -o /tmp/p.data /tmp/gemm-loop M N K transA transB calls
//   perf report -i /tmp/p.data --no-children --sort symbol
#include <stdio.h>
#include <stdlib.h>

#include "gemm.h"
#include "pool.h"

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: gemm-loop M N K transA transB calls\n");
    return 2;
  }
  const int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  const int transA = atoi(argv[4]), transB = atoi(argv[5]), calls = atoi(argv[6]);
  float *a = aligned_alloc(64, ((size_t)m * k * sizeof(float) + 63) / 64 * 64);
  float *b = aligned_alloc(64, ((size_t)k * n * sizeof(float) + 63) / 64 * 64);
  float *c = aligned_alloc(64, ((size_t)m * n * sizeof(float) + 63) / 64 * 64);
  if (!a || !b || !c) return 1;
  for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)(i % 7) - 3.0f;
  for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (float)(i % 5) - 2.0f;
  sl_pool_set_threads(1);
  for (int i = 0; i < calls; i++) {
    float *packed = aligned_alloc(64, (sl_packed_size(k, n) * sizeof(float) + 63) / 64 * 64);
    if (!packed) return 1;
    sl_pack_b(transB, k, n, b, packed);
    sl_gemm_packed(transA, m, n, k, a, packed, c, 0);
    free(packed);
  }
  printf("c[0] = %g\n", c[0]);
  return 0;
}
