// Adam's update (the Backend's adamStep), linear's bias add (addBias), the bias gradients' sum
// over rows (reduce), dropout's mask (dropout) and clip-grad-norm's sum of squares (sumSquares)
// over float32 storage (blocked.ts copies the operands in and out in blocks); all but the sum of
// squares (NOTE(wasm-sum-squares)) give the js kernels' numbers bit for bit. WebAssembly has no
// fused multiply-add and clang contracts nothing into one here, so each operation below is one
// IEEE operation, correctly rounded, in the order of the js loop: f64x2 lanes give each element
// what the js loop's float64 arithmetic gives.
#include "kernels.h"
#include "xoshiro.h"

// The scalars of one adamStep call, float64, in this order (blocked.ts writes them).
typedef struct {
  double beta1, beta2, eps, step_size, bias2_sqrt, l2, decay;
} adam_scalars;

// Two floats of p as float64 lanes, and two float64 lanes rounded back and stored.
static inline v128_t load2(const float *p) {
  return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p));
}
static inline void store2(float *p, v128_t x) {
  wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(x), 0);
}

// js/optim.ts's adamStep, per element in float64:
//   g ← −g if maximize; g ← g + l2·θ if l2 ≠ 0; θ' = θ·decay
//   m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g·g; v̂ ← max(v̂, v) if amsgrad (vmax ≠ 0)
//   θ ← θ' − (stepSize·m) / (√v̂ / bias2Sqrt + eps)
// each stored value rounded to float32 and read back rounded (m, v and v̂ in the last two lines).
// f64x2.max and f32x4.max are Math.max: NaN-propagating, +0 above −0 (the max of two floats is one
// of them, so taking it before or after widening to float64 is the same).

// Elements [0, n) two at a time (an odd n also updates element n, a padding slot the caller leaves
// behind the arrays and never reads).
static void adam_pairs(int n, float *x, const float *g, float *m, float *v, float *vmax,
                       const adam_scalars *s, int maximize) {
  const v128_t b1 = wasm_f64x2_splat(s->beta1), b2 = wasm_f64x2_splat(s->beta2);
  const v128_t c1 = wasm_f64x2_splat(1 - s->beta1), c2 = wasm_f64x2_splat(1 - s->beta2);
  const v128_t eps = wasm_f64x2_splat(s->eps), step = wasm_f64x2_splat(s->step_size);
  const v128_t bias2 = wasm_f64x2_splat(s->bias2_sqrt), l2 = wasm_f64x2_splat(s->l2);
  const v128_t decay = wasm_f64x2_splat(s->decay);
  const int has_l2 = s->l2 != 0;
  float *vm = vmax ? vmax : v;
  for (int i = 0; i < n; i += 2) {
    v128_t gi = load2(g + i);
    if (maximize) gi = wasm_f64x2_neg(gi);
    const v128_t xi = load2(x + i);
    if (has_l2) gi = wasm_f64x2_add(gi, wasm_f64x2_mul(l2, xi));
    const v128_t xd = wasm_f64x2_mul(xi, decay);
    store2(m + i, wasm_f64x2_add(wasm_f64x2_mul(b1, load2(m + i)), wasm_f64x2_mul(c1, gi)));
    store2(v + i, wasm_f64x2_add(wasm_f64x2_mul(b2, load2(v + i)),
                                 wasm_f64x2_mul(wasm_f64x2_mul(c2, gi), gi)));
    if (vmax) store2(vmax + i, wasm_f64x2_max(load2(vmax + i), load2(v + i)));
    const v128_t den = wasm_f64x2_add(wasm_f64x2_div(wasm_f64x2_sqrt(load2(vm + i)), bias2), eps);
    store2(x + i, wasm_f64x2_sub(xd, wasm_f64x2_div(wasm_f64x2_mul(step, load2(m + i)), den)));
  }
}

// The low and the high two floats of a f32x4 as f64x2, and two f64x2 rounded back into one f32x4.
static inline v128_t lo2(v128_t a) { return wasm_f64x2_promote_low_f32x4(a); }
static inline v128_t hi2(v128_t a) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
}
static inline v128_t round4(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4,
                            5);
}

