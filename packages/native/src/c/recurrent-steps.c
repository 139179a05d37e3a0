// The native time loops of the fused recurrence for training (recurrentForward/Backward and their
// *Many forms), in two splits over the thread pool. Included by recurrent-portable.c,
// recurrent-avx2.c and recurrent-avx512.c after the wasm backend's recurrent.c and cells, so they
// run the same gate math (lstm.c, gru.c, rnn.c) and reuse recurrent.c's helpers; both compute
// what recurrent.c's loop computes, element for element (see that file for the equations and
// buffers), and every element is computed by the same instructions whatever the split, so the
// results are the same bits for every thread count and either split.
// An LSTM's gate math is lstm-train.h's: lstm.c's, its whole vectors through plain loads and stores.
//
// By batch rows (recurrent_forward_rows / recurrent_backward_rows; the default): the rows of a
// batch never mix (a step's product and its gate math are row by row, the projection of a
// projected LSTM too), so a range of rows [r0, r1) runs the sequence on its own, with no barrier
// per step: forward its rows' steps, writing the saved activations of its rows; backward the BPTT
// of its rows, dh (and dc) carried per row. It runs in spans of steps, and the state between two
// spans is in the working buffers, so recurrent-binding.c lets any thread take a range over
// between spans. W_hh is packed once per call before the ranges run (recurrent_*_pack) and shared
// read-only. Packed batches sort their sequences by decreasing length, so a range's rows are a
// prefix of each step's rows while the step still has any of them (batch_sizes[t] > r0):
// recurrent-binding.c balances the ranges by the rows' lengths. The weight gradients stay one
// GEMM over all N rows after a call's ranges are done, its rows of dW_hh split into tasks
// (recurrent_backward_weights_rows; recurrent_backward_weights when not split).
//
// By slices of hidden units (recurrent_forward_steps / recurrent_backward_steps): for a batch of
// one micro-kernel block of rows or less (nothing to split by rows), each step splits over the pool.
// A slice is a range of whole GEMM panels of hidden units [k0, k1): the columns of all G gates of
// those units. Forward, a slice's task runs its columns of the step's product h_{t−1} W_hhᵀ (W_hh
// packed once per call, gate by gate, so a slice's panels are its own and stay hot in that core's
// cache), then the gate math of its units, then copies its units of h_t into out and into the
// next step's h_prev rows (the next product's A operand: the working state h itself is being
// overwritten by the other slices). Backward, a slice's task runs its columns of the previous
// step's dh (+)= dgates W_hh, then its units of this step's gate math. The GEMM splits no sum and
// the gate math is elementwise. One pool job per step: the job's end is the step's barrier.
// A projected LSTM (W_hr) needs every unit of h_full before its projection: it always splits by
// rows (one range when the batch is too small).
#include "gemm.h"
#include "lstm-train.h"
#include "pool.h"

// A step's product under this many flops runs on one thread: the barrier would cost more.
#define STEP_SPLIT_FLOPS (1.0 * 1024 * 1024)
// Slices per thread. Each slice packs the step's A operand for itself (h_{t−1}, or the backward's
// dgates [B, G·H]), so more slices cost more packing; a thread that has not claimed its slice
// when the OS deschedules it leaves the slice to the others (a task is claimed only when a thread
// starts it).
#define SLICES_PER_THREAD 1

typedef struct {
  const rec_args *a;
  int G, GH, nr, panels, slices;
  size_t gate_stride;  // floats between the gates' packed W_hh blocks (forward)
  int step, prev;      // positions s in the loop's order (−1: none) of the gate math and of the GEMM
} steps_job;

static int step_time(const rec_args *a, int s) { return a->reverse ? a->T - 1 - s : s; }

// Panels [p0, p1) and hidden units [k0, k1) of a slice: the panels split as evenly as they go.
static int slice_of(const steps_job *j, int slice, int *p0, int *p1, int *k0, int *k1) {
  const int base = j->panels / j->slices, extra = j->panels % j->slices;
  *p0 = slice * base + (slice < extra ? slice : extra);
  *p1 = *p0 + base + (slice < extra ? 1 : 0);
  *k0 = *p0 * j->nr;
  *k1 = *p1 * j->nr < j->a->H ? *p1 * j->nr : j->a->H;
  return *p0 < *p1;
}

