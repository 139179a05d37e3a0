// One Elman RNN step, tanh or relu, over four lanes at a time; the equations and the buffers are
// those of js/recurrent/rnn.ts (read it beside this file):
//
//   h1 = tanh(pre) or relu(pre)        dpre = dh1 ⊙ (1 − h1²) or dh1 ⊙ [h1 > 0]
//
// gates [N, H] (pre-activations in, h1 out) -> h [B, H]. relu passes NaN through as PyTorch does.
#include "activations.h"
#include "kernels.h"

void rnn_forward(const rec_args *a, int row, int bs, int relu) {
  const int n = bs * a->H;
  float *g = a->gates + row * a->H;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < n; k += 4) {
    const int w = n - k;
    const v128_t v = load_n(g + k, w);
    // relu: v where v > 0 or v is NaN (v ≠ v), else 0.
    const v128_t keep = wasm_v128_or(wasm_f32x4_gt(v, zero), wasm_f32x4_ne(v, v));
    const v128_t h1 = relu ? wasm_v128_and(v, keep) : v_tanh(v);
    store_n(g + k, h1, w);
    store_n(a->h + k, h1, w);
  }
}

void rnn_backward(const rec_args *a, int row, int bs, int relu) {
  const int n = bs * a->H;
  const float *g = a->gates + row * a->H;
  float *dx = a->dx_proj + row * a->H;
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int k = 0; k < n; k += 4) {
    const int w = n - k;
    const v128_t h1 = load_n(g + k, w), dh = load_n(a->dh + k, w);
    const v128_t d = relu ? wasm_v128_and(dh, wasm_f32x4_gt(h1, zero)) : wasm_f32x4_mul(dh, wasm_f32x4_sub(one, wasm_f32x4_mul(h1, h1)));
    store_n(dx + k, d, w);
  }
}