// Elements [0, n), n a multiple of 4, four at a time: one 16-byte load and store per array, the
// rounded m, v and v̂ kept in registers (what adam_pairs stores and reads back). `general` is a
// constant at each call: without it (Adam's common case: no maximize, no l2, no amsgrad) the
// loop carries none of their tests. The same operations on each element as adam_pairs.
static inline __attribute__((always_inline)) void adam_quads(int n, float *x, const float *g, float *m,
                                                              float *v, float *vmax,
                                                              const adam_scalars *s, int maximize,
                                                              int general) {
  const v128_t b1 = wasm_f64x2_splat(s->beta1), b2 = wasm_f64x2_splat(s->beta2);
  const v128_t c1 = wasm_f64x2_splat(1 - s->beta1), c2 = wasm_f64x2_splat(1 - s->beta2);
  const v128_t eps = wasm_f64x2_splat(s->eps), step = wasm_f64x2_splat(s->step_size);
  const v128_t bias2 = wasm_f64x2_splat(s->bias2_sqrt), l2 = wasm_f64x2_splat(s->l2);
  const v128_t decay = wasm_f64x2_splat(s->decay);
  const int has_l2 = general && s->l2 != 0;
  if (!general) maximize = 0, vmax = 0;
  for (int i = 0; i < n; i += 4) {
    v128_t g4 = wasm_v128_load(g + i);
    if (maximize) g4 = wasm_f32x4_neg(g4);
    const v128_t x4 = wasm_v128_load(x + i), m4 = wasm_v128_load(m + i), v4 = wasm_v128_load(v + i);
    const v128_t x0 = lo2(x4), x1 = hi2(x4);
    v128_t g0 = lo2(g4), g1 = hi2(g4);
    if (has_l2) {
      g0 = wasm_f64x2_add(g0, wasm_f64x2_mul(l2, x0));
      g1 = wasm_f64x2_add(g1, wasm_f64x2_mul(l2, x1));
    }
    const v128_t mf = round4(wasm_f64x2_add(wasm_f64x2_mul(b1, lo2(m4)), wasm_f64x2_mul(c1, g0)),
                             wasm_f64x2_add(wasm_f64x2_mul(b1, hi2(m4)), wasm_f64x2_mul(c1, g1)));
    const v128_t vf =
        round4(wasm_f64x2_add(wasm_f64x2_mul(b2, lo2(v4)), wasm_f64x2_mul(wasm_f64x2_mul(c2, g0), g0)),
               wasm_f64x2_add(wasm_f64x2_mul(b2, hi2(v4)), wasm_f64x2_mul(wasm_f64x2_mul(c2, g1), g1)));
    wasm_v128_store(m + i, mf);
    wasm_v128_store(v + i, vf);
    v128_t vh = vf;
    if (vmax) {
      vh = wasm_f32x4_max(wasm_v128_load(vmax + i), vf);
      wasm_v128_store(vmax + i, vh);
    }
    const v128_t d0 = wasm_f64x2_add(wasm_f64x2_div(wasm_f64x2_sqrt(lo2(vh)), bias2), eps);
    const v128_t d1 = wasm_f64x2_add(wasm_f64x2_div(wasm_f64x2_sqrt(hi2(vh)), bias2), eps);
    wasm_v128_store(
        x + i, round4(wasm_f64x2_sub(wasm_f64x2_mul(x0, decay), wasm_f64x2_div(wasm_f64x2_mul(step, lo2(mf)), d0)),
                      wasm_f64x2_sub(wasm_f64x2_mul(x1, decay), wasm_f64x2_div(wasm_f64x2_mul(step, hi2(mf)), d1))));
  }
}

// Elements [0, n) (see adam_pairs for an odd n): four at a time, then the last one to three two
// at a time. Two at a time with the tests in the loop took about 1.25x the time over a W1 step's
// parameters (apps/trainer/scripts/ab-kernels.ts; tools/bench/PROFILE.md, 2026-12-05).
EXPORT void adam_step(int n, float *x, const float *g, float *m, float *v, float *vmax,
                      const adam_scalars *s, int maximize) {
  const int q = n & ~3;
  if (!maximize && !vmax && s->l2 == 0) adam_quads(q, x, g, m, v, 0, s, 0, 0);
  else adam_quads(q, x, g, m, v, vmax, s, maximize, 1);
  if (q < n) adam_pairs(n - q, x + q, g + q, m + q, v + q, vmax ? vmax + q : 0, s, maximize);
}

// NOTE(wasm-sum-squares): clip-grad-norm's init + Σ x², in float64 (each square of a float32 is
// exact in float64), in the order of the native addon's sum_squares (ops-kernels.c), so the two
// give the same bits: blocks of SUMSQ_BLOCK elements from element 0, added in order onto init; in
// a block, eight running sums a[l] over the elements 8i + l, combined as
// ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)), then the last n mod 8 squares onto that in
// order. Not the js kernel's one running sum (a chain of dependent adds, ~1.3 ns an element here):
// the float64 results differ within summation error (clip_grad.ts's coefficient is computed from
// it). blocked.ts calls this per copy block of BLOCK elements, a multiple of SUMSQ_BLOCK, with the
// running total as init: the same blocks as one call over the whole array.
#define SUMSQ_BLOCK 4096
static inline v128_t sq_lo(v128_t a) {
  const v128_t d = wasm_f64x2_promote_low_f32x4(a);
  return wasm_f64x2_mul(d, d);
}
static inline v128_t sq_hi(v128_t a) { return sq_lo(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1)); }
static double block_squares(const float *x, int n) {
  // a01 = (a0, a1), a23 = (a2, a3), a45 = (a4, a5), a67 = (a6, a7).
  v128_t a01 = wasm_f64x2_splat(0), a23 = a01, a45 = a01, a67 = a01;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t lo = wasm_v128_load(x + i), hi = wasm_v128_load(x + i + 4);
    a01 = wasm_f64x2_add(a01, sq_lo(lo));
    a23 = wasm_f64x2_add(a23, sq_hi(lo));
    a45 = wasm_f64x2_add(a45, sq_lo(hi));
    a67 = wasm_f64x2_add(a67, sq_hi(hi));
  }
  const v128_t p = wasm_f64x2_add(a01, a45), q = wasm_f64x2_add(a23, a67);  // (a0+a4, a1+a5), (a2+a6, a3+a7)
  double s = (wasm_f64x2_extract_lane(p, 0) + wasm_f64x2_extract_lane(p, 1)) +
             (wasm_f64x2_extract_lane(q, 0) + wasm_f64x2_extract_lane(q, 1));
  for (; i < n; i++) s += (double)x[i] * (double)x[i];
  return s;
}
EXPORT double sum_squares(int n, const float *x, double init) {
  double total = init;
  for (int b = 0; b < n; b += SUMSQ_BLOCK) total += block_squares(x + b, n - b < SUMSQ_BLOCK ? n - b : SUMSQ_BLOCK);
  return total;
}