static void copy_units(float *dst, const float *src, int rows, int stride, int k0, int k1) {
  for (int r = 0; r < rows; r++) copy_floats(dst + r * stride + k0, src + r * stride + k0, k1 - k0);
}

// out and d_out rows batch-first (out_batch_stride) or of a wider array (out_stride) are recurrent.c's
// write_out / add_d_out's to address (NOTE(batch-first-recurrence), NOTE(layer-columns) in
// @seqlab/tensor's ops/recurrent.ts).

static int slices_for(const steps_job *j, int threads, int bs) {
  const rec_args *a = j->a;
  if (threads < 2 || 2.0 * bs * a->O * j->GH < STEP_SPLIT_FLOPS) return 1;
  const int want = threads * SLICES_PER_THREAD;
  return want < j->panels ? want : j->panels;
}

static void forward_slice(void *ctx, int slice) {
  const steps_job *j = ctx;
  const rec_args *a = j->a;
  const int H = a->H, O = a->O, GH = j->GH;
  int p0, p1, k0, k1;
  if (!slice_of(j, slice, &p0, &p1, &k0, &k1)) return;
  const int t = step_time(a, j->step);
  const int bs = a->batch_sizes[t], row = a->offsets[t];
  const float *hp = a->h_prev + row * O;
  // One (packed W_hh, C) pair per gate: the GEMM packs each block of h_{t−1} once for all of them.
  const float *packed[4];
  float *c[4];
  float *const into = a->cell == GRU ? a->hh : a->gates + row * GH;
  for (int g = 0; g < j->G; g++) {
    packed[g] = a->w_hh_packed + g * j->gate_stride;
    c[g] = into + g * H;
  }
  if (a->cell == GRU) {
    if (a->b_hh)
      for (int g = 0; g < 3; g++)
        for (int r = 0; r < bs; r++) copy_floats(c[g] + r * GH + k0, a->b_hh + g * H + k0, k1 - k0);
    sl_gemm_panels(bs, H, O, hp, 3, packed, p0, p1, c, GH, a->b_hh != 0);
    gru_forward(a, row, bs, k0, k1);
  } else {
    sl_gemm_panels(bs, H, O, hp, j->G, packed, p0, p1, c, GH, 1);
    if (a->cell == LSTM) lstm_forward_rows(a, row, bs, k0, k1, 0, 0);
    else rnn_forward(a, row, bs, k0, k1, a->cell == RNN_RELU);
  }
  if (a->out_batch_stride || a->out_stride) write_out(a, t, row, bs, a->h, k0, k1);
  else copy_units(a->out + row * O, a->h, bs, O, k0, k1);
  if (j->step + 1 < a->T) {
    const int t1 = step_time(a, j->step + 1);
    copy_units(a->h_prev + a->offsets[t1] * O, a->h, a->batch_sizes[t1], O, k0, k1);
  }
}

// As recurrent_forward (without a projection); `threads` is how many threads the steps may split over.
void recurrent_forward_steps(const rec_args *a, int threads) {
  const int H = a->H, O = a->O, T = a->T;
  steps_job j = {a, gate_count(a->cell), gate_count(a->cell) * H, sl_gemm_active()->nr, 0, 1, 0, 0, -1};
  j.panels = (H + j.nr - 1) / j.nr;
  j.gate_stride = sl_packed_size(O, H);
  step_offsets(a);
  // W_hh [G·H, O] packed gate by gate: gate g is op(B) = W_hh[gH : (g+1)H]ᵀ [O, H].
  for (int g = 0; g < j.G; g++) sl_pack_b(1, O, H, a->w_hh + (size_t)g * H * O, a->w_hh_packed + g * j.gate_stride);
  // LSTM and RNN add the products into the gates in place: they start as xProj.
  if (a->cell != GRU && a->gates != a->x_proj) copy_floats(a->gates, a->x_proj, a->N * j.GH);
  if (T > 0) {
    const int t0 = step_time(a, 0);
    copy_floats(a->h_prev + a->offsets[t0] * O, a->h, a->batch_sizes[t0] * O);
  }
  for (int s = 0; s < T; s++) {
    j.step = s;
    j.slices = slices_for(&j, threads, a->batch_sizes[step_time(a, s)]);
    sl_pool_run(forward_slice, &j, j.slices);
  }
}

