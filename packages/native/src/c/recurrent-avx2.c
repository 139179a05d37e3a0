// The fused recurrence of recurrent-portable.c, compiled with -mavx2 -mfma (binding.gyp) and
// eight-float vectors: the same sources, with ymm registers and fused multiply-adds in the gate
// math. Chosen at run time when the GEMM runs the AVX2 micro-kernel (recurrent-binding.c).
#if defined(__x86_64__) || defined(_M_X64)
#define SL_SIMD_BYTES 32
#define SL_REC_SUFFIX _avx2
#include "recurrent-rename.h"

#include "recurrent-activations.h"
#include "recurrent.c"
#include "lstm.c"
#include "gru.c"
#include "rnn.c"
#include "recurrent-steps.c"
#include "recurrent-infer.c"
#endif
