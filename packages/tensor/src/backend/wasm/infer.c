// The forward-only recurrence in wasm (the Backend's recurrentInferMany / recurrentInferInputMany,
// laid out by infer.ts): recurrent_forward's loop (recurrent.c) without what only a backward reads,
// and optionally with the input projection first, as `linear` makes it. Not compiled into the
// native addon, which has its own loop (packages/native/src/c/recurrent-infer.c) around the same
// LSTM row (lstm-infer.h).
//
// The same bits as recurrent_forward's out, hN and cN, and as linear's xProj: the projection is one
// gemm_packed on W_ih packed as the Backend's gemm packs it (pack_b, transposed), then each bias
// added in turn and rounded, as linear's addBiases does; the recurrence runs the same GEMM and, for
// LSTM, lstm_forward's expressions without its saves (i, f, g, o, c_{t−1}, c_t, h_{t−1}) in
// lstm_infer_row, which writes h_t into out itself. GRU and RNN run their cells as the forward
// does, into scratch nobody reads.
#include "kernels.h"
#include "lstm-infer.h"

enum { LSTM = 0, GRU = 1, RNN_RELU = 3 };

// The step's bs rows through lstm_infer_row: c and h in place, h_t also into out's rows.
static void lstm_infer(const rec_args *a, int row, int bs) {
  const int H = a->H;
  for (int j = 0; j < bs; j++)
    lstm_infer_row(H, a->gates + (row + j) * 4 * H, a->c + j * H, a->h + j * H, a->out + (row + j) * H);
}

// proj [N, GH] = x [N, I] W_ihᵀ, then + bias0, then + bias1 (each rounded; 0: none).
static void project(const rec_args *a, int GH, int I, const float *x, const float *w_ih,
                    float *w_ih_packed, const float *bias0, const float *bias1, float *proj) {
  pack_b(1, I, GH, w_ih, w_ih_packed);
  gemm_packed(a->N, GH, I, x, w_ih_packed, proj, 0);
  for (int b = 0; b < 2; b++) {
    const float *bias = b == 0 ? bias0 : bias1;
    if (!bias) continue;
    for (int r = 0; r < a->N; r++) {
      float *p = proj + r * GH;
      int k = 0;
      for (; k + SL_LANES <= GH; k += SL_LANES)
        wasm_v128_store(p + k, wasm_f32x4_add(wasm_v128_load(p + k), wasm_v128_load(bias + k)));
      for (; k < GH; k++) p[k] += bias[k];
    }
  }
}

// x == 0: xProj [N, G·H] is in gates (x_proj for GRU), as recurrent_forward takes it; else the
// layer's input x [N, I] and W_ih [G·H, I], and xProj is made there first. h [B, H] = h0,
// c [B, H] = c0 -> out [N, H], h = hN, c = cN.
EXPORT void recurrent_infer(const rec_args *a, int I, const float *x, const float *w_ih,
                            float *w_ih_packed, const float *bias0, const float *bias1) {
  const int H = a->H, GH = (a->cell == LSTM ? 4 : a->cell == GRU ? 3 : 1) * H, T = a->T;
  float *proj = a->cell == GRU ? (float *)a->x_proj : a->gates;
  if (x) project(a, GH, I, x, w_ih, w_ih_packed, bias0, bias1, proj);
  int row = 0;
  for (int t = 0; t < T; t++) {
    a->offsets[t] = row;
    row += a->batch_sizes[t];
  }
  pack_b(1, H, GH, a->w_hh, a->w_hh_packed);
  for (int s = 0; s < T; s++) {
    const int t = a->reverse ? T - 1 - s : s;
    const int bs = a->batch_sizes[t], r = a->offsets[t];
    if (a->cell == GRU) {
      if (a->b_hh)
        for (int j = 0; j < bs; j++) copy_floats(a->hh + j * GH, a->b_hh, GH);
      gemm_packed(bs, GH, H, a->h, a->w_hh_packed, a->hh, a->b_hh != 0);
      gru_forward(a, r, bs, 0, H);
    } else {
      gemm_packed(bs, GH, H, a->h, a->w_hh_packed, a->gates + r * GH, 1);
      if (a->cell == LSTM) {
        lstm_infer(a, r, bs);  // h_t into out too
        continue;
      }
      rnn_forward(a, r, bs, 0, H, a->cell == RNN_RELU);
    }
    copy_floats(a->out + r * H, a->h, bs * H);
  }
}
