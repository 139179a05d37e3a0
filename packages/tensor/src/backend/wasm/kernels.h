// What the C files of the wasm module share: the GEMM building blocks (gemm.c), the fused
// recurrence's arguments (recurrent.c, written by recurrent.ts) and each cell's step (lstm.c,
// gru.c, rnn.c). No libc: the module is built with -nostdlib (see tools/wasm/build.mjs).
#ifndef SEQLAB_KERNELS_H
#define SEQLAB_KERNELS_H

#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

// Floats per vector: 4 (one v128) in WebAssembly. The native addon compiles these sources through
// its own <wasm_simd128.h>, whose vectors may be wider (AVX2, AVX-512 builds) and which defines
// SL_LANES to match; every loop below and in the cells steps by it.
#ifndef SL_LANES
#define SL_LANES 4
#endif

// gemm.c: C[m, n] (+)= A[m, k] @ B with B as 4-column panels (pack_b's layout, the js packB's).
void gemm_packed(int m, int n, int k, const float *A, const float *B, float *C, int acc);
// dst[m, k] = src[k, m]ᵀ.
void transpose(int k, int m, const float *src, float *dst);
// op(B) [k, n] into 4-column panels, zero-padded: dst[(jb·k + p)·4 + t] = op(B)[p, jb·4 + t],
// with op(B) = B [k, n] row-major, or Bᵀ for B [n, k] when trans.
void pack_b(int trans, int k, int n, const float *src, float *dst);
// The number of floats pack_b writes.
static inline int packed_size(int k, int n) { return (n + 3) / 4 * 4 * k; }

// NOTE(wasm-recurrent-args): the arguments of recurrent_forward / recurrent_backward, one int32
// slot each, in this order; recurrent.ts writes them (ARG_SLOTS there lists the same names).
// Pointers are byte addresses in the module's memory, 0 for a buffer the call does not have.
// The forward's working state is where the caller put h0/c0 and where it reads hN/cN; for LSTM
// and RNN `gates` arrives holding xProj and the recurrent products are added into it in place.
typedef struct {
  int cell;  // 0 lstm, 1 gru, 2 rnn_tanh, 3 rnn_relu
  int H, O, B, T, N, reverse;
  const int *batch_sizes;  // [T]
  int *offsets;            // [T] scratch: the first row of each step
  // Weights: W_hh [G·H, O] and W_hr [O, H] as given, and room for their packed panels.
  const float *w_hh, *w_hr, *b_hh;
  float *w_hh_packed, *w_hr_packed;
  // Forward: xProj (GRU; the others read it from gates), the working state, outputs and saved buffers.
  const float *x_proj;
  float *h, *c, *h_full_step, *hh;
  float *out, *gates, *h_prev, *cells, *c_prev, *h_full, *hh_n;
  // Backward: gradients in (d_out may be 0), carried state (dh, dc: dhN/dcN in, dh0/dc0 out),
  // results (dw_* and db_hh accumulated into), traces and scratch.
  const float *d_out;
  float *dh, *dc, *dh_step, *dhh, *dh_rows, *dc_trace;
  float *dx_proj, *dw_hh, *db_hh, *dw_hr;
  float *scratch_a, *scratch_b;  // the weight gradients' transposed and packed operands
  // When not 0: out and d_out rows batch-first, batch row j of step t at row j · out_batch_stride + t
  // (RecurrentForwardArgs' outBatchStride), d_out read as 0 + g. recurrent.ts lays out this
  // module's out and d_out in the caller's row order (NOTE(wasm-out-rows)).
  int out_batch_stride;
  // When not 0: out and d_out rows that many floats apart (else O), out written as 0 + h
  // (RecurrentForwardArgs' outStride: the directions of a layer side by side, NOTE(layer-columns)).
  int out_stride;
  // RecurrentForwardArgs.zeroState: h0 and c0 are zeros the op made, which need no gradient
  // (NOTE(zero-state-step) in js/recurrent/loop.ts): the first visited step adds +0 for its
  // recurrent product, the backward leaves dh0 zero and dW_hh out of that step's hPrev rows.
  int zero_state;
} rec_args;

// One cell's gate math over the `bs` active rows of one step starting at row `row`, for the
// hidden units [k0, k1) (the loop passes 0, H; the native addon splits H over threads: every
// unit's math reads and writes only that unit's columns), forward and backward; the loop
// (recurrent.c) runs the GEMMs around them, as js/recurrent/loop.ts does.
void lstm_forward(const rec_args *a, int row, int bs, int k0, int k1);
void lstm_backward(const rec_args *a, int row, int bs, int k0, int k1);
void gru_forward(const rec_args *a, int row, int bs, int k0, int k1);
void gru_backward(const rec_args *a, int row, int bs, int k0, int k1);
void rnn_forward(const rec_args *a, int row, int bs, int k0, int k1, int relu);
void rnn_backward(const rec_args *a, int row, int bs, int k0, int k1, int relu);

// Loads and stores of n ≤ SL_LANES floats (the last, partial vector of a row); SL_LANES is one
// vector access.
static inline v128_t load_n(const float *p, int n) {
  if (n >= SL_LANES) return wasm_v128_load(p);
  float t[SL_LANES] = {0};
  for (int i = 0; i < n; i++) t[i] = p[i];
  return wasm_v128_load(t);
}

static inline void store_n(float *p, v128_t v, int n) {
  if (n >= SL_LANES) {
    wasm_v128_store(p, v);
    return;
  }
  float t[SL_LANES];
  wasm_v128_store(t, v);
  for (int i = 0; i < n; i++) p[i] = t[i];
}

static inline void copy_floats(float *dst, const float *src, int n) {
  int i = 0;
  for (; i + SL_LANES <= n; i += SL_LANES) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

#endif
