// The LSTM cell of the native training loops (recurrent-steps.c): lstm.c's lstm_forward and
// lstm_backward, the same expressions and the same bits, with a row's whole vectors of hidden
// units through plain loads and stores; the last partial vector, if any, is lstm.c's own call.
// lstm.c reads and writes every vector through load_n/store_n, whose branch (and out-of-line copy)
// split each iteration into basic blocks around which GCC kept the loop's pointers and live vectors
// on the stack: a third of lstm_backward's samples were those reloads (perf annotate, W2).
// Included by recurrent-steps.c in each instruction set's build (static: no renaming needed).
//
// The bits: GCC contracts a product into the add or subtract that uses it only within one basic
// block, so the branches decided which products lstm.c's native build fuses. Forward, i·g comes
// before the block boundary of c_{t−1}'s load_n and f·c_{t−1} after it, so c_t is
// fma(f, c_{t−1}, round(i·g)) there: SL_ROUNDED (lstm-infer.h) keeps i·g a rounded product here,
// as lstm_infer_row does. Backward, every product that can fuse has one use, an add or subtract in
// its own block in both (1 − tanh²(c_t), 1 − g², and dc + (dh·o)(1 − tanh²(c_t))); the others
// only feed products. bench/train-ab.ts compares every saved buffer and gradient with another
// build's (0 floats differ against the build before this file), and the native recurrent tests
// compare the training forward with the forward-only cell bit for bit.
#ifndef SEQLAB_LSTM_TRAIN_H
#define SEQLAB_LSTM_TRAIN_H

#include "lstm-infer.h"

// As lstm_forward(a, row, bs, k0, k1).
static void lstm_forward_rows(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 4 * H;
  const int kw = k0 + (k1 - k0) / SL_LANES * SL_LANES;
  float *const h_out = a->w_hr ? a->h_full_step : a->h;
  for (int j = 0; j < bs; j++) {
    float *const g0 = a->gates + (size_t)(row + j) * GH;
    float *const c = a->c + (size_t)j * H;
    float *const cells = a->cells + (size_t)(row + j) * H, *const c_prev = a->c_prev + (size_t)(row + j) * H;
    float *const h = h_out + (size_t)j * H;
    for (int k = k0; k < kw; k += SL_LANES) {
      const v128_t i = v_sigmoid(wasm_v128_load(g0 + k));
      const v128_t f = v_sigmoid(wasm_v128_load(g0 + H + k));
      const v128_t g = v_tanh(wasm_v128_load(g0 + 2 * H + k));
      const v128_t o = v_sigmoid(wasm_v128_load(g0 + 3 * H + k));
      wasm_v128_store(g0 + k, i);
      wasm_v128_store(g0 + H + k, f);
      wasm_v128_store(g0 + 2 * H + k, g);
      wasm_v128_store(g0 + 3 * H + k, o);
      const v128_t cp = wasm_v128_load(c + k);
      v128_t ig = wasm_f32x4_mul(i, g);
      SL_ROUNDED(ig);
      const v128_t c1 = wasm_f32x4_add(wasm_f32x4_mul(f, cp), ig);
      wasm_v128_store(c_prev + k, cp);
      wasm_v128_store(cells + k, c1);
      wasm_v128_store(c + k, c1);
      wasm_v128_store(h + k, wasm_f32x4_mul(o, v_tanh(c1)));
    }
  }
  if (kw < k1) lstm_forward(a, row, bs, kw, k1);
}

// As lstm_backward(a, row, bs, k0, k1).
static void lstm_backward_rows(const rec_args *a, int row, int bs, int k0, int k1) {
  const int H = a->H, GH = 4 * H;
  const int kw = k0 + (k1 - k0) / SL_LANES * SL_LANES;
  const float *const dh_full = a->w_hr ? a->dh_step : a->dh;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    const float *const g0 = a->gates + (size_t)(row + j) * GH;
    float *const dx = a->dx_proj + (size_t)(row + j) * GH;
    const float *const cells = a->cells + (size_t)(row + j) * H, *const c_prev = a->c_prev + (size_t)(row + j) * H;
    float *const dc = a->dc + (size_t)j * H;
    const float *const dh = dh_full + (size_t)j * H;
    float *const trace = a->dc_trace ? a->dc_trace + (size_t)(row + j) * H : 0;
    for (int k = k0; k < kw; k += SL_LANES) {
      const v128_t i = wasm_v128_load(g0 + k), f = wasm_v128_load(g0 + H + k);
      const v128_t g = wasm_v128_load(g0 + 2 * H + k), o = wasm_v128_load(g0 + 3 * H + k);
      const v128_t c = wasm_v128_load(c_prev + k);
      const v128_t tc1 = v_tanh(wasm_v128_load(cells + k));
      const v128_t dh1 = wasm_v128_load(dh + k);
      const v128_t dc1 = wasm_f32x4_add(
          wasm_v128_load(dc + k),
          wasm_f32x4_mul(wasm_f32x4_mul(dh1, o), wasm_f32x4_sub(one, wasm_f32x4_mul(tc1, tc1))));
      if (trace) wasm_v128_store(trace + k, dc1);
      wasm_v128_store(dx + k, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc1, g), i), wasm_f32x4_sub(one, i)));
      wasm_v128_store(dx + H + k, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc1, c), f), wasm_f32x4_sub(one, f)));
      wasm_v128_store(dx + 2 * H + k,
                      wasm_f32x4_mul(wasm_f32x4_mul(dc1, i), wasm_f32x4_sub(one, wasm_f32x4_mul(g, g))));
      wasm_v128_store(dx + 3 * H + k,
                      wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dh1, tc1), o), wasm_f32x4_sub(one, o)));
      wasm_v128_store(dc + k, wasm_f32x4_mul(dc1, f));
    }
  }
  if (kw < k1) lstm_backward(a, row, bs, kw, k1);
}

#endif
