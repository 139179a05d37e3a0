// The forward-only time loop (recurrentInferMany): what recurrent-steps.c's forward computes for
// out, hN and cN, element for element (the same GEMM micro-kernel and the same cells), without the
// buffers a backward reads: no copy of xProj into the gates (the products are added into xProj in
// place), no hPrev rows, no cell states per row, and out written through its row stride, so a
// bidirectional layer's two directions land in their halves of the concatenated output. Included
// by recurrent-portable.c, recurrent-avx2.c and recurrent-avx512.c after recurrent-steps.c, whose
// helpers (step_time, gate_count, step_offsets) it uses.
//
// Threads split the batch, not the steps: the rows of a batch never mix (the step's product and
// the gate math are row by row), so a range of rows runs the whole sequence on one thread with no
// barrier per step, and each element is computed by the same instructions whatever the split (the
// results are the same bits for every thread count). recurrent-binding.c gives each direction
// threads / directions ranges of at least one micro-kernel block of rows.
#include "recurrent-infer.h"

// Rows [r0, r1) of the batch over the whole sequence, on the calling thread. W_hh must be packed
// gate by gate (recurrent_infer_pack). The saved-buffer scratch (cells, c_prev, hh_n, hh) is
// indexed by batch row, so ranges never share any of it.
void recurrent_infer_rows(const infer_args *ia, int r0, int r1) {
  const rec_args *a = &ia->a;
  const int H = a->H, T = a->T, G = gate_count(a->cell), GH = G * H;
  const int panels = (H + sl_gemm_active()->nr - 1) / sl_gemm_active()->nr;
  const size_t gate_stride = sl_packed_size(H, H);
  const float *packed[4];
  for (int g = 0; g < G; g++) packed[g] = a->w_hh_packed + g * gate_stride;
  // The cells see this range's first row as their row 0 of the state and of the scratch.
  rec_args s = *a;
  s.h = a->h + (size_t)r0 * H;
  if (a->c) s.c = a->c + (size_t)r0 * H;
  if (a->cells) s.cells = a->cells + (size_t)r0 * H;
  if (a->c_prev) s.c_prev = a->c_prev + (size_t)r0 * H;
  if (a->hh_n) s.hh_n = a->hh_n + (size_t)r0 * H;
  if (a->hh) s.hh = a->hh + (size_t)r0 * GH;
  for (int step = 0; step < T; step++) {
    const int t = step_time(a, step);
    const int bs = (a->batch_sizes[t] < r1 ? a->batch_sizes[t] : r1) - r0;
    if (bs <= 0) continue;
    const size_t row = (size_t)a->offsets[t] + r0;
    // The step's rows as row 0 of the gates (the saved buffers are one step of scratch).
    s.gates = a->gates + row * GH;
    if (a->x_proj) s.x_proj = a->x_proj + row * GH;
    float *c[4];
    float *const into = a->cell == GRU ? s.hh : s.gates;
    for (int g = 0; g < G; g++) c[g] = into + g * H;
    if (a->cell == GRU) {
      if (a->b_hh)
        for (int j = 0; j < bs; j++) copy_floats(s.hh + j * GH, a->b_hh, GH);
      sl_gemm_panels(bs, H, H, s.h, 3, packed, 0, panels, c, GH, a->b_hh != 0);
      gru_forward(&s, 0, bs, 0, H);
    } else {
      sl_gemm_panels(bs, H, H, s.h, G, packed, 0, panels, c, GH, 1);
      if (a->cell == LSTM) lstm_forward(&s, 0, bs, 0, H);
      else rnn_forward(&s, 0, bs, 0, H, a->cell == RNN_RELU);
    }
    for (int j = 0; j < bs; j++) copy_floats(ia->out + (row + j) * ia->out_stride, s.h + j * H, H);
  }
}

// The step offsets and W_hh [G·H, H] packed gate by gate (gate g is op(B) = W_hh[gH : (g+1)H]ᵀ),
// once per call before any range runs.
void recurrent_infer_pack(const infer_args *ia) {
  const rec_args *a = &ia->a;
  const int H = a->H;
  const size_t gate_stride = sl_packed_size(H, H);
  step_offsets(a);
  for (int g = 0; g < gate_count(a->cell); g++)
    sl_pack_b(1, H, H, a->w_hh + (size_t)g * H * H, a->w_hh_packed + g * gate_stride);
}