static void backward_slice(void *ctx, int slice) {
  const steps_job *j = ctx;
  const rec_args *a = j->a;
  const int O = a->O, GH = j->GH;
  int p0, p1, k0, k1;
  if (!slice_of(j, slice, &p0, &p1, &k0, &k1)) return;
  // GRU: the gradient of the recurrent pre-activations differs from dxProj in its n part.
  const float *d_rec = a->cell == GRU ? a->dhh : a->dx_proj;
  // The previous step's dh_{t−1} (+)= dgates W_hh, this slice's units (GRU keeps z ⊙ dh).
  if (j->prev >= 0) {
    const int t = step_time(a, j->prev);
    const float *packed = a->w_hh_packed;
    float *dh = a->dh;
    sl_gemm_panels(a->batch_sizes[t], O, GH, d_rec + a->offsets[t] * GH, 1, &packed, p0, p1, &dh, O, a->cell == GRU);
  }
  if (j->step < 0) return;
  const int t = step_time(a, j->step);
  const int bs = a->batch_sizes[t], row = a->offsets[t];
  // dh ← dL/dh_t in total: from the output at t plus what the next step sent back.
  if (a->d_out && (a->out_batch_stride || a->out_stride)) add_d_out(a, t, row, bs, a->dh, k0, k1);
  else if (a->d_out) {
    for (int r = 0; r < bs; r++) {
      float *dh = a->dh + r * O;
      const float *d = a->d_out + (row + r) * O;
      int k = k0;
      for (; k + SL_LANES <= k1; k += SL_LANES)
        wasm_v128_store(dh + k, wasm_f32x4_add(wasm_v128_load(dh + k), wasm_v128_load(d + k)));
      for (; k < k1; k++) dh[k] += d[k];
    }
  }
  if (a->dh_rows) copy_units(a->dh_rows + row * O, a->dh, bs, O, k0, k1);
  if (a->cell == LSTM) lstm_backward_rows(a, row, bs, k0, k1, 0, 0);
  else if (a->cell == GRU) gru_backward(a, row, bs, k0, k1);
  else rnn_backward(a, row, bs, k0, k1, a->cell == RNN_RELU);
}

// Weight gradients over all steps at once, as recurrent.c's weight_gradients (same sums, same
// bits): dW_hh += d_recᵀ hPrev, db_hh += Σ rows, dW_hr += dh_rowsᵀ hFull. The GEMMs read d_rec
// [N, G·H] and dh_rows [N, O] as their transposed A operands (the packing of A takes each row as
// it lies), where recurrent.c first copies them transposed into scratch_a: that copy of N·G·H
// floats, strided on one side, cost more than the GEMM's own packing. On the calling thread's
// pool: after every range of rows is done, once per call.
void recurrent_backward_weights(const rec_args *a) {
  const int GH = gate_count(a->cell) * a->H;
  const float *d_rec = a->cell == GRU ? a->dhh : a->dx_proj;
  if (a->N > 0) {
    sl_pack_b(0, a->N, a->O, a->h_prev, a->scratch_b);
    sl_gemm_packed(1, GH, a->O, a->N, d_rec, a->scratch_b, a->dw_hh, 1);
  }
  if (a->db_hh) {
    for (int r = 0; r < a->N; r++) {
      const float *d = d_rec + r * GH;
      int k = 0;
      for (; k + SL_LANES <= GH; k += SL_LANES)
        wasm_v128_store(a->db_hh + k, wasm_f32x4_add(wasm_v128_load(a->db_hh + k), wasm_v128_load(d + k)));
      for (; k < GH; k++) a->db_hh[k] += d[k];
    }
  }
  if (a->dw_hr && a->N > 0) {
    sl_pack_b(0, a->N, a->H, a->h_full, a->scratch_b);
    sl_gemm_packed(1, a->O, a->H, a->N, a->dh_rows, a->scratch_b, a->dw_hr, 1);
  }
}

