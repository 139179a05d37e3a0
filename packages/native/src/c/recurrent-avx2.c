// The fused recurrence of recurrent-portable.c, compiled with -mavx2 -mfma (binding.gyp): the same
// sources, with VEX encodings and fused multiply-adds in the gate math. Chosen at run time
// whenever the GEMM runs an AVX2 or AVX-512 micro-kernel (recurrent-binding.c).
#if defined(__x86_64__) || defined(_M_X64)
#define SL_REC_SUFFIX _avx2
#include "recurrent-rename.h"

#include "recurrent.c"
#include "lstm.c"
#include "gru.c"
#include "rnn.c"
#endif
