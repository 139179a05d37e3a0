// The arguments of the forward-only time loop (recurrent-infer.c), shared by the per-instruction-set
// builds and recurrent-binding.c.
#ifndef SL_RECURRENT_INFER_H
#define SL_RECURRENT_INFER_H

#include "kernels.h"

// `a` as recurrent_forward_steps takes it, with nothing to save: LSTM and RNN add the recurrent
// products into a.gates = the caller's xProj in place; a GRU reads a.x_proj = xProj and writes its
// gate activations over it. a.cells, a.c_prev and a.hh_n point at [B, H] scratch (a.hh at
// [B, G·H]): the shared cells store there what a backward would read, and nothing reads it.
//
// With x set (the fused input projection), there is no xProj: a.gates and a.x_proj are 0, and
// each range of rows projects its own rows of x, a chunk of steps at a time, into a scratch of its
// thread (x W_ihᵀ, then bias[0], then bias[1], as linear computes and rounds them).
typedef struct {
  rec_args a;
  // h_t of row r goes to out + r · out_stride (out already at the direction's first column).
  float *out;
  int out_stride;
  // The fused input projection (fused = 1; 0: xProj given): x [N, I] and W_ih [G·H, I], W_ih's
  // room for its packed panels (op(B) = W_ihᵀ [I, G·H]), and up to two [G·H] biases (0 where
  // absent). x and W_ih may be 0 when I = 0 (an empty array has no data).
  int fused;
  // A padded batch with x's rows, or out's, in batch-first order (fused only): the row of step t
  // and sequence j is j·T + t, not the time-major offsets[t] + j.
  int x_batch_first, out_batch_first;
  const float *x, *w_ih;
  float *w_ih_packed;
  int I;
  const float *bias[2];
} infer_args;

// Rows of x per projected chunk (whole steps: at least one, at most INFER_CHUNK_STEPS): enough
// that each block of packed W_ih, once in cache, serves many rows (this is one A block of the
// GEMM driver, SL_GEMM_MC_PANELS micro-kernel row blocks of 8), few enough that the chunk
// [rows, G·H] is still in L2 when its steps read it (W1: 4 steps of 32 rows, 512 KB).
#define INFER_CHUNK_ROWS 128
#define INFER_CHUNK_STEPS 16

// The steps of one unit of work of a range of `rows` rows (recurrent_infer_rows runs whole units):
// with the fused projection its chunk, INFER_CHUNK_ROWS / rows steps (1 to INFER_CHUNK_STEPS, at
// most T); without it, INFER_CHUNK_STEPS. At least 1.
static inline int infer_unit_steps(const infer_args *ia, int rows) {
  int steps = ia->fused && rows > 0 ? INFER_CHUNK_ROWS / rows : INFER_CHUNK_STEPS;
  if (steps > INFER_CHUNK_STEPS) steps = INFER_CHUNK_STEPS;
  if (steps > ia->a.T) steps = ia->a.T;
  return steps < 1 ? 1 : steps;
}

#endif
