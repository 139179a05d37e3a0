// NOTE(saved-tanh-cells) on every backend: the LSTM forward saves tanh(c_t) (args.cells), the one
// it multiplied by o for h_t, and the backward reads that value rather than computing it again. Checked
// bit for bit: h_t = o ⊙ cells (wasm, native: float32 products), and every row's dL/d(o's
// pre-activation) = dh_t ⊙ cells ⊙ o(1 − o) with dh_t the row's dhTrace (every backend, float32 and
// float64). recordGates still hands the caller c_t itself: each row's equals the cN of the same
// sequence run only up to that step (forward) or from it (reverse), packed batches included.

import {
  Generator,
  getBackend,
  listBackends,
  noGrad,
  randn,
  recurrentSequence,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import { backend, type RecurrentBackwardArgs } from '@seqlab/tensor/backend';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FloatStorage } from '../dtype';

const H = 24;
const SIZES = [6, 6, 5, 3, 3, 1];

/** Float32: the float32 product of float32 operands (one rounding); float64: the product. */
function product(f32: boolean): (a: number, b: number) => number {
  return f32 ? (a, b) => Math.fround(a * b) : (a, b) => a * b;
}

function offsetsOf(sizes: readonly number[]): number[] {
  const offsets = [0];
  for (const bs of sizes) offsets.push(offsets[offsets.length - 1] + bs);
  return offsets;
}

/** An LSTM problem's kernel arguments, with a gradient on every output row and traces. */
function lstmArgs(seed: number, dtype: 'float32' | 'float64', reverse: boolean): RecurrentBackwardArgs {
  const g = new Generator(seed);
  const data = (n: number, scale: number) => {
    const t = randn([n], { generator: g, dtype }).mul(scale).data as FloatStorage;
    // Exact zeros among them, as a ReLU or a dropout before the layer gives.
    for (let i = 0; i < n; i += 7) t[i] = 0;
    return t;
  };
  const F = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const B = SIZES[0];
  const N = offsetsOf(SIZES)[SIZES.length];
  const GH = 4 * H;
  return {
    cell: 'lstm',
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: Int32Array.from(SIZES),
    reverse,
    xProj: data(N * GH, 1.5),
    wHh: data(GH * H, 0.4),
    bHh: null,
    wHr: null,
    h0: data(B * H, 0.5),
    c0: data(B * H, 2),
    out: F(N * H),
    hN: F(B * H),
    cN: F(B * H),
    gates: F(N * GH),
    hPrev: F(N * H),
    cells: F(N * H),
    cPrev: F(N * H),
    hFull: null,
    hhN: null,
    dOut: data(N * H, 1),
    dhN: data(B * H, 1),
    dcN: data(B * H, 1),
    dxProj: F(N * GH),
    dwHh: F(GH * H),
    dbHh: null,
    dwHr: null,
    dh0: F(B * H),
    dc0: F(B * H),
    dhTrace: F(N * H),
    dcTrace: F(N * H),
  };
}

describe.each(listBackends())('[%s backend] the LSTM keeps tanh(c_t) for its backward', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  // Float64 kernels: the js backend's alone.
  const dtypes: ('float32' | 'float64')[] = name === 'js' ? ['float32', 'float64'] : ['float32'];
  test.each(dtypes.flatMap((d) => [false, true].map((r): ['float32' | 'float64', boolean] => [d, r])))(
    '%s reverse=%s: the backward reads the saved tanh(c_t), the one h_t was made from',
    (dtype, reverse) => {
      const a = lstmArgs(11, dtype, reverse);
      const k = backend();
      k.recurrentForward(a);
      k.recurrentBackward(a);
      const f32 = dtype === 'float32';
      const mul = product(f32);
      const N = a.out.length / H;
      const cells = a.cells as FloatStorage;
      const dh = a.dhTrace as FloatStorage;
      let differ = 0;
      for (let r = 0; r < N; r++) {
        for (let u = 0; u < H; u++) {
          const o = a.gates[r * 4 * H + 3 * H + u];
          const tc = cells[r * H + u];
          expect(Math.abs(tc)).toBeLessThanOrEqual(1);
          // The C kernels: h_t = o ⊙ tanh(c_t), one float32 product of the saved values. (The js
          // kernel multiplies the unrounded o and tanh(c_t) in float64.)
          if (name !== 'js' && !Object.is(a.out[r * H + u], mul(o, tc))) differ++;
          // do = dh ⊙ tanh(c_t) ⊙ o(1 − o): the js kernel in float64 rounded once, the C kernels in float32.
          const want = f32
            ? name === 'js'
              ? Math.fround(dh[r * H + u] * tc * o * (1 - o))
              : mul(mul(mul(dh[r * H + u], tc), o), Math.fround(1 - o))
            : dh[r * H + u] * tc * o * (1 - o);
          if (!Object.is(a.dxProj[r * 4 * H + 3 * H + u], want)) differ++;
        }
      }
      expect(differ).toBe(0);
    },
  );

  test.each([false, true])("reverse=%s: recordGates' cells are c_t, bit for bit", (reverse) => {
    const g = new Generator(5);
    const B = SIZES[0];
    const offsets = offsetsOf(SIZES);
    const N = offsets[SIZES.length];
    const xProj = randn([N, 4 * H], { generator: g });
    const wHh = randn([4 * H, H], { generator: g }).mul(0.3);
    const h0 = randn([B, H], { generator: g });
    const c0 = randn([B, H], { generator: g }).mul(2);
    const run = (from: number, to: number): { cells: Tensor | null; cN: Tensor | null } =>
      noGrad(() =>
        recurrentSequence({
          cell: 'lstm',
          xProj: xProj.narrow(0, offsets[from], offsets[to] - offsets[from]),
          wHh,
          bHh: null,
          wHr: null,
          h0,
          c0,
          batchSizes: Int32Array.from(SIZES.slice(from, to)),
          reverse,
          recordGates: true,
        }),
      );
    const whole = run(0, SIZES.length).cells?.data as FloatStorage;
    expect(whole.length).toBe(N * H);
    for (let t = 0; t < SIZES.length; t++) {
      // The sequences' state after step t: run up to it (forward), or from the end down to it (reverse).
      const cN = (reverse ? run(t, SIZES.length) : run(0, t + 1)).cN?.data as FloatStorage;
      const got = Array.from(whole.subarray(offsets[t] * H, offsets[t + 1] * H));
      expect(got, `step ${t}`).toEqual(Array.from(cN.subarray(0, SIZES[t] * H)));
    }
  });
});
