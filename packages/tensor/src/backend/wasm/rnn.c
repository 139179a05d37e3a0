// One Elman RNN step, tanh or relu, over one vector (four lanes in wasm) at a time; the equations and the buffers are
// those of js/recurrent/rnn.ts (read it beside this file):
//
//   h1 = tanh(pre) or relu(pre)        dpre = dh1 ⊙ (1 − h1²) or dh1 ⊙ [h1 > 0]
//
// gates [N, H] (pre-activations in, h1 out) -> h [B, H]. relu passes NaN through as PyTorch does.
#include "activations.h"
#include "kernels.h"

void rnn_forward(const rec_args *a, int row, int bs, int k0, int k1, int relu) {
  const int H = a->H;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int j = 0; j < bs; j++) {
    float *g = a->gates + (row + j) * H, *h = a->h + j * H;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t v = load_n(g + k, w);
      // relu: v where v > 0 or v is NaN (v ≠ v), else 0.
      const v128_t keep = wasm_v128_or(wasm_f32x4_gt(v, zero), wasm_f32x4_ne(v, v));
      const v128_t h1 = relu ? wasm_v128_and(v, keep) : v_tanh(v);
      store_n(g + k, h1, w);
      store_n(h + k, h1, w);
    }
  }
}

void rnn_backward(const rec_args *a, int row, int bs, int k0, int k1, int relu) {
  const int H = a->H;
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    const float *g = a->gates + (row + j) * H, *dh = a->dh + j * H;
    float *dx = a->dx_proj + (row + j) * H;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t h1 = load_n(g + k, w), d1 = load_n(dh + k, w);
      const v128_t d = relu ? wasm_v128_and(d1, wasm_f32x4_gt(h1, zero))
                            : wasm_f32x4_mul(d1, wasm_f32x4_sub(one, wasm_f32x4_mul(h1, h1)));
      store_n(dx + k, d, w);
    }
  }
}
