// The float32 GEMM: C[m, n] = (accumulate ? C : 0) + op(A)[m, k] @ op(B)[k, n].
//
// B is packed once (sl_pack_b) into NR-column panels laid out for the micro-kernel of the
// instruction set chosen at load: packed[(jb * k + p) * NR + t] = op(B)[p, jb * NR + t], the
// columns past n zero. A is packed per call into MR-row panels of KC-deep blocks. The driver
// (gemm.c) walks KC blocks of k, MC blocks of rows and NR panels of columns, and calls one
// micro-kernel per MR x NR block of C, which accumulates in float32 registers.
#ifndef SL_GEMM_H
#define SL_GEMM_H

#include <stddef.h>
#include <stdint.h>

// The depth of the driver's blocks of k: every element of C is the sum of its KC-deep partial
// products in order, each accumulated in the micro-kernel's registers. A caller that runs the
// micro-kernel itself (recurrent-infer.c's input projection) blocks k the same way to get the
// same bits.
#define SL_GEMM_KC 256
// Rows of A packed per block: this many micro-kernel row blocks.
#define SL_GEMM_MC_PANELS 16

// The micro-kernel: C[MR, NR] (+)= Ap[kc][MR] @ Bp[kc][NR] (both packed, contiguous), written
// into C (row stride ldc) for the first `rows` rows and `cols` columns only. `accumulate`: 0
// overwrites C, 1 adds into it.
typedef void (*sl_micro_kernel)(int kc, const float *ap, const float *bp, float *c, int ldc, int rows,
                                int cols, int accumulate);

typedef struct {
  const char *isa; // "avx512", "avx2", "scalar"
  int mr;          // rows of the micro-kernel
  int nr;          // columns of the micro-kernel (the packed panel width)
  sl_micro_kernel kernel;
  // Runs `iters` rounds of independent FMAs on registers only (no memory), as many chains as the
  // micro-kernel keeps: the instruction set's arithmetic peak, for the benchmark's efficiency.
  // Returns the floating-point operations done.
  double (*fma_peak)(long iters);
} sl_gemm_isa;

// One per translation unit, each compiled with its own target flags (binding.gyp).
extern const sl_gemm_isa sl_gemm_scalar;
#if defined(__x86_64__) || defined(_M_X64)
extern const sl_gemm_isa sl_gemm_avx2;
extern const sl_gemm_isa sl_gemm_avx512;// The column panels [jb0, jb1) of C_b (+)= A[m, k] @ packed B_b [k, n] for each of the nb pairs
// (B_b, C_b), on the calling thread, packing each block of A once for all of them: the recurrent
// step's slice of hidden units, one pair per gate (recurrent-steps.c). Each C_b has row stride ldc
// and points at column 0 of its B's; each element is computed as sl_gemm_packed computes it,
// whatever the panels.
void sl_gemm_panels(int m, int n, int k, const float *a, int nb, const float *const *packed, int jb0, int jb1,
                    float *const *c, int ldc, int accumulate);

#endif

// The instruction set chosen at load (cpu.c) and why a faster one was not.
const sl_gemm_isa *sl_gemm_active(void);
const char *sl_gemm_isa_reason(void);
// Forces an instruction set by name ("avx512", "avx2", "scalar"); returns 0 when this CPU or
// build cannot run it.
int sl_gemm_select(const char *name);

// Floats of the packed B for a [k, n] op(B) with the active panel width.
size_t sl_packed_size(int k, int n);
// Packs op(B): B stored [k, n] row-major, or [n, k] when transB. From 64 K floats the panels are
// split over the pool (called from inside a pool task, it runs on the calling thread alone).
void sl_pack_b(int transB, int k, int n, const float *b, float *packed);
// C[m, n] (+)= op(A) @ packed B; A stored [m, k] row-major, or [k, m] when transA.
void sl_gemm_packed(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                    int accumulate);
// sl_gemm_packed, then every row of C += bias[0], then += bias[1], … (nbias vectors of n floats),
// each add rounded as a separate pass rounds it (the same bits), done on each tile of C right
// after its last block of depths while the tile is in cache: `linear`'s bias adds.
void sl_gemm_packed_bias(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                         int accumulate, int nbias, const float *const *bias);
// Rows [r0, r1) of sl_gemm_packed's C, on the calling thread: every element the same bits as
// sl_gemm_packed gives it (the rows of a block never mix), so a caller may split a product's rows
// over its own tasks (recurrent-steps.c's weight gradients). Rows start best at a multiple of MR.
void sl_gemm_packed_rows(int transA, int m, int n, int k, const float *a, const float *packed, float *c,
                         int accumulate, int r0, int r1);
// The column panels [jb0, jb1) of C_b (+)= A[m, k] @ packed B_b [k, n] for each of the nb pairs
// (B_b, C_b), on the calling thread, packing each block of A once for all of them: the recurrent
// step's slice of hidden units, one pair per gate (recurrent-steps.c). Each C_b has row stride ldc
// and points at column 0 of its B's; each element is computed as sl_gemm_packed computes it,
// whatever the panels.
void sl_gemm_panels(int m, int n, int k, const float *a, int nb, const float *const *packed, int jb0, int jb1,
                    float *const *c, int ldc, int accumulate);

#endif