// The weight gradients split over tasks (recurrent-binding.c's run_calls, a call without a
// projection): the ranges of rows pack hPrev [N, O] as dW_hh's B into scratch_b as they go
// (recurrent_backward_rows_packing), then recurrent_backward_weights_rows computes the rows
// [i0, i1) of dW_hh [G·H, O] and db_hh[i0, i1) (the gate columns [i0, i1) of d_rec) on the calling
// thread. Each element is summed over the N rows by the same instructions as in
// recurrent_backward_weights (sl_gemm_packed_rows; db_hh's sums are per column), so any split
// gives its bits.
void recurrent_backward_weights_rows(const rec_args *a, int i0, int i1) {
  const int GH = gate_count(a->cell) * a->H;
  const float *d_rec = a->cell == GRU ? a->dhh : a->dx_proj;
  if (a->N > 0) sl_gemm_packed_rows(1, GH, a->O, a->N, d_rec, a->scratch_b, a->dw_hh, 1, i0, i1);
  if (a->db_hh) {
    float *db = a->db_hh + i0;
    const int w = i1 - i0;
    for (int r = 0; r < a->N; r++) {
      const float *d = d_rec + (size_t)r * GH + i0;
      int k = 0;
      for (; k + SL_LANES <= w; k += SL_LANES)
        wasm_v128_store(db + k, wasm_f32x4_add(wasm_v128_load(db + k), wasm_v128_load(d + k)));
      for (; k < w; k++) db[k] += d[k];
    }
  }
}

// As recurrent_backward (without a projection, whose weight gradients are recurrent_backward_weights');
// `threads` is how many threads the steps may split over.
void recurrent_backward_steps(const rec_args *a, int threads) {
  const int H = a->H, O = a->O, T = a->T;
  steps_job j = {a, gate_count(a->cell), gate_count(a->cell) * H, sl_gemm_active()->nr, 0, 1, 0, -1, -1};
  j.panels = (H + j.nr - 1) / j.nr;
  step_offsets(a);
  sl_pack_b(0, j.GH, O, a->w_hh, a->w_hh_packed);
  // Backward visits the steps in the reverse of the forward's order: job i runs the GEMM of the
  // step job i − 1 did the gate math of, then the gate math of its own.
  for (int i = 0; i <= T; i++) {
    j.step = i < T ? T - 1 - i : -1;
    j.prev = i > 0 ? T - i : -1;
    const int gemm_rows = j.prev >= 0 ? a->batch_sizes[step_time(a, j.prev)] : 0;
    j.slices = slices_for(&j, threads, gemm_rows);
    sl_pool_run(backward_slice, &j, j.slices);
  }
  recurrent_backward_weights(a);
}

// The rows [r0, r1) of the batch as the cells see them: the working state (h, c), the backward's
// carried gradients (dh, dc) and the per-batch-row scratch (a GRU's hh, a projection's h_full_step
// and dh_step) start at row r0, so the cells' batch row j is the batch's row r0 + j; the buffers
// of every step's rows (gates, hPrev, out, dxProj, …) are indexed by the global row as they are.
static rec_args rows_view(const rec_args *a, int r0) {
  const size_t H = a->H, O = a->O, GH = (size_t)gate_count(a->cell) * a->H, r = r0;
  rec_args s = *a;
  if (a->h) s.h = a->h + r * O;
  if (a->c) s.c = a->c + r * H;
  if (a->hh) s.hh = a->hh + r * GH;
  if (a->h_full_step) s.h_full_step = a->h_full_step + r * H;
  if (a->dh) s.dh = a->dh + r * O;
  if (a->dc) s.dc = a->dc + r * H;
  if (a->dh_step) s.dh_step = a->dh_step + r * H;
  return s;
}

// The rows of [r0, r1) active at step t: a prefix of the range (packed sequences are sorted by
// decreasing length), possibly empty.
static int rows_at(const rec_args *a, int t, int r0, int r1) {
  const int bs = a->batch_sizes[t] < r1 ? a->batch_sizes[t] : r1;
  return bs > r0 ? bs - r0 : 0;
}

