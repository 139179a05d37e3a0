// exp, sigmoid and tanh over four float32 lanes, for the recurrent cells' gate math. WebAssembly
// has no transcendental instructions: exp is the classic Cephes single-precision approximation
// (Moshier, Cephes Math Library, expf.c: a range reduction and a polynomial), σ is 1 / (1 + e^−x),
// and tanh a rational function (Eigen's float tanh, as the native addon's recurrent-activations.h).
// activations.test.ts sweeps them against Math.exp / Math.tanh in float64 and bounds the error
// (the js kernels compute in float64 and round once: the two agree far inside the 1e-5 relative
// the backends promise each other).
//
// Written for what V8 makes of them (x64; Node 20 has no fused multiply-add for wasm): f32x4.min/max
// are seven or eight instructions each there, to be exact for NaN and ±0, and
// i32x4.trunc_sat_f32x4 six, so the clamps are f32x4.pmin/pmax (one minps/maxps each) and 2^n
// comes from the magic-number trick; tanh's polynomials run as short independent chains (Estrin)
// rather than one long one. NaN in gives NaN out: pmin(x, hi) is hi < x ? hi : x and pmax(x, lo)
// is x < lo ? lo : x, so a NaN x (every comparison false) comes out as itself, and the arithmetic
// after it keeps it NaN.
#ifndef SEQLAB_ACTIVATIONS_H
#define SEQLAB_ACTIVATIONS_H

#include <wasm_simd128.h>

#define SPLAT(x) wasm_f32x4_splat(x)
// a·b + c, two instructions (Node 20's V8 has no fused multiply-add for wasm).
#define MA(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)

// e^x = 2^n e^r with n = round(x / ln2) by the magic-number trick: adding 1.5·2^23 + 127 to x / ln2
// rounds it to an integer (to nearest) held in the low mantissa bits of the sum t, and t's bits
// shifted left by 23 are those of 2^n, (n + 127) << 23; t − (1.5·2^23 + 127) is n as a float. No
// floor and no float-to-int conversion.
#define EXP_HI SPLAT(88.3762626647949f)
#define EXP_LO SPLAT(-88.3762626647949f)
#define EXP_MAGIC SPLAT(12583039.0f)  // 1.5·2^23 + 127

// e^x for x in [-88.38, 88.38] (clamped there: e^±88.38 is the last power that 2^n with a normal
// exponent field represents), e^x = 2^n e^r with |r| ≤ ln2/2 and e^r by a degree-7 polynomial
// (Cephes' coefficients, Horner's scheme: Estrin's measured no faster here).
static inline v128_t v_exp(v128_t x) {
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, EXP_HI), EXP_LO);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, SPLAT(1.44269504088896341f)), EXP_MAGIC);
  const v128_t n = wasm_f32x4_sub(t, EXP_MAGIC);
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
  return wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));
}

// e^−x: v_exp(−x) without the negation (three instructions in V8). With s = −r it is the same
// arithmetic on negated terms (a − b·s for a + b·r), so the same bits as v_exp(−x): rounding to
// nearest is symmetric in sign.
static inline v128_t v_exp_neg(v128_t x) {
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, EXP_HI), EXP_LO);
  const v128_t t = wasm_f32x4_sub(EXP_MAGIC, wasm_f32x4_mul(x, SPLAT(1.44269504088896341f)));
  const v128_t n = wasm_f32x4_sub(t, EXP_MAGIC);
  v128_t s = wasm_f32x4_add(x, wasm_f32x4_mul(n, SPLAT(0.693359375f)));
  s = wasm_f32x4_add(s, wasm_f32x4_mul(n, SPLAT(-2.12194440e-4f)));
  v128_t p = SPLAT(1.9875691500e-4f);
  p = wasm_f32x4_sub(SPLAT(1.3981999507e-3f), wasm_f32x4_mul(p, s));
  p = wasm_f32x4_sub(SPLAT(8.3334519073e-3f), wasm_f32x4_mul(p, s));
  p = wasm_f32x4_sub(SPLAT(4.1665795894e-2f), wasm_f32x4_mul(p, s));
  p = wasm_f32x4_sub(SPLAT(1.6666665459e-1f), wasm_f32x4_mul(p, s));
  p = wasm_f32x4_sub(SPLAT(5.0000001201e-1f), wasm_f32x4_mul(p, s));
  p = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(p, wasm_f32x4_mul(s, s)), s), SPLAT(1.0f));
  return wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));
}

// σ(x) = 1 / (1 + e^−x): relative accuracy for x ≪ 0 too, where σ(x) ≈ e^x (no 1 − … cancels).
static inline v128_t v_sigmoid(v128_t x) {
  return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), v_exp_neg(x)));
}

// tanh(x) ≈ x P(x²) / Q(x²), x clamped to [−9, 9] (past 9 tanh is ±1 in float32), P of degree 6
// and Q of degree 3 in x², the result clamped to [−1, 1]: Eigen's minimax coefficients, one
// division and no exp (the Cephes tanh it replaces computed a polynomial and an exp plus a
// division for every lane, then kept one). P and Q by Estrin's scheme in z = x², z² (for P,
// a0 + a1 z + z²(a2 + a3 z + z²(a4 + a5 z + a6 z²)): the constant term goes in by one add, which
// keeps the error near 0 small). Relative error at most 3.4e-7 over every 7th float32 of
// [2^−30, 9.5] (5–6 ulps, near ±1 and around |x| = 0.15), against the Cephes tanh's 1.3e-7; x P
// stays relative near 0, tanh(±0) = ±0 and NaN gives NaN.
static inline v128_t v_tanh(v128_t x) {
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, SPLAT(9.0f)), SPLAT(-9.0f));
  const v128_t z = wasm_f32x4_mul(x, x), z2 = wasm_f32x4_mul(z, z);
  const v128_t p45 = MA(SPLAT(2.00018790482477e-13f), z, SPLAT(-8.60467152213735e-11f));
  const v128_t p23 = MA(SPLAT(5.12229709037114e-08f), z, SPLAT(1.48572235717979e-05f));
  const v128_t p01 = MA(SPLAT(6.37261928875436e-04f), z, SPLAT(4.89352455891786e-03f));
  const v128_t p = MA(MA(MA(SPLAT(-2.76076847742355e-16f), z2, p45), z2, p23), z2, p01);
  const v128_t q = MA(MA(SPLAT(1.19825839466702e-06f), z, SPLAT(1.18534705686654e-04f)), z2,
                      MA(SPLAT(2.26843463243900e-03f), z, SPLAT(4.89352518554385e-03f)));
  const v128_t r = wasm_f32x4_div(wasm_f32x4_mul(x, p), q);
  return wasm_f32x4_pmax(wasm_f32x4_pmin(r, SPLAT(1.0f)), SPLAT(-1.0f));
}

#endif
