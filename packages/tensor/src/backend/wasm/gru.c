// One GRU step over one vector of hidden units at a time (four lanes in wasm); the equations and the buffers are
// those of js/recurrent/gru.ts (read it beside this file), gates in PyTorch's order r, z, n, with
// ir, iz, inn the input projection and hr, hz, hn the recurrent one (h W_hhᵀ + b_hh, in hh):
//
//   r = σ(ir + hr)   z = σ(iz + hz)   n = tanh(inn + r ⊙ hn)   h1 = (1 − z) ⊙ n + z ⊙ h
//
//   dn = dh1 ⊙ (1 − z) ⊙ (1 − n²)   dz = dh1 ⊙ (h − n) ⊙ z(1 − z)   dr = dn ⊙ hn ⊙ r(1 − r)
//   d(ir, iz, inn) = (dr, dz, dn)   d(hr, hz, hn) = (dr, dz, dn ⊙ r)   dh = dh1 ⊙ z (+ the loop's GEMM)
//
// x_proj [N, 3H], hh [B, 3H], h [B, H] -> gates r, z, n [N, 3H], hh_n [N, H], h1 [B, H] (in place)
#include "activations.h"
#include "kernels.h"

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul

void gru_forward(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 3 * H;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    const float *x = a->x_proj + (row + j) * GH;
    const float *hh = a->hh + j * GH;
    float *g0 = a->gates + (row + j) * GH;
    float *hh_n = a->hh_n + (row + j) * H;
    float *h = a->h + j * H;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t r = v_sigmoid(ADD(load_n(x + k, w), load_n(hh + k, w)));
      const v128_t z = v_sigmoid(ADD(load_n(x + H + k, w), load_n(hh + H + k, w)));
      const v128_t hn = load_n(hh + 2 * H + k, w);
      const v128_t n = v_tanh(ADD(load_n(x + 2 * H + k, w), MUL(r, hn)));
      store_n(g0 + k, r, w);
      store_n(g0 + H + k, z, w);
      store_n(g0 + 2 * H + k, n, w);
      store_n(hh_n + k, hn, w);
      store_n(h + k, ADD(MUL(SUB(one, z), n), MUL(z, load_n(h + k, w))), w);
    }
  }
}

void gru_backward(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 3 * H;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    const float *g0 = a->gates + (row + j) * GH;
    const float *hn_row = a->hh_n + (row + j) * H, *hp = a->h_prev + (row + j) * H;
    float *dx = a->dx_proj + (row + j) * GH, *dhh = a->dhh + (row + j) * GH;
    float *dh = a->dh + j * H;
    for (int k = k0; k < k1; k += SL_LANES) {
      const int w = k1 - k;
      const v128_t r = load_n(g0 + k, w), z = load_n(g0 + H + k, w), n = load_n(g0 + 2 * H + k, w);
      const v128_t hn = load_n(hn_row + k, w), h = load_n(hp + k, w), dh1 = load_n(dh + k, w);
      const v128_t dn = MUL(MUL(dh1, SUB(one, z)), SUB(one, MUL(n, n)));
      const v128_t dz = MUL(MUL(MUL(dh1, SUB(h, n)), z), SUB(one, z));
      const v128_t dr = MUL(MUL(MUL(dn, hn), r), SUB(one, r));
      store_n(dx + k, dr, w);
      store_n(dx + H + k, dz, w);
      store_n(dx + 2 * H + k, dn, w);
      store_n(dhh + k, dr, w);
      store_n(dhh + H + k, dz, w);
      store_n(dhh + 2 * H + k, MUL(dn, r), w);
      store_n(dh + k, MUL(dh1, z), w);  // the direct path h_{t−1} → h_t
    }
  }
}
