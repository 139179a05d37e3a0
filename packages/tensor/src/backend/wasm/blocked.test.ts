// The wasm backend's array kernels outside the GEMM (blocked.c, blocked.ts): Adam's update, the
// bias add and the sum over leading axes give the js kernels' numbers bit for bit (Object.is, so
// −0 and NaN count), on W1's shapes and on lengths around the copy blocks (BLOCK) and the kernels'
// vector widths; the sum of squares is its documented order's bit for bit, the native addon's
// when it is registered, and within a stated bound of the exact sum. conformance.test.ts checks them against the reference on small random problems;
// this file holds the wasm backend to the exact bits a training step relies on.
import { expect, test } from 'vitest';
import type { AdamStepArgs } from '../backend';
import { jsBackend } from '../js/index';
import { backend, listBackends, setBackend } from '../registry';
import { BLOCK } from './blocked';
import { createWasmBackend, loadWasmKernels } from './index';

const load = loadWasmKernels();
if (!load.ok) throw new Error(`the wasm kernels did not load: ${load.reason}`);
const wasm = createWasmBackend(load);

/** Deterministic floats in [lo, hi) with some of the specials (±0, NaN, ±Infinity) mixed in. */
function floats(n: number, seed: number, lo = -1, hi = 1, specials = true): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  if (specials && n > 0) {
    const at = [0, -0, Number.NaN, Infinity, -Infinity];
    for (let k = 0; k < at.length; k++) out[(k * 7919 + seed) % n] = at[k];
  }
  return out;
}

