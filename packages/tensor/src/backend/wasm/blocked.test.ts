// The wasm backend's array kernels outside the GEMM (blocked.c, blocked.ts): Adam's update, the
// bias add and the sum over leading axes give the js kernels' numbers bit for bit (Object.is, so
// −0 and NaN count), on W1's shapes and on lengths around the copy blocks (BLOCK) and the kernels'
// vector widths. conformance.test.ts checks them against the reference on small random problems;
// this file holds the wasm backend to the exact bits a training step relies on.
import { expect, test } from 'vitest';
import type { AdamStepArgs } from '../backend';
import { jsBackend } from '../js/index';
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
