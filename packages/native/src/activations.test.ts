// The native gate math's tanh (src/c/recurrent-activations.h: a rational function, Eigen's, which
// the wasm backend's activations.h evaluates in another order), measured through the forward-only recurrence: a tanh RNN of one step
// from h0 = 0 outputs tanh(xProj) element for element. Swept over [−12, 12] and tiny |x| against
// Math.tanh in float64, on every instruction set this machine runs: within 5e-7 relative (the
// header's bound is 4.1e-7), odd, 0 at 0, ±1 past the clamp, NaN through.
import { describe, expect, test } from 'vitest';
import type { NativeIsa } from './addon';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

describe.skipIf(!load.ok)(`the native tanh${skipped}`, () => {
  if (!load.ok) return;
  const addon = load.addon;
  const initialIsa = addon.gemmInfo().isa;
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => {
    const ok = addon.setIsa(isa);
    addon.setIsa(initialIsa);
    return ok;
  });

  /** tanh of every value, as the tanh RNN's first step computes it (B rows of H = 37: odd tails). */
  function tanhOf(values: Float32Array): Float32Array {
    const H = 37;
    const B = Math.ceil(values.length / H);
    const xProj = new Float32Array(B * H);
    xProj.set(values);
    const out = new Float32Array(B * H);
    addon.recurrentInferMany([
      {
        cell: 'rnn_tanh',
        hidden: H,
        outSize: H,
        batch: B,
        batchSizes: Int32Array.of(B),
        reverse: false,
        xProj,
        wHh: new Float32Array(H * H).fill(0.5),
        bHh: null,
        h0: new Float32Array(B * H),
        c0: null,
        out,
        outStride: H,
        outOffset: 0,
        hN: new Float32Array(B * H),
        cN: null,
      },
    ]);
    return out.subarray(0, values.length);
  }

  test.each(isas)(
    'with the %s build: the exp behind σ keeps NaN and saturates at ±∞ (a GRU step from h0 = 0: (1 − σ(x_z)) tanh(x_n))',
    (isa) => {
      addon.setIsa(isa);
      try {
        const H = 5;
        const xz = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -100];
        const xProj = new Float32Array(3 * H);
        xProj.set(xz, H); // z gate
        xProj.fill(0.5, 2 * H); // n gate
        const out = new Float32Array(H);
        addon.recurrentInferMany([
          {
            cell: 'gru',
            hidden: H,
            outSize: H,
            batch: 1,
            batchSizes: Int32Array.of(1),
            reverse: false,
            xProj,
            wHh: new Float32Array(3 * H * H).fill(0.5),
            bHh: null,
            h0: new Float32Array(H),
            c0: null,
            out,
            outStride: H,
            outOffset: 0,
            hN: new Float32Array(H),
            cN: null,
          },
        ]);
        const t = Math.fround(Math.tanh(0.5));
        expect(out[0]).toBeNaN();
        expect(Array.from(out.subarray(1))).toEqual([0, t, Math.fround(t * 0.5), t]);
      } finally {
        addon.setIsa(initialIsa);
      }
    },
  );

  test.each(isas)('with the %s build: within 5e-7 relative of Math.tanh, odd, 0, ±1 and NaN', (isa) => {
    addon.setIsa(isa);
    try {
      const n = 200_001;
      const xs = Float32Array.from({ length: n + 60 }, (_, i) =>
        i < n ? -12 + (24 * i) / (n - 1) : (i % 2 ? -1 : 1) * 10 ** (-(i - n) / 2),
      );
      const got = tanhOf(xs);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < xs.length; i++) {
        const want = Math.tanh(xs[i]);
        const rel = want === 0 ? Math.abs(got[i]) : Math.abs(got[i] - want) / Math.abs(want);
        if (rel > worst) [worst, at] = [rel, xs[i]];
      }
      expect(worst, `worst relative error at x = ${at}`).toBeLessThan(5e-7);
      const neg = tanhOf(xs.map((x) => -x));
      // === (the step adds the product h0 W_hh = +0, so −0 comes out +0).
      expect(neg.every((v, i) => v === -got[i])).toBe(true);
      const special = tanhOf(
        Float32Array.of(0, 20, -20, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN),
      );
      expect(Array.from(special.subarray(0, 5))).toEqual([0, 1, -1, 1, -1]);
      expect(special[5]).toBeNaN();
    } finally {
      addon.setIsa(initialIsa);
    }
  });
});
