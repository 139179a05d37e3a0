// One LSTM step over one vector of hidden units at a time (four lanes in wasm); the equations and the buffers are
// those of js/recurrent/lstm.ts (read it beside this file), gates in PyTorch's order i, f, g, o:
//
//   i = σ(gi)   f = σ(gf)   g = tanh(gg)   o = σ(go)   c1 = f ⊙ c + i ⊙ g   h1 = o ⊙ tanh(c1)
//
//   dc1 = dc + dh1 ⊙ o ⊙ (1 − tanh²(c1))   dc = dc1 ⊙ f
//   di = dc1 ⊙ g ⊙ i(1 − i)   df = dc1 ⊙ c ⊙ f(1 − f)   dg = dc1 ⊙ i ⊙ (1 − g²)   do = dh1 ⊙ tanh(c1) ⊙ o(1 − o)
//
// gates [N, 4H] (pre-activations in, i, f, g, o out), c [B, H] -> cells, c_prev [N, H], h1 [B, H]
// (into h, or h_full_step before a projection). Float32 throughout, where the js kernel rounds
// float64 intermediates; activations.h bounds the difference.
#include "activations.h"
#include "kernels.h"

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul

void lstm_forward(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 4 * H;
  float *h_out = a->w_hr ? a->h_full_step : a->h;
  for (int j = 0; j < bs; j++) {
    float *g0 = a->gates + (row + j) * GH;
    float *c = a->c + j * H;
    float *cells = a->cells + (row + j) * H, *c_prev = a->c_prev + (row + j) * H;
    float *h = h_out + j * H;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t i = v_sigmoid(load_n(g0 + k, w));
      const v128_t f = v_sigmoid(load_n(g0 + H + k, w));
      const v128_t g = v_tanh(load_n(g0 + 2 * H + k, w));
      const v128_t o = v_sigmoid(load_n(g0 + 3 * H + k, w));
      store_n(g0 + k, i, w);
      store_n(g0 + H + k, f, w);
      store_n(g0 + 2 * H + k, g, w);
      store_n(g0 + 3 * H + k, o, w);
      const v128_t cp = load_n(c + k, w);
      const v128_t c1 = ADD(MUL(f, cp), MUL(i, g));
      store_n(c_prev + k, cp, w);
      store_n(cells + k, c1, w);
      store_n(c + k, c1, w);
      store_n(h + k, MUL(o, v_tanh(c1)), w);
    }
  }
}

void lstm_backward(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 4 * H;
  const float *dh_full = a->w_hr ? a->dh_step : a->dh;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    const float *g0 = a->gates + (row + j) * GH;
    float *dx = a->dx_proj + (row + j) * GH;
    const float *cells = a->cells + (row + j) * H, *c_prev = a->c_prev + (row + j) * H;
    float *dc = a->dc + j * H;
    const float *dh = dh_full + j * H;
    float *trace = a->dc_trace ? a->dc_trace + (row + j) * H : 0;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t i = load_n(g0 + k, w), f = load_n(g0 + H + k, w);
      const v128_t g = load_n(g0 + 2 * H + k, w), o = load_n(g0 + 3 * H + k, w);
      const v128_t c = load_n(c_prev + k, w);
      const v128_t tc1 = v_tanh(load_n(cells + k, w));
      const v128_t dh1 = load_n(dh + k, w);
      const v128_t dc1 = ADD(load_n(dc + k, w), MUL(MUL(dh1, o), SUB(one, MUL(tc1, tc1))));
      if (trace) store_n(trace + k, dc1, w);
      store_n(dx + k, MUL(MUL(MUL(dc1, g), i), SUB(one, i)), w);
      store_n(dx + H + k, MUL(MUL(MUL(dc1, c), f), SUB(one, f)), w);
      store_n(dx + 2 * H + k, MUL(MUL(dc1, i), SUB(one, MUL(g, g))), w);
      store_n(dx + 3 * H + k, MUL(MUL(MUL(dh1, tc1), o), SUB(one, o)), w);
      store_n(dc + k, MUL(dc1, f), w);
    }
  }
}
