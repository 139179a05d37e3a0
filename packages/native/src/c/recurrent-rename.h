// Included before the wasm backend's recurrence sources (recurrent-portable.c, recurrent-avx2.c,
// recurrent-avx512.c) and the native time loops (recurrent-steps.c, recurrent-infer.c):
// gives their external functions a suffix per build, so one addon holds a copy per instruction
// set and recurrent-binding.c picks one at run time, as cpu.c picks the GEMM's micro-kernel.
#ifndef SL_RECURRENT_RENAME_H
#define SL_RECURRENT_RENAME_H

#define SL_CAT2(a, b) a##b
#define SL_CAT(a, b) SL_CAT2(a, b)

#define recurrent_forward SL_CAT(recurrent_forward, SL_REC_SUFFIX)
#define recurrent_backward SL_CAT(recurrent_backward, SL_REC_SUFFIX)
#define lstm_forward SL_CAT(lstm_forward, SL_REC_SUFFIX)
#define lstm_backward SL_CAT(lstm_backward, SL_REC_SUFFIX)
#define gru_forward SL_CAT(gru_forward, SL_REC_SUFFIX)
#define gru_backward SL_CAT(gru_backward, SL_REC_SUFFIX)
#define rnn_forward SL_CAT(rnn_forward, SL_REC_SUFFIX)
#define rnn_backward SL_CAT(rnn_backward, SL_REC_SUFFIX)
#define recurrent_forward_steps SL_CAT(recurrent_forward_steps, SL_REC_SUFFIX)
#define recurrent_backward_steps SL_CAT(recurrent_backward_steps, SL_REC_SUFFIX)
#define recurrent_forward_pack SL_CAT(recurrent_forward_pack, SL_REC_SUFFIX)
#define recurrent_forward_rows SL_CAT(recurrent_forward_rows, SL_REC_SUFFIX)
#define recurrent_backward_pack SL_CAT(recurrent_backward_pack, SL_REC_SUFFIX)
#define recurrent_backward_rows SL_CAT(recurrent_backward_rows, SL_REC_SUFFIX)
#define recurrent_backward_weights SL_CAT(recurrent_backward_weights, SL_REC_SUFFIX)
#define recurrent_backward_rows_packing SL_CAT(recurrent_backward_rows_packing, SL_REC_SUFFIX)
#define recurrent_backward_weights_rows SL_CAT(recurrent_backward_weights_rows, SL_REC_SUFFIX)
#define recurrent_infer_rows SL_CAT(recurrent_infer_rows, SL_REC_SUFFIX)
#define recurrent_infer_pack SL_CAT(recurrent_infer_pack, SL_REC_SUFFIX)
#define recurrent_infer_pack_units SL_CAT(recurrent_infer_pack_units, SL_REC_SUFFIX)

#endif
