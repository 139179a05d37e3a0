// The subset of clang's <wasm_simd128.h> that the wasm backend's fused recurrence uses
// (@seqlab/tensor's src/backend/wasm/{kernels.h, activations.h, recurrent.c, lstm.c, gru.c,
// rnn.c}), in portable C: GCC/clang vector extensions of SL_SIMD_BYTES bytes (16 unless the
// including file says otherwise: four floats, which compile to SSE on x86-64 and NEON on arm64;
// recurrent-avx2.c asks for 32 and recurrent-avx512.c for 64, eight and sixteen floats in ymm and
// zmm registers). SL_LANES, the floats per vector, is what kernels.h and the cells step by; the
// names keep WebAssembly's f32x4 spelling, whatever the width. binding.gyp puts this folder first on the include path of those files, so
// the native addon compiles the same cell sources as the wasm module, unchanged: one copy of the
// equations for both (recurrent-binding.c binds their GEMM calls to the native packed GEMM).
//
// Semantics are WebAssembly's where they differ from x86's: min/max propagate NaN, comparisons
// give all-ones lanes, shifts take the count modulo 32, trunc_sat saturates (NaN → 0).
#ifndef SL_WASM_SIMD128_SHIM_H
#define SL_WASM_SIMD128_SHIM_H

#include <stdint.h>
#include <string.h>

#ifndef SL_SIMD_BYTES
#define SL_SIMD_BYTES 16
#endif
#define SL_LANES (SL_SIMD_BYTES / 4)

typedef float v128_t __attribute__((vector_size(SL_SIMD_BYTES), aligned(SL_SIMD_BYTES)));
typedef int32_t sl_v4i __attribute__((vector_size(SL_SIMD_BYTES)));
typedef uint32_t sl_v4u __attribute__((vector_size(SL_SIMD_BYTES)));

#define SL_I(v) ((sl_v4i)(v))
#define SL_U(v) ((sl_v4u)(v))
#define SL_F(v) ((v128_t)(v))

static inline v128_t wasm_v128_load(const void *p) {
  v128_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void wasm_v128_store(void *p, v128_t v) { memcpy(p, &v, sizeof v); }

static inline v128_t wasm_f32x4_splat(float x) {
  v128_t v;
  for (int i = 0; i < SL_LANES; i++) v[i] = x;
  return v;
}
static inline v128_t wasm_i32x4_splat(int32_t x) {
  sl_v4i v;
  for (int i = 0; i < SL_LANES; i++) v[i] = x;
  return SL_F(v);
}

static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) { return a + b; }
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) { return a - b; }
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) { return a * b; }
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) { return a / b; }
static inline v128_t wasm_f32x4_neg(v128_t a) { return -a; }

static inline v128_t wasm_v128_and(v128_t a, v128_t b) { return SL_F(SL_U(a) & SL_U(b)); }
static inline v128_t wasm_v128_or(v128_t a, v128_t b) { return SL_F(SL_U(a) | SL_U(b)); }
// Bits of a where mask is set, of b elsewhere.
static inline v128_t wasm_v128_bitselect(v128_t a, v128_t b, v128_t mask) {
  return SL_F((SL_U(a) & SL_U(mask)) | (SL_U(b) & ~SL_U(mask)));
}

static inline v128_t wasm_f32x4_abs(v128_t a) { return SL_F(SL_U(a) & 0x7fffffffu); }

// Comparisons: all-ones lanes where true (NaN compares false, except ne).
static inline v128_t wasm_f32x4_lt(v128_t a, v128_t b) { return SL_F(a < b); }
static inline v128_t wasm_f32x4_gt(v128_t a, v128_t b) { return SL_F(a > b); }
static inline v128_t wasm_f32x4_ne(v128_t a, v128_t b) { return SL_F(a != b); }

// min and max propagate NaN (wasm's f32x4.min/max), unlike x86's minps/maxps.
static inline v128_t wasm_f32x4_min(v128_t a, v128_t b) {
  const v128_t m = wasm_v128_bitselect(a, b, SL_F(a < b));
  return wasm_v128_bitselect(a + b, m, SL_F((a != a) | (b != b)));
}
static inline v128_t wasm_f32x4_max(v128_t a, v128_t b) {
  const v128_t m = wasm_v128_bitselect(a, b, SL_F(a > b));
  return wasm_v128_bitselect(a + b, m, SL_F((a != a) | (b != b)));
}

// wasm's pseudo-min and -max: pmin(a, b) = b < a ? b : a, pmax(a, b) = a < b ? b : a (NaN compares
// false, so a NaN `a` comes out as itself).
static inline v128_t wasm_f32x4_pmin(v128_t a, v128_t b) { return wasm_v128_bitselect(b, a, SL_F(b < a)); }
static inline v128_t wasm_f32x4_pmax(v128_t a, v128_t b) { return wasm_v128_bitselect(b, a, SL_F(a < b)); }

// trunc toward zero, saturated to int32, NaN → 0.
static inline v128_t wasm_i32x4_trunc_sat_f32x4(v128_t a) {
  const v128_t lo = wasm_f32x4_splat(-2147483648.0f), hi = wasm_f32x4_splat(2147483520.0f);
  const v128_t clamped = wasm_v128_and(wasm_f32x4_min(wasm_f32x4_max(a, lo), hi), SL_F(a == a));
  return SL_F(__builtin_convertvector(clamped, sl_v4i));
}

// floor, exact for every float (past 2^23 every float is an integer already); NaN stays NaN.
// The x86 builds have it as one instruction (SSE4.1's roundps, AVX-512's vrndscaleps).
#if SL_SIMD_BYTES == 64 && defined(__AVX512F__)
#include <immintrin.h>
static inline v128_t wasm_f32x4_floor(v128_t a) {
  return (v128_t)_mm512_roundscale_ps((__m512)a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
#elif SL_SIMD_BYTES == 32 && defined(__AVX__)
#include <immintrin.h>
static inline v128_t wasm_f32x4_floor(v128_t a) { return (v128_t)_mm256_floor_ps((__m256)a); }
#elif SL_SIMD_BYTES == 16 && defined(__SSE4_1__)
#include <immintrin.h>
static inline v128_t wasm_f32x4_floor(v128_t a) { return (v128_t)_mm_floor_ps((__m128)a); }
#else
static inline v128_t wasm_f32x4_floor(v128_t a) {
  const v128_t big = SL_F(wasm_f32x4_abs(a) >= wasm_f32x4_splat(8388608.0f));
  const v128_t safe = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), a, SL_F(SL_U(big) | SL_U(SL_F(a != a))));
  v128_t t = __builtin_convertvector(__builtin_convertvector(safe, sl_v4i), v128_t);
  t = t - wasm_v128_and(wasm_f32x4_splat(1.0f), SL_F(t > safe));
  return wasm_v128_bitselect(a, t, SL_F(SL_U(big) | SL_U(SL_F(a != a))));
}
#endif

static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) { return SL_F(SL_U(a) + SL_U(b)); }
static inline v128_t wasm_i32x4_shl(v128_t a, uint32_t n) { return SL_F(SL_U(a) << (n & 31)); }

#endif
