// The subset of clang's <wasm_simd128.h> that the wasm backend's fused recurrence uses
// (@seqlab/tensor's src/backend/wasm/{kernels.h, activations.h, recurrent.c, lstm.c, gru.c,
// rnn.c}), in portable C: GCC/clang vector extensions of four floats, which compile to SSE on
// x86-64, NEON on arm64, and to AVX2/FMA encodings in the translation units built with those
// flags (binding.gyp). binding.gyp puts this folder first on the include path of those files, so
// the native addon compiles the same cell sources as the wasm module, unchanged: one copy of the
// equations for both (recurrent-binding.c binds their GEMM calls to the native packed GEMM).
//
// Semantics are WebAssembly's where they differ from x86's: min/max propagate NaN, comparisons
// give all-ones lanes, shifts take the count modulo 32, trunc_sat saturates (NaN → 0).
#ifndef SL_WASM_SIMD128_SHIM_H
#define SL_WASM_SIMD128_SHIM_H

#include <stdint.h>
#include <string.h>

typedef float v128_t __attribute__((vector_size(16), aligned(16)));
typedef int32_t sl_v4i __attribute__((vector_size(16)));
typedef uint32_t sl_v4u __attribute__((vector_size(16)));

#define SL_I(v) ((sl_v4i)(v))
#define SL_U(v) ((sl_v4u)(v))
#define SL_F(v) ((v128_t)(v))

static inline v128_t wasm_v128_load(const void *p) {
  v128_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void wasm_v128_store(void *p, v128_t v) { memcpy(p, &v, sizeof v); }

static inline v128_t wasm_f32x4_splat(float x) { return (v128_t){x, x, x, x}; }
static inline v128_t wasm_i32x4_splat(int32_t x) { return SL_F(((sl_v4i){x, x, x, x})); }

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

static inline v128_t wasm_f32x4_abs(v128_t a) {
  const sl_v4u magnitude = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
  return SL_F(SL_U(a) & magnitude);
}

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

// trunc toward zero, saturated to int32, NaN → 0.
static inline v128_t wasm_i32x4_trunc_sat_f32x4(v128_t a) {
  const v128_t lo = wasm_f32x4_splat(-2147483648.0f), hi = wasm_f32x4_splat(2147483520.0f);
  const v128_t clamped = wasm_v128_and(wasm_f32x4_min(wasm_f32x4_max(a, lo), hi), SL_F(a == a));
  return SL_F(__builtin_convertvector(clamped, sl_v4i));
}

// floor, exact for every float (past 2^23 every float is an integer already); NaN stays NaN.
static inline v128_t wasm_f32x4_floor(v128_t a) {
  const v128_t big = SL_F(wasm_f32x4_abs(a) >= wasm_f32x4_splat(8388608.0f));
  const v128_t safe = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), a, SL_F(SL_U(big) | SL_U(SL_F(a != a))));
  v128_t t = __builtin_convertvector(__builtin_convertvector(safe, sl_v4i), v128_t);
  t = t - wasm_v128_and(wasm_f32x4_splat(1.0f), SL_F(t > safe));
  return wasm_v128_bitselect(a, t, SL_F(SL_U(big) | SL_U(SL_F(a != a))));
}

static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) { return SL_F(SL_U(a) + SL_U(b)); }
static inline v128_t wasm_i32x4_shl(v128_t a, uint32_t n) { return SL_F(SL_U(a) << (n & 31)); }

#endif
