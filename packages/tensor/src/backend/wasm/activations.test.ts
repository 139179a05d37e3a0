// The float32 exp, sigmoid and tanh of activations.h (Cephes' exp, σ from it, a rational tanh; run
// by the wasm cells for every gate) against Math.exp and Math.tanh in float64, which the js kernels use: the error
// bound below is what the wasm recurrence adds to the js kernels' results per activation.
import { describe, expect, test } from 'vitest';
import { loadWasmKernels } from './index';

const load = loadWasmKernels();
if (!load.ok) throw new Error(`the wasm kernels must load in Node 20: ${load.reason}`);
const wasm = load.module;

type Activation = 'act_exp' | 'act_sigmoid' | 'act_tanh';

/** Runs one exported activation over `x` in the module's memory. */
function run(name: Activation, x: Float32Array): Float32Array {
  const src = wasm.start;
  const dst = src + ((x.length + 3) & ~3);
  wasm.reserve(dst + x.length);
  wasm.resident = null;
  wasm.heap().set(x, src);
  wasm.exports[name](x.length, src * 4, dst * 4);
  return wasm.heap().slice(dst, dst + x.length);
}

const EXACT: Record<Activation, (x: number) => number> = {
  act_exp: Math.exp,
  act_sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  act_tanh: Math.tanh,
};

/** Every 1/1024 over [−lo, hi], then powers of two down to 2^−30 of both signs (tanh's small branch). */
function grid(lo: number, hi: number): Float32Array {
  const xs: number[] = [];
  for (let i = Math.round(lo * 1024); i <= hi * 1024; i++) xs.push(i / 1024);
  for (let e = -30; e <= 0; e++) for (const m of [1, 1.3, 1.7]) xs.push(m * 2 ** e, -m * 2 ** e);
  // Either side of tanh's switch at |x| = 0.625, one float32 ulp apart.
  for (let i = -8; i <= 8; i++) xs.push(0.625 + i * 2 ** -24, -0.625 - i * 2 ** -24);
  return Float32Array.from(xs);
}

/** Largest |got − exact| / |exact| where |exact| ≥ `tiny`, and largest |got − exact| below it. */
function errors(name: Activation, x: Float32Array, tiny: number): { rel: number; abs: number } {
  const got = run(name, x);
  let rel = 0;
  let abs = 0;
  for (let i = 0; i < x.length; i++) {
    const want = EXACT[name](x[i]);
    const d = Math.abs(got[i] - want);
    if (d === 0) continue;
    if (Math.abs(want) >= tiny) rel = Math.max(rel, d / Math.abs(want));
    else abs = Math.max(abs, d);
  }
  return { rel, abs };
}

/** Every `stride`-th float32 from 2^−30 to 9.5, both signs: tanh's whole range, at random-ish points. */
function floats(stride: number): Float32Array {
  const bits = new Int32Array(1);
  const f = new Float32Array(bits.buffer);
  f[0] = 2 ** -30;
  const lo = bits[0];
  f[0] = 9.5;
  const hi = bits[0];
  const out = new Float32Array(2 * Math.ceil((hi - lo) / stride));
  let n = 0;
  for (let b = lo; b < hi; b += stride) {
    bits[0] = b;
    out[n++] = f[0];
    out[n++] = -f[0];
  }
  return out.subarray(0, n);
}

// Measured maxima over these grids (Debian clang 14, Node 20): exp 7.9e-8, sigmoid 1.5e-7 relative,
// i.e. 1.3–2.5 float32 ulps, the last rounding of the result included; tanh (a rational function,
// one division, no exp) 3.0e-7 on the grid and 3.4e-7 over every 7th float32 of [2^−30, 9.5]
// (5–6 ulps). The bounds leave a little room and stay 30× (exp, σ) and 25× (tanh) inside the
// 1e-5 relative that the backends agree to.
const BOUND = 3e-7;
const TANH_BOUND = 4e-7;
describe('wasm activations (activations.h)', () => {
  test(`exp is within ${BOUND} relative of Math.exp on [−87, 88]`, () => {
    expect(errors('act_exp', grid(-87, 88), 0).rel).toBeLessThan(BOUND);
  });

  test(`sigmoid is within ${BOUND} relative of 1 / (1 + Math.exp(−x)), and within 1e-38 where that underflows`, () => {
    // Below x ≈ −87 e^−x is clamped at e^88.38, so σ bottoms out at 4e-39 instead of going subnormal.
    const { rel, abs } = errors('act_sigmoid', grid(-120, 120), 1e-37);
    expect(rel).toBeLessThan(BOUND);
    expect(abs).toBeLessThan(1e-38);
  });

  test(`tanh is within ${TANH_BOUND} relative of Math.tanh, near 0 too`, () => {
    expect(errors('act_tanh', grid(-30, 30), 0).rel).toBeLessThan(TANH_BOUND);
    expect(errors('act_tanh', floats(61), 0).rel).toBeLessThan(TANH_BOUND);
  });

  test('special values: NaN stays NaN, ±Infinity saturates, −0 keeps its sign in tanh', () => {
    const x = Float32Array.from([Number.NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30]);
    expect(Array.from(run('act_sigmoid', x))).toEqual([
      Number.NaN,
      1,
      expect.closeTo(0, 38),
      0.5,
      0.5,
      1,
      expect.closeTo(0, 38),
    ]);
    expect(Array.from(run('act_tanh', x))).toEqual([Number.NaN, 1, -1, 0, -0, 1, -1]);
    expect(Object.is(run('act_tanh', Float32Array.of(-0))[0], -0)).toBe(true);
    expect(Array.from(run('act_exp', x.subarray(0, 4)))).toEqual([Number.NaN, expect.any(Number), 0, 1]);
    expect(run('act_exp', Float32Array.of(Infinity))[0]).toBeGreaterThan(2e38);
  });

  test('every length: the last, partial vector of 1–3 lanes is computed and nothing after it is written', () => {
    for (let n = 0; n <= 9; n++) {
      const x = Float32Array.from({ length: n }, (_, i) => i / 3 - 1);
      const got = run('act_tanh', x);
      for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(Math.tanh(x[i]), 6);
    }
    // Writes stop at n: the slot after the output keeps a sentinel.
    const src = wasm.start;
    const dst = src + 8;
    wasm.heap().fill(7, dst, dst + 8);
    wasm.exports.act_sigmoid(5, src * 4, dst * 4);
    expect(wasm.heap()[dst + 5]).toBe(7);
  });
});
