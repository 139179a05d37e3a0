// The LSTM cell of the forward-only paths, one row of a step: lstm_forward's expressions (lstm.c),
// so the same bits, keeping only what inference reads. lstm_forward also stores i, f, g, o,
// c_{t−1} and c_t for a backward; here c_t goes into the state and h_t into the state and the
// output row, and nothing else is written. Included by infer.c (the wasm module) and by the native
// addon's recurrent-infer.c, each with its own activations and vector width (SL_LANES).
#ifndef SEQLAB_LSTM_INFER_H
#define SEQLAB_LSTM_INFER_H

#include "activations.h"
#include "kernels.h"

// gates: the row's pre-activations [4H] (i, f, g, o; read only); c: its cell state [H], c_{t−1}
// in and c_t out; h [H] (the state the next step's product reads) and out [H] get h_t.
static inline void lstm_infer_row(int H, const float *gates, float *c, float *h, float *out) {
  for (int k = 0; k < H; k += SL_LANES) {
    const int w = H - k;
    const v128_t i = v_sigmoid(load_n(gates + k, w));
    const v128_t f = v_sigmoid(load_n(gates + H + k, w));
    const v128_t g = v_tanh(load_n(gates + 2 * H + k, w));
    const v128_t o = v_sigmoid(load_n(gates + 3 * H + k, w));
    const v128_t c1 = wasm_f32x4_add(wasm_f32x4_mul(f, load_n(c + k, w)), wasm_f32x4_mul(i, g));
    store_n(c + k, c1, w);
    const v128_t h1 = wasm_f32x4_mul(o, v_tanh(c1));
    store_n(h + k, h1, w);
    store_n(out + k, h1, w);
  }
}

#endif
