// The gate math's activations in the native builds (recurrent-portable.c, recurrent-avx2.c,
// recurrent-avx512.c include this before the cells): the wasm backend's activations.h (Cephes exp and
// sigmoid, a few ulps), except tanh, which is a rational function instead of a polynomial below
// 0.625 and an exp plus a division above it (both branches computed, one kept):
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

#define v_tanh v_tanh_cephes
#include "activations.h"
#undef v_tanh

static inline v128_t v_tanh(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, SPLAT(-9.0f)), SPLAT(9.0f));
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
  return wasm_f32x4_min(wasm_f32x4_max(r, SPLAT(-1.0f)), SPLAT(1.0f));
}

#endif