// Forward, once per call before any range runs: the step offsets, W_hh [G·H, O] packed gate by
// gate (gate g is op(B) = W_hh[gH : (g+1)H]ᵀ [O, H]) and W_hr [O, H] whole (op(B) = W_hrᵀ [H, O]).
void recurrent_forward_pack(const rec_args *a) {
  const int H = a->H, O = a->O;
  const size_t gate_stride = sl_packed_size(O, H);
  step_offsets(a);
  for (int g = 0; g < gate_count(a->cell); g++)
    sl_pack_b(1, O, H, a->w_hh + (size_t)g * H * O, a->w_hh_packed + g * gate_stride);
  if (a->w_hr) sl_pack_b(1, H, O, a->w_hr, a->w_hr_packed);
}

// Forward of the batch rows [r0, r1) over the loop's steps [s0, s1) (positions in the forward's
// order: s is time step_time(a, s)), on the calling thread. The rows' state is in the working
// buffers between spans, so consecutive spans may run on different threads.
void recurrent_forward_rows(const rec_args *a, int r0, int r1, int s0, int s1) {
  const int H = a->H, O = a->O, T = a->T, G = gate_count(a->cell), GH = G * H, nr = sl_gemm_active()->nr;
  const int panels = (H + nr - 1) / nr, panels_o = (O + nr - 1) / nr;
  const size_t gate_stride = sl_packed_size(O, H);
  const float *packed[4];
  for (int g = 0; g < G; g++) packed[g] = a->w_hh_packed + g * gate_stride;
  const float *w_hr = a->w_hr_packed;
  rec_args s = rows_view(a, r0);
  for (int step = s0; step < s1 && step < T; step++) {
    const int t = step_time(a, step), bs = rows_at(a, t, r0, r1);
    if (bs == 0) continue;
    const int row = a->offsets[t] + r0;
    // h_prev rows ← working state; then the step's recurrent product h_{t−1} W_hhᵀ.
    copy_floats(a->h_prev + (size_t)row * O, s.h, bs * O);
    // LSTM and RNN add the product into the step's gates in place: they start as its xProj rows.
    if (a->cell != GRU && a->gates != a->x_proj)
      copy_floats(a->gates + (size_t)row * GH, a->x_proj + (size_t)row * GH, bs * GH);
    float *c[4];
    float *const into = a->cell == GRU ? s.hh : a->gates + (size_t)row * GH;
    for (int g = 0; g < G; g++) c[g] = into + g * H;
    if (a->cell == GRU) {
      if (a->b_hh)
        for (int j = 0; j < bs; j++) copy_floats(s.hh + j * GH, a->b_hh, GH);
      sl_gemm_panels(bs, H, O, s.h, 3, packed, 0, panels, c, GH, a->b_hh != 0);
      gru_forward(&s, row, bs, 0, H);
    } else {
      sl_gemm_panels(bs, H, O, s.h, G, packed, 0, panels, c, GH, 1);
      if (a->cell == LSTM) {
        const int t1 = step + 1 < T ? step_time(a, step + 1) : t;
        lstm_forward_rows(&s, row, bs, 0, H, a->offsets[t1] + r0, step + 1 < T ? rows_at(a, t1, r0, r1) : 0);
      }
      else rnn_forward(&s, row, bs, 0, H, a->cell == RNN_RELU);
    }
    // Projected LSTM: h_t = hFull_t W_hrᵀ.
    if (a->w_hr) {
      copy_floats(a->h_full + (size_t)row * H, s.h_full_step, bs * H);
      sl_gemm_panels(bs, O, H, s.h_full_step, 1, &w_hr, 0, panels_o, &s.h, O, 0);
    }
    if (a->out_batch_stride || a->out_stride) write_out(a, t, row, bs, s.h, 0, O);
    else copy_floats(a->out + (size_t)row * O, s.h, bs * O);
  }
}

// Backward, once per call before any range runs: the step offsets, W_hh packed whole as op(B) =
// W_hh [G·H, O] and W_hr as op(B) = W_hr [O, H].
void recurrent_backward_pack(const rec_args *a) {
  step_offsets(a);
  sl_pack_b(0, gate_count(a->cell) * a->H, a->O, a->w_hh, a->w_hh_packed);
  if (a->w_hr) sl_pack_b(0, a->O, a->H, a->w_hr, a->w_hr_packed);
}

