// The fused recurrence in wasm: one direction of one layer over the whole sequence in one call,
// the time loop of js/recurrent/loop.ts line for line (read that file first; the comments there
// hold here). recurrent.ts copies the sequence into the module's memory once, calls
// recurrent_forward or recurrent_backward, and copies the results out; W_hh is packed here once
// per call and stays in memory for every step's GEMM. Each cell's gate math is in the file named
// after it (lstm.c, gru.c, rnn.c), beside its js twin.
//
// Rows are time-major and a step's active sequences are its first batch_sizes[t] rows (see
// NOTE(packed-batch-sizes)); the working state of B rows carries h (and c) between steps. out and
// d_out alone may be batch-first or rows of a wider array (out_batch_stride, out_stride in kernels.h).
#include "kernels.h"

enum { LSTM = 0, GRU = 1, RNN_TANH = 2, RNN_RELU = 3 };

static int gate_count(int cell) { return cell == LSTM ? 4 : cell == GRU ? 3 : 1; }

// NOTE(zero-state-step) (js/recurrent/loop.ts): the first step's product from a zero state, +0 in
// every element, added to C [n] (or written, !acc), with the GEMM's bits.
static void add_zero(float *c, int n, int acc) {
  const v128_t zero = wasm_f32x4_splat(0);
  int k = 0;
  for (; k + SL_LANES <= n; k += SL_LANES)
    wasm_v128_store(c + k, acc ? wasm_f32x4_add(wasm_v128_load(c + k), zero) : zero);
  for (; k < n; k++) c[k] = acc ? c[k] + 0.0f : 0.0f;
}

// The rows of every step but the first visited one, the zero state's, [*r0, *r1).
static void state_rows(const rec_args *a, int *r0, int *r1) {
  *r0 = 0;
  *r1 = a->N;
  if (!a->zero_state || a->T == 0) return;
  if (a->reverse) *r1 = a->N - a->batch_sizes[a->T - 1];
  else *r0 = a->batch_sizes[0];
}

static void step_offsets(const rec_args *a) {
  int row = 0;
  for (int t = 0; t < a->T; t++) {
    a->offsets[t] = row;
    row += a->batch_sizes[t];
  }
}

// Where row r of step t's rows from time-major row `row` on sits in out and d_out: time-major row
// row + r, or batch-first (out_batch_stride S) row (row − offsets[t] + r) · S + t; rows out_stride
// floats apart (0: O).
static inline int out_index(const rec_args *a, int t, int row, int r) {
  const int R = a->out_stride ? a->out_stride : a->O;
  if (!a->out_batch_stride) return (row + r) * R;
  return ((row - a->offsets[t] + r) * a->out_batch_stride + t) * R;
}

// The units [k0, k1) of h's bs rows of step t into out, row by row (out_index): copied, or with
// out_stride written as 0 + h, the bits of the concatenation into zeros it replaces
// (NOTE(layout-bits) in @seqlab/tensor's ops/recurrent-layout.ts).
static void write_out(const rec_args *a, int t, int row, int bs, const float *h, int k0, int k1) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int r = 0; r < bs; r++) {
    float *o = a->out + out_index(a, t, row, r);
    const float *s = h + r * a->O;
    if (!a->out_stride) {
      copy_floats(o + k0, s + k0, k1 - k0);
      continue;
    }
    int k = k0;
    for (; k + SL_LANES <= k1; k += SL_LANES) wasm_v128_store(o + k, wasm_f32x4_add(zero, wasm_v128_load(s + k)));
    for (; k < k1; k++) o[k] = 0.0f + s[k];
  }
}

// dh += d_out over the units [k0, k1) of step t's bs rows (out_index); batch-first rows as 0 + g:
// the time-major path added the transposed gradient, 0 + g (NOTE(layout-bits)), so −0 is read as
// +0 as it was.
static void add_d_out(const rec_args *a, int t, int row, int bs, float *dh, int k0, int k1) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int r = 0; r < bs; r++) {
    const float *d = a->d_out + out_index(a, t, row, r);
    float *h = dh + r * a->O;
    int k = k0;
    if (a->out_batch_stride) {
      for (; k + SL_LANES <= k1; k += SL_LANES)
        wasm_v128_store(h + k, wasm_f32x4_add(wasm_v128_load(h + k), wasm_f32x4_add(zero, wasm_v128_load(d + k))));
      for (; k < k1; k++) h[k] += 0.0f + d[k];
    } else {
      for (; k + SL_LANES <= k1; k += SL_LANES)
        wasm_v128_store(h + k, wasm_f32x4_add(wasm_v128_load(h + k), wasm_v128_load(d + k)));
      for (; k < k1; k++) h[k] += d[k];
    }
  }
}

