// The forward-only time loop (recurrentInferMany): what recurrent-steps.c's forward computes for
// out, hN and cN, element for element (the same GEMM panels and the same cells), without the
// buffers a backward reads. No copy of xProj into the gates (the products are added into xProj in
// place), no hPrev rows, no cell states per row, and out written through its row stride, so a
// bidirectional layer's two directions land in their halves of the concatenated output. Included
// by recurrent-portable.c, recurrent-avx2.c and recurrent-avx512.c after recurrent-steps.c, whose
// helpers (step_time, copy_units) it uses.
//
// A step splits over the pool by slices of hidden units, as recurrent-steps.c's do, only when its
// product is big enough to pay for the barrier (INFER_SPLIT_FLOPS, measured); then the step's A
// operand is a copy of h_{t−1} (h_bufs), since the working state is overwritten by the other
// slices. On one thread the GEMM reads the working state itself.
#include "recurrent-infer.h"

// A step's product under this many flops runs on one thread. Measured with `seqlab bench speed
// --mode infer` on 2 cores: W2's [64, 128] x [128, 512] step (8.4 MFLOP) runs faster whole than
// split in two with a barrier per step.
#ifndef INFER_SPLIT_FLOPS
#define INFER_SPLIT_FLOPS (16.0 * 1024 * 1024)
#endif

typedef struct {
  const infer_args *ia;
  int G, GH, nr, panels, slices;
  size_t gate_stride;
  int step;
  const float *h_in;  // the step's A operand [B, H]
  float *h_next;      // where slices copy their units of h_t for the next step (NULL: one slice)
} infer_job;

static void infer_slice(void *ctx, int slice) {
  const infer_job *j = ctx;
  const infer_args *ia = j->ia;
  const rec_args *a = &ia->a;
  const int H = a->H, GH = j->GH;
  const int base = j->panels / j->slices, extra = j->panels % j->slices;
  const int p0 = slice * base + (slice < extra ? slice : extra);
  const int p1 = p0 + base + (slice < extra ? 1 : 0);
  if (p0 >= p1) return;
  const int k0 = p0 * j->nr, k1 = p1 * j->nr < H ? p1 * j->nr : H;
  const int t = step_time(a, j->step);
  const int bs = a->batch_sizes[t], row = a->offsets[t];
  // This step's rows as row 0 of the cells' arguments: the saved buffers are one step of scratch.
  rec_args s = *a;
  s.gates = a->gates + (size_t)row * GH;
  if (a->x_proj) s.x_proj = a->x_proj + (size_t)row * GH;
  const float *packed[4];
  float *c[4];
  float *const into = a->cell == GRU ? a->hh : s.gates;
  for (int g = 0; g < j->G; g++) {
    packed[g] = a->w_hh_packed + g * j->gate_stride;
    c[g] = into + g * H;
  }
  if (a->cell == GRU) {
    if (a->b_hh)
      for (int g = 0; g < 3; g++)
        for (int r = 0; r < bs; r++) copy_floats(c[g] + r * GH + k0, a->b_hh + g * H + k0, k1 - k0);
    sl_gemm_panels(bs, H, H, j->h_in, 3, packed, p0, p1, c, GH, a->b_hh != 0);
    gru_forward(&s, 0, bs, k0, k1);
  } else {
    sl_gemm_panels(bs, H, H, j->h_in, j->G, packed, p0, p1, c, GH, 1);
    if (a->cell == LSTM) lstm_forward(&s, 0, bs, k0, k1);
    else rnn_forward(&s, 0, bs, k0, k1, a->cell == RNN_RELU);
  }
  for (int r = 0; r < bs; r++) copy_floats(ia->out + (size_t)(row + r) * ia->out_stride + k0, a->h + r * H + k0, k1 - k0);
  if (j->h_next && j->step + 1 < a->T) copy_units(j->h_next, a->h, a->batch_sizes[step_time(a, j->step + 1)], H, k0, k1);
}

// Forward only over the whole sequence; `threads` is how many threads the steps may split over.
void recurrent_infer_steps(const infer_args *ia, int threads) {
  const rec_args *a = &ia->a;
  const int H = a->H, T = a->T;
  infer_job j = {ia, gate_count(a->cell), gate_count(a->cell) * H, sl_gemm_active()->nr, 0, 1, 0, 0, a->h, NULL};
  j.panels = (H + j.nr - 1) / j.nr;
  j.gate_stride = sl_packed_size(H, H);
  step_offsets(a);
  for (int g = 0; g < j.G; g++) sl_pack_b(1, H, H, a->w_hh + (size_t)g * H * H, a->w_hh_packed + g * j.gate_stride);
  int cur = 0;
  for (int s = 0; s < T; s++) {
    const int bs = a->batch_sizes[step_time(a, s)];
    const int split = threads >= 2 && 2.0 * bs * H * j.GH >= INFER_SPLIT_FLOPS;
    j.step = s;
    j.slices = split ? (threads < j.panels ? threads : j.panels) : 1;
    if (j.slices > 1) {
      // The A operand must not change while the slices multiply: h_{t−1} in a buffer of its own.
      if (j.h_in == a->h) {
        copy_floats(ia->h_bufs[cur], a->h, a->B * H);
        j.h_in = ia->h_bufs[cur];
      }
      // Rows past the next step's batch keep their state (reverse packed: they start there).
      j.h_next = ia->h_bufs[cur ^ 1];
      if (s + 1 < T) copy_floats(j.h_next, a->h, a->B * H);
    } else {
      j.h_in = a->h;
      j.h_next = NULL;
    }
    sl_pool_run(infer_slice, &j, j.slices);
    if (j.slices > 1) {
      cur ^= 1;
      j.h_in = ia->h_bufs[cur];
    }
  }
}