// y[r, j] += bias[j] for rows [0, rows) of n columns, each sum rounded to float32: f32x4.add gives
// what the js loop's float64 sum rounded to float32 gives (float64 has more than twice float32's
// precision, so for a sum of two floats rounding twice rounds as once).
EXPORT void add_bias(int rows, int n, float *y, const float *bias) {
  for (int r = 0; r < rows; r++) {
    float *row = y + (long)r * n;
    int j = 0;
    for (; j + 4 <= n; j += 4)
      wasm_v128_store(row + j, wasm_f32x4_add(wasm_v128_load(row + j), wasm_v128_load(bias + j)));
    for (; j < n; j++) row[j] += bias[j];
  }
}

// acc[j] += x[r, j] for rows r = 0 … rows − 1 in turn, in float64 (each float32 element widened
// exactly): js/reduce.ts's running sums of a reduction over the leading axis of [rows, n], the same
// additions in the same order for every column. Eight columns at a time stay in four f64x2
// registers across the rows.
EXPORT void sum_rows(int rows, int n, const float *x, double *acc) {
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    v128_t a0 = wasm_v128_load(acc + j), a1 = wasm_v128_load(acc + j + 2);
    v128_t a2 = wasm_v128_load(acc + j + 4), a3 = wasm_v128_load(acc + j + 6);
    for (int r = 0; r < rows; r++) {
      const float *p = x + (long)r * n + j;
      const v128_t lo = wasm_v128_load(p), hi = wasm_v128_load(p + 4);
      a0 = wasm_f64x2_add(a0, wasm_f64x2_promote_low_f32x4(lo));
      a1 = wasm_f64x2_add(a1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo, lo, 2, 3, 0, 1)));
      a2 = wasm_f64x2_add(a2, wasm_f64x2_promote_low_f32x4(hi));
      a3 = wasm_f64x2_add(a3, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi, hi, 2, 3, 0, 1)));
    }
    wasm_v128_store(acc + j, a0);
    wasm_v128_store(acc + j + 2, a1);
    wasm_v128_store(acc + j + 4, a2);
    wasm_v128_store(acc + j + 6, a3);
  }
  for (; j < n; j++) {
    double a = acc[j];
    for (int r = 0; r < rows; r++) a += (double)x[(long)r * n + j];
    acc[j] = a;
  }
}

// ops/nn.ts' dropout over a block of n elements, from @seqlab/tensor's Generator state s (four
// words, xoshiro128** as random.ts' drawUniforms: xoshiro.h, NOTE(xoshiro-c); advanced by one
// draw per element and written back): u = (r >> 8) / 2^24, mask = keep where u >= p else 0, y = x · mask, each rounded to float32
// (the float64 product of two floats is exact, so one float32 rounding, as f32.mul). u >= p is
// (r >> 8) >= lim = ceil(p · 2^24), an integer compare (a scaling by a power of two, exact). The
// draws (a serial chain) go into m's words first, then the mask and the product four at a time.
// The same numbers and final state as the js loop and the native addon's opsDropout.
EXPORT void dropout(int n, unsigned *s, unsigned lim, float keep, const float *x, float *m, float *y) {
  sl_xoshiro g = {s[0], s[1], s[2], s[3]};
  unsigned *draws = (unsigned *)m;
  for (int i = 0; i < n; i++) draws[i] = sl_xoshiro_next(&g);
  s[0] = g.s0, s[1] = g.s1, s[2] = g.s2, s[3] = g.s3;
  const v128_t lim4 = wasm_u32x4_splat(lim), keep4 = wasm_f32x4_splat(keep);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t kept = wasm_u32x4_ge(wasm_u32x4_shr(wasm_v128_load(draws + i), 8), lim4);
    const v128_t k = wasm_v128_and(kept, keep4);
    wasm_v128_store(m + i, k);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(x + i), k));
  }
  for (; i < n; i++) {
    const float k = (draws[i] >> 8) >= lim ? keep : 0.0f;
    m[i] = k;
    y[i] = x[i] * k;
  }
}
