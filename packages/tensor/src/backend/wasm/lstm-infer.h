// The LSTM cell of the forward-only paths, one row of a step: lstm_forward's expressions (lstm.c),
// so the same bits, keeping only what inference reads. lstm_forward also stores i, f, g, o,
// c_{t−1} and c_t for a backward; here c_t goes into the state and h_t into the state and the
// output row, and nothing else is written. Included by infer.c (the wasm module) and by the native
// addon's recurrent-infer.c, each with its own activations and vector width (SL_LANES).
#ifndef SEQLAB_LSTM_INFER_H
#define SEQLAB_LSTM_INFER_H

#include "activations.h"
#include "kernels.h"

// v's value as rounded, kept from fusing into the add that reads it: an empty asm that the compiler
// must assume changes v, so the multiply that made v has no add to contract into (GCC forms a
// fused multiply-add only where a product's add follows it in the same basic block). See
// lstm_infer_row.
#if defined(__wasm__)
#define SL_ROUNDED(v) ((void)0)  // wasm SIMD has no fused multiply-add: nothing to keep apart
#elif defined(__x86_64__) || defined(__i386__)
#define SL_ROUNDED(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define SL_ROUNDED(v) __asm__("" : "+w"(v))
#else
#define SL_ROUNDED(v)                                                                                  \
  do {                                                                                                 \
    volatile v128_t sl_rounded_ = (v);                                                                 \
    (v) = sl_rounded_;                                                                                 \
  } while (0)
#endif

// gates: the row's pre-activations [4H] (i, f, g, o; read only); c: its cell state [H], c_{t−1}
// in and c_t out; h [H] (the state the next step's product reads) and out [H] get h_t.
//
// Whole vectors go through plain loads and stores, the last partial one through load_n/store_n.
// The bits are lstm_forward's: in the native build, load_n's branch (and its out-of-line copy,
// around which every live vector was spilled to the stack) put i·g before a block boundary and
// f·c_{t−1} after it, so GCC fuses only the latter into the add (fma(f, c_{t−1}, round(i·g)));
// without the branch it would fuse i·g instead, so SL_ROUNDED keeps i·g a rounded product. Every
// other product and sum is in one block in both. The native recurrent-infer.test.ts compares
// every output with the training forward's, bit for bit, on each instruction set; the whole
// vectors cut W2's layer call by ≈ 4% (PROFILE.md).
static inline void lstm_infer_row(int H, const float *gates, float *c, float *h, float *out) {
  int k = 0;
  for (; k + SL_LANES <= H; k += SL_LANES) {
    const v128_t i = v_sigmoid(wasm_v128_load(gates + k));
    const v128_t f = v_sigmoid(wasm_v128_load(gates + H + k));
    const v128_t g = v_tanh(wasm_v128_load(gates + 2 * H + k));
    const v128_t o = v_sigmoid(wasm_v128_load(gates + 3 * H + k));
    v128_t ig = wasm_f32x4_mul(i, g);
    SL_ROUNDED(ig);
    const v128_t c1 = wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(c + k)), ig);
    wasm_v128_store(c + k, c1);
    const v128_t h1 = wasm_f32x4_mul(o, v_tanh(c1));
    wasm_v128_store(h + k, h1);
    wasm_v128_store(out + k, h1);
  }
  for (; k < H; k += SL_LANES) {
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
