// The recurrent step's product on 1 to 8 rows, as recurrent-steps.c runs it for a range of a packed
// batch whose active sequences shrink: h [R, 256] x W_hh (4 gates of [256, 256] packed gate by gate,
// 1 MB) added into gates [R, 1024] (sl_gemm_panels), one thread, the fastest of 7 rounds of 400
// calls, microseconds per call and GFLOP/s on the R rows. Outside Node, as gemm-loop.c.
//
// From packages/native (the two vector kernels need their own -m flags, as binding.gyp gives them):
//
//   cc -O3 -Isrc/c -mavx512f -mavx512vl -mfma -c src/c/gemm-avx512.c -o /tmp/gemm-avx512.o
//   cc -O3 -Isrc/c -mavx2 -mfma -c src/c/gemm-avx2.c -o /tmp/gemm-avx2.o
//   cc -O3 -Isrc/c bench/gemm-rows.c src/c/gemm.c src/c/cpu.c src/c/pool.c src/c/gemm-scalar.c
//      /tmp/gemm-avx512.o /tmp/gemm-avx2.o -lpthread -o /tmp/gemm-rows && /tmp/gemm-rows
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gemm.h"
#include "pool.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
  enum { H = 256, O = 256, G = 4, MAX_ROWS = 8, CALLS = 400, ROUNDS = 7 };
  sl_pool_set_threads(1);
  float *w = malloc(sizeof(float) * G * H * O), *h = malloc(sizeof(float) * MAX_ROWS * O);
  float *c = calloc((size_t)MAX_ROWS * G * H, sizeof(float));
  const size_t gate_stride = sl_packed_size(O, H);
  float *packed = aligned_alloc(64, gate_stride * G * sizeof(float));
  if (!w || !h || !c || !packed) return 1;
  for (int i = 0; i < G * H * O; i++) w[i] = (float)((i * 7) % 13) * 0.01f;
  for (int i = 0; i < MAX_ROWS * O; i++) h[i] = (float)((i * 3) % 11) * 0.01f;
  for (int g = 0; g < G; g++) sl_pack_b(1, O, H, w + (size_t)g * H * O, packed + g * gate_stride);
  const float *gates_b[G];
  float *gates_c[G];
  for (int g = 0; g < G; g++) {
    gates_b[g] = packed + g * gate_stride;
    gates_c[g] = c + g * H;
  }
  const int panels = (H + sl_gemm_active()->nr - 1) / sl_gemm_active()->nr;
  printf("isa %s\n", sl_gemm_active()->isa);
  for (int rows = 1; rows <= MAX_ROWS; rows++) {
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
      const double t0 = now_ns();
      for (int i = 0; i < CALLS; i++) sl_gemm_panels(rows, H, O, h, G, gates_b, 0, panels, gates_c, G * H, 1);
      const double ns = (now_ns() - t0) / CALLS;
      if (ns < best) best = ns;
    }
    printf("rows %d: %.1f us, %.1f GFLOP/s\n", rows, best / 1000, 2.0 * rows * O * G * H / best);
  }
  free(w);
  free(h);
  free(c);
  free(packed);
  return 0;
}
