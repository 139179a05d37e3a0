// The activations of activations.h over whole arrays, exported only so activations.test.ts can
// measure their error against float64 on millions of points; the cells inline activations.h.
#include "activations.h"
#include "kernels.h"

#define MAP(name, f)                                                            \
  EXPORT void name(int n, const float *src, float *dst) {                       \
    for (int i = 0; i < n; i += SL_LANES) store_n(dst + i, f(load_n(src + i, n - i)), n - i); \
  }

MAP(act_exp, v_exp)
MAP(act_sigmoid, v_sigmoid)
MAP(act_tanh, v_tanh)
