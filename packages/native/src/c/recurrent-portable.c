// The fused recurrence of the wasm backend (@seqlab/tensor's src/backend/wasm/recurrent.c and its
// cells lstm.c, gru.c, rnn.c), compiled here unchanged for the baseline of the target (SSE2 on
// x86-64, NEON on arm64) through the portable <wasm_simd128.h> of wasm-simd/ (four-float vectors),
// with the native time loop recurrent-steps.c. binding.gyp puts that folder and the wasm sources'
// folder on the include path. The GEMMs they call are bound to the native packed GEMM in
// recurrent-gemm.c.
#define SL_REC_SUFFIX _portable
#include "recurrent-rename.h"

#include "recurrent-activations.h"
#include "recurrent.c"
#include "lstm.c"
#include "gru.c"
#include "rnn.c"
#include "recurrent-steps.c"
#include "recurrent-infer.c"
