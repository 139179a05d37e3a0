// The gate math's activations in the native builds (recurrent-portable.c, recurrent-avx2.c,
// recurrent-avx512.c include this before the cells): Cephes' exp and sigmoid, as the wasm backend's
// (activations.h, a few ulps), with x86's one-instruction clamps
// (the shim's wasm min/max are four or five instructions each, and the exp took four of them), and
// a tanh that is a rational function instead of a polynomial below 0.625 and an exp plus a
// division above it (both branches computed, one kept):
//
//   tanh(x) ≈ x P(x²) / Q(x²), x clamped to [−9, 9], P of degree 6 and Q of degree 3 in x²,
//   the result clamped to [−1, 1]
//
// (the coefficients of Eigen's float tanh, a minimax fit; past |x| = 9 tanh is ±1 in float32).
// One division and eleven multiply-adds instead of the two branches' exp, division and
// polynomials: the LSTM step runs tanh twice per hidden unit, the GRU and the tanh RNN once. Its
// error against tanh in float64, swept over [−12, 12] and tiny |x|: at most 4.1e-7 relative
// without fused multiply-adds, 2.9e-7 with them (about 5–7 ulps near ±1, where the slope is
// small), against the Cephes tanh's 1–2 ulps: far inside the 1e-5 relative the backends promise
// each other (the training and inference parity tests run it; activations.test.ts sweeps it).
// tanh(±0) = ±0 and NaN gives NaN (min/max propagate it).
#ifndef SL_RECURRENT_ACTIVATIONS_H
#define SL_RECURRENT_ACTIVATIONS_H

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#define v_exp v_exp_wasm
#define v_sigmoid v_sigmoid_wasm
#define v_tanh v_tanh_cephes
#include "activations.h"
#undef v_exp
#undef v_sigmoid
#undef v_tanh

// x clamped to [lo, hi], NaN kept. On x86 one instruction a side: minps/maxps return their second
// operand when either is NaN, so x goes second (the shim's wasm min/max, which must propagate NaN
// from either operand, take a compare, two selects and a NaN test each).
static inline v128_t sl_clamp(v128_t x, float lo, float hi) {
#if SL_SIMD_BYTES == 64 && defined(__AVX512F__)
  return (v128_t)_mm512_max_ps(_mm512_set1_ps(lo), _mm512_min_ps(_mm512_set1_ps(hi), (__m512)x));
#elif SL_SIMD_BYTES == 32 && defined(__AVX__)
  return (v128_t)_mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), (__m256)x));
#elif SL_SIMD_BYTES == 16 && defined(__SSE2__)
  return (v128_t)_mm_max_ps(_mm_set1_ps(lo), _mm_min_ps(_mm_set1_ps(hi), (__m128)x));
#else
  return wasm_f32x4_min(wasm_f32x4_max(x, SPLAT(lo)), SPLAT(hi));
#endif
}

// Cephes' e^x as activations.h computed it until the wasm one took n from the magic-number trick
// (n = floor(x / ln2 + 1/2) here, x / ln2 rounded to nearest even there: the two differ only where
// x / ln2 is within an ulp of a half-integer, and then by an ulp or so), with the clamp above and
// the exponent field built by a plain conversion: n is an integer in [−128, 128] after the clamp
// (NaN: the conversion's garbage multiplies a NaN polynomial).
static inline v128_t v_exp(v128_t x) {
  x = sl_clamp(x, -88.3762626647949f, 88.3762626647949f);
  const v128_t n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, SPLAT(1.44269504088896341f)), SPLAT(0.5f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, SPLAT(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, SPLAT(-2.12194440e-4f)));
  v128_t p = SPLAT(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), SPLAT(1.0f));
  const sl_v4i e = (__builtin_convertvector(n, sl_v4i) + 127) << 23;
  return wasm_f32x4_mul(p, SL_F(e));
}

// σ(x) = 1 / (1 + e^−x), as activations.h computes it (with its own e^−x).
static inline v128_t v_sigmoid(v128_t x) {
  return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), v_exp(wasm_f32x4_neg(x))));
}

static inline v128_t v_tanh(v128_t x) {
  x = sl_clamp(x, -9.0f, 9.0f);
  const v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = SPLAT(-2.76076847742355e-16f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(2.00018790482477e-13f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(-8.60467152213735e-11f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(5.12229709037114e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(1.48572235717979e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(6.37261928875436e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(4.89352455891786e-03f));
  v128_t q = SPLAT(1.19825839466702e-06f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, z), SPLAT(1.18534705686654e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, z), SPLAT(2.26843463243900e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, z), SPLAT(4.89352518554385e-03f));
  const v128_t r = wasm_f32x4_div(wasm_f32x4_mul(x, p), q);
  return sl_clamp(r, -1.0f, 1.0f);
}

#endif
