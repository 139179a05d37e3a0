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

// Lines [p, p + floats) toward L2, for the next step's rows: the layers' gates are written over
// xProj (13 MB for W2, made by the projection before the loop) and the backward reads the
// forward's saved buffers in reverse step order, both from memory, where the hardware prefetchers
// do not cross from one step's rows to the next's. One row's lines per row of this step spreads
// them over the step's gate math; a burst of a whole step's lines at its start stalled on them
// instead. (A call of a function of prefetches alone is dropped as pure by GCC: inlined here.)
static inline __attribute__((always_inline)) void prefetch_floats(const float *p, int floats) {
  for (int i = 0; i < floats; i += 16) __builtin_prefetch(p + i, 0, 2);
}

// As lstm_forward(a, row, bs, k0, k1); the next step's first `next_bs` rows from row `next` on
// prefetched (next_bs 0: none), its gates (its xProj rows, or the copy's source) and its cells and
// cPrev rows, which the step writes.
static void lstm_forward_rows(const rec_args *a, int row, int bs, int k0, int k1, int next, int next_bs) {
  const int H = a->H, GH = 4 * H;
  const int kw = k0 + (k1 - k0) / SL_LANES * SL_LANES;
  float *const h_out = a->w_hr ? a->h_full_step : a->h;
  const float *const next_gates = a->gates == a->x_proj ? a->gates : a->x_proj;
  for (int j = 0; j < bs; j++) {
    if (j < next_bs) {
      prefetch_floats(next_gates + (size_t)(next + j) * GH, GH);
      prefetch_floats(a->cells + (size_t)(next + j) * H, H);
      prefetch_floats(a->c_prev + (size_t)(next + j) * H, H);
    }
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

// As lstm_backward(a, row, bs, k0, k1); the next step's (the previous time step's) first `next_bs`
// rows from row `next` on prefetched (next_bs 0: none): its gates, cells and cPrev rows.
static void lstm_backward_rows(const rec_args *a, int row, int bs, int k0, int k1, int next, int next_bs) {
  const int H = a->H, GH = 4 * H;
  const int kw = k0 + (k1 - k0) / SL_LANES * SL_LANES;
  const float *const dh_full = a->w_hr ? a->dh_step : a->dh;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int j = 0; j < bs; j++) {
    if (j < next_bs) {
      prefetch_floats(a->gates + (size_t)(next + j) * GH, GH);
      prefetch_floats(a->cells + (size_t)(next + j) * H, H);
      prefetch_floats(a->c_prev + (size_t)(next + j) * H, H);
    }
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
