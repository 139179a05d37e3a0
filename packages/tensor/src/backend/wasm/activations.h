// exp, sigmoid and tanh over four float32 lanes, for the recurrent cells' gate math. WebAssembly
// has no transcendental instructions, so these are the classic Cephes single-precision
// approximations (Moshier, Cephes Math Library, expf.c and tanhf.c): a range reduction and a
// polynomial, a few ulps from the exactly rounded result. activations.test.ts sweeps them against
// Math.exp / Math.tanh in float64 and bounds the error (the js kernels compute in float64 and
// round once: the two agree far inside the 1e-5 relative the backends promise each other).
// NaN in gives NaN out: wasm's f32x4.min/max propagate NaN, and so does the arithmetic.
#ifndef SEQLAB_ACTIVATIONS_H
#define SEQLAB_ACTIVATIONS_H

#include <wasm_simd128.h>

#define SPLAT(x) wasm_f32x4_splat(x)

// e^x for x in [-88.38, 88.38] (clamped there: e^±88.38 is the last power that 2^n with a normal
// exponent field represents), e^x = 2^n e^r with |r| ≤ ln2/2 and e^r by a degree-7 polynomial.
static inline v128_t v_exp(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, SPLAT(-88.3762626647949f)), SPLAT(88.3762626647949f));
  const v128_t n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, SPLAT(1.44269504088896341f)), SPLAT(0.5f)));
  // r = x − n ln2, with ln2 split in two so n·C1 is exact.
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, SPLAT(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, SPLAT(-2.12194440e-4f)));
  v128_t p = SPLAT(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), SPLAT(1.0f));
  // 2^n from its exponent field; n is in [−127, 127], and −127 (a zero field) stands for 0.
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

// σ(x) = 1 / (1 + e^−x).
static inline v128_t v_sigmoid(v128_t x) {
  return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), v_exp(wasm_f32x4_neg(x))));
}

// tanh(x): x + x³ P(x²) for |x| < 0.625 (no cancellation near 0), else sign(x) (1 − 2 / (e^2|x| + 1)).
static inline v128_t v_tanh(v128_t x) {
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  const v128_t ax = wasm_f32x4_abs(x);
  const v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = SPLAT(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), SPLAT(-3.33332819422e-1f));
  const v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x);
  // 2|x| ≤ 88: past |x| = 9 the result is 1 in float32 anyway.
  const v128_t e = v_exp(wasm_f32x4_add(wasm_f32x4_min(ax, SPLAT(44.0f)), wasm_f32x4_min(ax, SPLAT(44.0f))));
  const v128_t large = wasm_f32x4_sub(SPLAT(1.0f), wasm_f32x4_div(SPLAT(2.0f), wasm_f32x4_add(e, SPLAT(1.0f))));
  // NaN compares false, so it takes `large`, which is NaN; the sign goes on last so that −0 → −0.
  return wasm_v128_or(wasm_v128_bitselect(small, large, wasm_f32x4_lt(ax, SPLAT(0.625f))), sign);
}

#endif
