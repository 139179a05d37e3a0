// The fused recurrence of recurrent-portable.c, compiled with -mavx512f -mavx512vl -mfma
// (binding.gyp) and sixteen-float vectors: the gate math in zmm registers, four times the lanes of
// the portable build. Chosen at run time when the GEMM runs the AVX-512 micro-kernel
// (recurrent-binding.c).
#if defined(__x86_64__) || defined(_M_X64)
#define SL_SIMD_BYTES 64
#define SL_REC_SUFFIX _avx512
#include "recurrent-rename.h"

#include "recurrent-activations.h"
#include "recurrent.c"
#include "lstm.c"
#include "gru.c"
#include "rnn.c"
#include "recurrent-steps.c"
#include "recurrent-infer.c"
#endif