/** Every element the same float (Object.is: −0 ≠ +0, NaN = NaN), else the first that differs. */
function expectBits(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${label}: at ${i} expected ${want[i]}, got ${got[i]}`);
  }
}

test('the wasm backend runs its own adamStep, addBias and reduce', () => {
  expect(wasm.adamStep).not.toBe(jsBackend.adamStep);
  expect(wasm.reduce).not.toBe(jsBackend.reduce);
  expect(wasm.addBias).toBeTypeOf('function');
});

const ADAM_SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 16, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 5, 131072 + 1];

test.each([
  { amsgrad: false, adamw: false, maximize: false, weightDecay: 0 },
  { amsgrad: false, adamw: false, maximize: true, weightDecay: 0.01 },
  { amsgrad: true, adamw: false, maximize: false, weightDecay: 0.3 },
  { amsgrad: true, adamw: true, maximize: true, weightDecay: 0.01 },
  { amsgrad: false, adamw: true, maximize: false, weightDecay: 0.05 },
])(
  'adamStep: the js kernel bit for bit over three steps, %o',
  ({ amsgrad, adamw, maximize, weightDecay }) => {
    const lr = 1e-3;
    const [beta1, beta2] = [0.9, 0.999];
    for (const n of ADAM_SIZES) {
      const state = (seed: number) => ({
        param: floats(n, seed),
        grad: floats(n, seed + 1, -0.05, 0.05),
        expAvg: floats(n, seed + 2, -0.01, 0.01, false),
        expAvgSq: floats(n, seed + 3, 0, 1e-4, false),
        maxExpAvgSq: amsgrad ? floats(n, seed + 4, 0, 1e-4) : null,
      });
      const got = state(n);
      const want = state(n);
      for (let t = 1; t <= 3; t++) {
        const scalars = {
          beta1,
          beta2,
          eps: 1e-8,
          stepSize: lr / (1 - beta1 ** t),
          bias2Sqrt: Math.sqrt(1 - beta2 ** t),
          l2: adamw ? 0 : weightDecay,
          decay: adamw ? 1 - lr * weightDecay : 1,
          maximize,
        } satisfies Partial<AdamStepArgs>;
        wasm.adamStep?.({ ...got, ...scalars });
        jsBackend.adamStep({ ...want, ...scalars });
      }
      const label = `adamStep n=${n}`;
      expectBits(got.param, want.param, `${label}: param`);
      expectBits(got.expAvg, want.expAvg, `${label}: expAvg`);
      expectBits(got.expAvgSq, want.expAvgSq, `${label}: expAvgSq`);
      if (got.maxExpAvgSq && want.maxExpAvgSq) expectBits(got.maxExpAvgSq, want.maxExpAvgSq, `${label}: max`);
    }
  },
);

test('adamStep on float64 storage runs the js kernel', () => {
  const make = () => ({
    param: Float64Array.from(floats(37, 5)),
    grad: Float64Array.from(floats(37, 6)),
    expAvg: new Float64Array(37),
    expAvgSq: new Float64Array(37),
    maxExpAvgSq: null,
  });
  const scalars = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.01, bias2Sqrt: 0.03 };
  const rest = { ...scalars, l2: 0, decay: 1, maximize: false };
  const got = make();
  const want = make();
  wasm.adamStep?.({ ...got, ...rest });
  jsBackend.adamStep({ ...want, ...rest });
  expect(Array.from(got.param)).toEqual(Array.from(want.param));
});

/** linear's bias add in JavaScript (ops/linear.ts without a backend kernel): y += b per row. */
function addBiasJs(y: Float32Array, rows: number, n: number, b: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) y[r * n + j] += b[j];
}

test.each([
  [1600, 1024],
  [32, 2],
  [3, 5],
  [BLOCK + 7, 1],
  [2, BLOCK + 3],
  [0, 9],
  [300, 67],
])('addBias on [%i, %i]: y + b rounded to float32, bit for bit', (rows, n) => {
  const y = floats(rows * n, rows + n);
  const b = floats(n, 3 * n + 1);
  b[0] = -0;
  if (rows > 0) y[0] = -0; // −0 + −0 stays −0
  const want = y.slice();
  addBiasJs(want, rows, n, b);
  wasm.addBias?.(y, rows, n, b);
  expectBits(y, want, `addBias [${rows}, ${n}]`);
});

test.each([
  { shape: [1600, 1024], reduced: [true, false] },
  { shape: [32, 50, 256], reduced: [true, true, false] },
  { shape: [50, 32, 1, 13], reduced: [true, false, false, false] },
  { shape: [7, 3, 5], reduced: [true, false, false] },
  { shape: [2, BLOCK + 9], reduced: [true, false] },
  { shape: [BLOCK * 3 + 1, 3], reduced: [true, false] },
  { shape: [4, 1, 6], reduced: [true, true, false] },
  { shape: [5, 6], reduced: [false, true] }, // not a leading sum: the js kernel
  { shape: [6, 5, 4], reduced: [true, false, true] },
])('reduce sum of $shape over $reduced: the js kernel bit for bit', ({ shape, reduced }) => {
  const size = shape.reduce((p, s) => p * s, 1);
  const x = floats(size, size % 97, -3, 3, false);
  const outSize = shape.filter((_, d) => !reduced[d]).reduce((p, s) => p * s, 1);
  const got = new Float32Array(outSize);
  const want = new Float32Array(outSize);
  wasm.reduce('sum', x, shape, reduced, got);
  jsBackend.reduce('sum', x, shape, reduced, want);
  expectBits(got, want, `reduce [${shape}] over [${reduced}]`);
  // Columns of −0 sum to +0 (the running sum starts at +0), of NaN to NaN.
  const specials = x.slice();
  const n = outSize;
  for (let i = 0; i < size; i += n) {
    specials[i] = -0;
    if (n > 1) specials[i + 1] = i === 0 ? Number.NaN : 1;
  }
  wasm.reduce('sum', specials, shape, reduced, got);
  jsBackend.reduce('sum', specials, shape, reduced, want);
  expectBits(got, want, `reduce [${shape}] over [${reduced}] with specials`);
});

// NOTE(wasm-sum-squares): the order blocked.c documents, written out: blocks of 4096 from element 0
// added in order onto init; in a block, eight running sums over the elements 8i + l, combined as
// ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)), then the last n mod 8 squares in order.
const SUMSQ_BLOCK = 4096;
function sumSquaresInOrder(x: Float32Array, init: number): number {
  let total = init;
  for (let b = 0; b < x.length; b += SUMSQ_BLOCK) {
    const end = Math.min(x.length, b + SUMSQ_BLOCK);
    const a = [0, 0, 0, 0, 0, 0, 0, 0];
    let i = b;
    for (; i + 8 <= end; i += 8) for (let l = 0; l < 8; l++) a[l] += x[i + l] * x[i + l];
    let s = a[0] + a[4] + (a[1] + a[5]) + (a[2] + a[6] + (a[3] + a[7]));
    for (; i < end; i++) s += x[i] * x[i];
    total += s;
  }
  return total;
}

/** init + Σ x² as a double-double (TwoSum): within ~n·2⁻¹⁰⁶ of the exact sum, the reference. */
function sumSquaresExact(x: Float32Array, init: number): number {
  let hi = init;
  let lo = 0;
  for (let i = 0; i < x.length; i++) {
    const t = x[i] * x[i]; // exact: a float32's square fits float64's 53 bits
    const s = hi + t;
    const bv = s - hi;
    lo += hi - (s - bv) + (t - bv);
    hi = s;
  }
  return hi + lo;
}

/**
 * The float64 error bound of the order above, relative to the sum (every term ≥ 0): an addend
 * goes through at most 511 adds in its running sum, 3 combining them, 7 of the tail and one per
 * block after its own onto the total: (4096/8 + 10 + ⌈n/4096⌉)·2⁻⁵³, to first order (the second
 * order, ≈ 1e-25 here, is what the factor 1.001 covers).
 */
const sumSquaresBound = (n: number) =>
  1.001 * (Math.min(n, SUMSQ_BLOCK) / 8 + 10 + Math.ceil(n / SUMSQ_BLOCK)) * 2 ** -53;

// W1's gradients: the embedding [10000, 128], layer 1's W_ih [1024, 128] and W_hh [1024, 256],
// layer 2's W_ih [1024, 512], a bias [1024], the head [2, 512] and its bias [2]; then lengths
// around the eight lanes, the 4096 blocks and the copy blocks.
const SUMSQ_SIZES = [1_280_000, 131_072, 262_144, 524_288, 1024, 2, 0, 1, 7, 8, 9, 4095, 4096, 4097];
const SUMSQ_EDGES = [BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 4101];

test.each([...SUMSQ_SIZES, ...SUMSQ_EDGES])(
  'sumSquares of %i floats: the documented order bit for bit, within its bound of the exact sum',
  (n) => {
    const x = floats(n, n % 89, -3, 3, false);
    for (const init of [0, 2.5, 1e6]) {
      const got = wasm.sumSquares?.(x, init) as number;
      expect(Object.is(got, sumSquaresInOrder(x, init)), `n=${n} init=${init}: ${got}`).toBe(true);
      const exact = sumSquaresExact(x, init);
      expect(Math.abs(got - exact), `n=${n} init=${init}`).toBeLessThanOrEqual(sumSquaresBound(n) * exact);
      // The js kernel's one running sum is within the same kind of bound ((n + 1)·2⁻⁵³).
      expect(Math.abs(jsBackend.sumSquares(x, init) - exact)).toBeLessThanOrEqual((n + 2) * 2 ** -53 * exact);
    }
  },
);

test('sumSquares: NaN and ±Infinity propagate, −0 adds +0, float64 storage runs the js kernel', () => {
  const x = floats(20_000, 4, -1, 1, false);
  x[13_000] = Number.NaN;
  expect(wasm.sumSquares?.(x, 0)).toBeNaN();
  x[13_000] = -Infinity;
  expect(wasm.sumSquares?.(x, 0)).toBe(Infinity);
  expect(Object.is(wasm.sumSquares?.(new Float32Array([-0, -0, -0]), 0), 0)).toBe(true);
  expect(Object.is(wasm.sumSquares?.(new Float32Array(9).fill(-0), -0), 0)).toBe(true); // −0 + +0 = +0
  const d = Float64Array.from(floats(9000, 5, -3, 3, false));
  expect(Object.is(wasm.sumSquares?.(d, 1), jsBackend.sumSquares(d, 1))).toBe(true);
});

test.skipIf(!listBackends().includes('native'))(
  "sumSquares: the native addon's bits (the same order: its sum_squares in ops-kernels.c)",
  () => {
    const before = backend().name;
    setBackend('native');
    const native = backend();
    setBackend(before);
    for (const n of [...SUMSQ_SIZES, ...SUMSQ_EDGES]) {
      const x = floats(n, n % 83, -3, 3, false);
      const [a, b] = [wasm.sumSquares?.(x, 2.5), native.sumSquares?.(x, 2.5)];
      expect(Object.is(a, b), `n=${n}: wasm ${a}, native ${b}`).toBe(true);
    }
  },
);