// xProj [N, G·H] (in gates, or x_proj for GRU), wHh [G·H, O], h [B, O] = h0, c [B, H] = c0
//   -> out [N, O], h = hN, c = cN, gates, h_prev, cells, c_prev, h_full, hh_n
EXPORT void recurrent_forward(const rec_args *a) {
  const int H = a->H, O = a->O, GH = gate_count(a->cell) * H, T = a->T;
  step_offsets(a);
  // The recurrent weights are constant over the steps: pack them for the GEMM once.
  pack_b(1, O, GH, a->w_hh, a->w_hh_packed);
  if (a->w_hr) pack_b(1, H, O, a->w_hr, a->w_hr_packed);
  for (int s = 0; s < T; s++) {
    const int t = a->reverse ? T - 1 - s : s;
    const int bs = a->batch_sizes[t], row = a->offsets[t];
    // h_prev rows ← working state; then the step's recurrent product h_{t−1} W_hhᵀ.
    copy_floats(a->h_prev + row * O, a->h, bs * O);
    const int zero = s == 0 && a->zero_state;
    if (a->cell == GRU) {
      if (a->b_hh)
        for (int j = 0; j < bs; j++) copy_floats(a->hh + j * GH, a->b_hh, GH);
      if (zero) add_zero(a->hh, bs * GH, a->b_hh != 0);
      else gemm_packed(bs, GH, O, a->h, a->w_hh_packed, a->hh, a->b_hh != 0);
      gru_forward(a, row, bs, 0, H);
    } else {
      if (zero) add_zero(a->gates + row * GH, bs * GH, 1);
      else gemm_packed(bs, GH, O, a->h, a->w_hh_packed, a->gates + row * GH, 1);
      if (a->cell == LSTM) lstm_forward(a, row, bs, 0, H);
      else rnn_forward(a, row, bs, 0, H, a->cell == RNN_RELU);
    }
    // Projected LSTM: h_t = hFull_t W_hrᵀ.
    if (a->w_hr) {
      copy_floats(a->h_full + row * H, a->h_full_step, bs * H);
      gemm_packed(bs, O, H, a->h_full_step, a->w_hr_packed, a->h, 0);
    }
    if (a->out_stride || a->out_batch_stride) write_out(a, t, row, bs, a->h, 0, O);
    else copy_floats(a->out + row * O, a->h, bs * O);
  }
}

// dW [m, n] += Aᵀ B over rows [r0, r1): A [N, m], B [N, n], through the two scratch buffers.
static void add_weight_gradient(const rec_args *a, int r0, int r1, int m, int n, const float *A, const float *B,
                                float *dw) {
  if (r1 <= r0) return;
  transpose(r1 - r0, m, A + r0 * m, a->scratch_a);
  pack_b(0, r1 - r0, n, B + r0 * n, a->scratch_b);
  gemm_packed(m, n, r1 - r0, a->scratch_a, a->scratch_b, dw, 1);
}

// Weight gradients over all steps at once: dW_hh += dgatesᵀ hPrev, db_hh += Σ rows, dW_hr += dhᵀ hFull.
// d_rec [N, G·H] is the gradient of the recurrent pre-activations of every row.
static void weight_gradients(const rec_args *a, const float *d_rec) {
  const int H = a->H, O = a->O, GH = gate_count(a->cell) * H;
  int r0, r1;
  state_rows(a, &r0, &r1);
  add_weight_gradient(a, r0, r1, GH, O, d_rec, a->h_prev, a->dw_hh);
  if (a->db_hh) {
    for (int r = 0; r < a->N; r++) {
      const float *d = d_rec + r * GH;
      int k = 0;
      for (; k + SL_LANES <= GH; k += SL_LANES)
        wasm_v128_store(a->db_hh + k, wasm_f32x4_add(wasm_v128_load(a->db_hh + k), wasm_v128_load(d + k)));
      for (; k < GH; k++) a->db_hh[k] += d[k];
    }
  }
  if (a->dw_hr) add_weight_gradient(a, 0, a->N, O, H, a->dh_rows, a->h_full, a->dw_hr);
}

// dOut [N, O], dh [B, O] = dhN, dc [B, H] = dcN -> dx_proj [N, G·H], dh = dh0, dc = dc0,
//   dw_hh += …, db_hh += …, dw_hr += …, dh_rows (the dhTrace), dc_trace
EXPORT void recurrent_backward(const rec_args *a) {
  const int H = a->H, O = a->O, GH = gate_count(a->cell) * H, T = a->T;
  step_offsets(a);
  pack_b(0, GH, O, a->w_hh, a->w_hh_packed);
  if (a->w_hr) pack_b(0, O, H, a->w_hr, a->w_hr_packed);
  // GRU: the gradient of the recurrent pre-activations differs from dxProj in its n part.
  float *d_rec = a->cell == GRU ? a->dhh : a->dx_proj;
  // Backward visits steps in the reverse of the forward's order.
  for (int s = T - 1; s >= 0; s--) {
    const int t = a->reverse ? T - 1 - s : s;
    const int bs = a->batch_sizes[t], row = a->offsets[t];
    // dh ← dL/dh_t in total: from the output at t plus what the next step sent back.
    if (a->d_out && (a->out_stride || a->out_batch_stride)) add_d_out(a, t, row, bs, a->dh, 0, O);
    else if (a->d_out) {
      const float *d = a->d_out + row * O;
      int k = 0;
      for (; k + SL_LANES <= bs * O; k += SL_LANES)
        wasm_v128_store(a->dh + k, wasm_f32x4_add(wasm_v128_load(a->dh + k), wasm_v128_load(d + k)));
      for (; k < bs * O; k++) a->dh[k] += d[k];
    }
    if (a->dh_rows) copy_floats(a->dh_rows + row * O, a->dh, bs * O);
    // Projection: h = hFull W_hrᵀ, so dhFull = dh W_hr.
    if (a->w_hr) gemm_packed(bs, H, O, a->dh, a->w_hr_packed, a->dh_step, 0);
    if (a->cell == LSTM) lstm_backward(a, row, bs, 0, H);
    else if (a->cell == GRU) gru_backward(a, row, bs, 0, H);
    else rnn_backward(a, row, bs, 0, H, a->cell == RNN_RELU);
    // dh_{t−1} (+)= dgates W_hh for the active rows (GRU keeps its direct path z ⊙ dh); from a
    // zero state no one reads dh0 (NOTE(zero-state-step)): left zero.
    if (s > 0 || !a->zero_state) gemm_packed(bs, O, GH, d_rec + row * GH, a->w_hh_packed, a->dh, a->cell == GRU);
    else for (int k = 0; k < a->B * O; k++) a->dh[k] = 0.0f;
  }
  weight_gradients(a, d_rec);
}
