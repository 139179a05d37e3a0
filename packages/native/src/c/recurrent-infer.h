// The arguments of the forward-only time loop (recurrent-infer.c), shared by the per-instruction-set
// builds and recurrent-binding.c.
#ifndef SL_RECURRENT_INFER_H
#define SL_RECURRENT_INFER_H

#include "kernels.h"

// `a` as recurrent_forward_steps takes it, with nothing to save: LSTM and RNN add the recurrent
// products into a.gates = the caller's xProj in place; a GRU reads a.x_proj = xProj and writes its
// gate activations over it. a.cells, a.c_prev and a.hh_n point at [B, H] scratch (a.hh at
// [B, G·H]): the shared cells store there what a backward would read, and nothing reads it.
typedef struct {
  rec_args a;
  // h_t of row r goes to out + r · out_stride (out already at the direction's first column).
  float *out;
  int out_stride;
} infer_args;

#endif