// Rows [p0, p0 + rows) of hPrev [N, O] into h_packed as sl_pack_b(0, N, O, hPrev, h_packed) packs
// them (gemm.h: packed[(jb · N + p) · NR + t] = hPrev[p, jb · NR + t], the columns past O zero).
static void pack_h_rows(const rec_args *a, int p0, int rows, float *h_packed) {
  const int O = a->O, N = a->N, nr = sl_gemm_active()->nr;
  for (int p = p0; p < p0 + rows; p++) {
    const float *src = a->h_prev + (size_t)p * O;
    for (int j0 = 0; j0 < O; j0 += nr) {
      float *dst = h_packed + ((size_t)(j0 / nr) * N + p) * nr;
      const int cols = O - j0 < nr ? O - j0 : nr;
      copy_floats(dst, src + j0, cols);
      for (int t = cols; t < nr; t++) dst[t] = 0.0f;
    }
  }
}

void recurrent_backward_rows_packing(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed);

// Backward through time of the batch rows [r0, r1) over the backward's steps [s0, s1) (positions
// in the reverse of the forward's order: s is the forward's position T − 1 − s), on the calling
// thread; dh and dc carry between spans in the working buffers. The weight gradients are
// recurrent_backward_weights', after every range.
void recurrent_backward_rows(const rec_args *a, int r0, int r1, int s0, int s1) {
  recurrent_backward_rows_packing(a, r0, r1, s0, s1, NULL);
}

// As recurrent_backward_rows, and (h_packed not NULL) each step's rows of hPrev packed into
// h_packed as the weight gradients' B (pack_h_rows), while the gate math has them in cache: the
// ranges of a call pack every row of hPrev once between them.
void recurrent_backward_rows_packing(const rec_args *a, int r0, int r1, int s0, int s1, float *h_packed) {
  const int H = a->H, O = a->O, T = a->T, GH = gate_count(a->cell) * H, nr = sl_gemm_active()->nr;
  const int panels_h = (H + nr - 1) / nr, panels_o = (O + nr - 1) / nr;
  // GRU: the gradient of the recurrent pre-activations differs from dxProj in its n part.
  const float *d_rec = a->cell == GRU ? a->dhh : a->dx_proj;
  const float *w_hh = a->w_hh_packed, *w_hr = a->w_hr_packed;
  rec_args s = rows_view(a, r0);
  for (int i = s0; i < s1 && i < T; i++) {
    const int t = step_time(a, T - 1 - i), bs = rows_at(a, t, r0, r1);
    if (bs == 0) continue;
    const int row = a->offsets[t] + r0;
    // dh ← dL/dh_t in total: from the output at t plus what the next step sent back.
    if (a->d_out && (a->out_batch_stride || a->out_stride)) add_d_out(a, t, row, bs, s.dh, 0, O);
    else if (a->d_out) {
      const float *d = a->d_out + (size_t)row * O;
      int k = 0;
      for (; k + SL_LANES <= bs * O; k += SL_LANES)
        wasm_v128_store(s.dh + k, wasm_f32x4_add(wasm_v128_load(s.dh + k), wasm_v128_load(d + k)));
      for (; k < bs * O; k++) s.dh[k] += d[k];
    }
    if (a->dh_rows) copy_floats(a->dh_rows + (size_t)row * O, s.dh, bs * O);
    if (h_packed) pack_h_rows(a, row, bs, h_packed);
    // Projection: h = hFull W_hrᵀ, so dhFull = dh W_hr.
    if (a->w_hr) sl_gemm_panels(bs, H, O, s.dh, 1, &w_hr, 0, panels_h, &s.dh_step, H, 0);
    if (a->cell == LSTM) {
      const int t1 = i + 1 < T ? step_time(a, T - 2 - i) : t;
      lstm_backward_rows(&s, row, bs, 0, H, a->offsets[t1] + r0, i + 1 < T ? rows_at(a, t1, r0, r1) : 0);
    }
    else if (a->cell == GRU) gru_backward(&s, row, bs, 0, H);
    else rnn_backward(&s, row, bs, 0, H, a->cell == RNN_RELU);
    // dh_{t−1} (+)= dgates W_hh for the active rows (GRU keeps its direct path z ⊙ dh).
    sl_gemm_panels(bs, O, GH, d_rec + (size_t)row * GH, 1, &w_hh, 0, panels_o, &s.dh, O, a->cell == GRU);
  }
}
