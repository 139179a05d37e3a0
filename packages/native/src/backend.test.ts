// The native backend object: float32 GEMMs go to the addon in place, float64 ones to the js
// kernels; packB's panels are the addon's own and never reach a js kernel. Its agreement with the
// reference kernels on every kernel is the conformance suite's job
// (packages/tensor/src/backend/conformance.test.ts, which runs native through the test matrix);
// the fused recurrence's is recurrent.test.ts.
import {
  BackendError,
  Generator,
  getBackend,
  noGrad,
  randn,
  recurrentLayer,
  setBackend,
} from '@seqlab/tensor';
import { jsBackend, jsGemmKernels, registerBackend } from '@seqlab/tensor/backend';
import { describe, expect, test } from 'vitest';
import type { NativeAddon } from './addon';
import { createNativeBackend, nativeGemmKernels } from './backend';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

/** The addon with a count of calls per function. */
function counting(addon: NativeAddon): { addon: NativeAddon; calls: Record<string, number> } {
  const calls: Record<string, number> = { gemm: 0, packB: 0, gemmPacked: 0 };
  return {
    calls,
    addon: {
      ...addon,
      gemm: (...args) => {
        calls.gemm++;
        addon.gemm(...args);
      },
      packB: (...args) => {
        calls.packB++;
        return addon.packB(...args);
      },
      gemmPacked: (...args) => {
        calls.gemmPacked++;
        addon.gemmPacked(...args);
      },
    },
  };
}

describe.skipIf(!load.ok)(`the native backend${skipped}`, () => {
  if (!load.ok) return;

  test('reports the instruction set and the threads it runs on, as they change', () => {
    const addon = load.addon;
    const native = createNativeBackend(addon);
    const threads = addon.threads();
    const isa = addon.gemmInfo().isa;
    try {
      expect(native.isa()).toBe(isa);
      expect(native.threads()).toBe(threads);
      addon.setThreads(threads === 1 ? 2 : 1);
      expect(native.threads()).toBe(threads === 1 ? 2 : 1);
      expect(addon.setIsa('scalar')).toBe(true);
      expect(native.isa()).toBe('scalar');
    } finally {
      addon.setThreads(threads);
      addon.setIsa(isa);
    }
  });

  test('runs float32 GEMMs in the addon and float64 ones in js, bit for bit', () => {
    const { addon, calls } = counting(load.addon);
    const native = createNativeBackend(addon);
    expect(native.name).toBe('native');
    const a64 = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const b64 = Float64Array.from({ length: 20 }, (_, i) => Math.cos(i));
    const got = new Float64Array(15);
    const want = new Float64Array(15);
    native.gemm(false, true, 3, 5, 4, a64, 0, b64, 0, got, 0, false);
    jsBackend.gemm(false, true, 3, 5, 4, a64, 0, b64, 0, want, 0, false);
    expect(got).toEqual(want);
    expect(calls.gemm).toBe(0);
    native.gemm(
      false,
      true,
      3,
      5,
      4,
      new Float32Array(a64),
      0,
      new Float32Array(b64),
      0,
      new Float32Array(15),
      0,
      false,
    );
    expect(calls.gemm).toBe(1);
  });

  test("the addon's panels only reach the addon, and js panels only the js kernel", () => {
    const { addon, calls } = counting(load.addon);
    const kernels = nativeGemmKernels(addon);
    const [m, n, k] = [3, 37, 5];
    const a = Float32Array.from({ length: m * k }, (_, i) => i / 7 - 1);
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const want = new Float32Array(m * n);
    jsBackend.gemm(false, false, m, n, k, a, 0, b, 0, want, 0, false);

    const panels = kernels.packB(false, k, n, b, 0);
    expect(panels).not.toEqual(jsGemmKernels.packB(false, k, n, b, 0));
    const got = new Float32Array(m * n);
    kernels.gemmPacked(m, n, k, a, 0, panels, got, 0, false);
    expect(calls).toEqual({ gemm: 0, packB: 1, gemmPacked: 1 });
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);

    // float64 (gradcheck) packs and multiplies in js.
    const a64 = new Float64Array(a);
    const panels64 = kernels.packB(false, k, n, new Float64Array(b), 0);
    expect(panels64).toBeInstanceOf(Float64Array);
    const got64 = new Float64Array(m * n);
    kernels.gemmPacked(m, n, k, a64, 0, panels64, got64, 0, false);
    expect(calls).toEqual({ gemm: 0, packB: 1, gemmPacked: 1 });
    for (let i = 0; i < got.length; i++) expect(got64[i]).toBeCloseTo(want[i], 5);

    // A float32 array packed by js is read by the js kernel.
    const jsPanels = jsGemmKernels.packB(false, k, n, b, 0);
    const viaJs = new Float32Array(m * n);
    kernels.gemmPacked(m, n, k, a, 0, jsPanels, viaJs, 0, false);
    expect(calls.gemmPacked).toBe(1);
    expect(viaJs).toEqual(want);
  });

  test('refuses float64 rows against panels the addon packed, and panels packed for another kernel', () => {
    const kernels = nativeGemmKernels(load.addon);
    const b = new Float32Array(12);
    const panels = kernels.packB(false, 3, 4, b, 0);
    expect(() =>
      kernels.gemmPacked(2, 4, 3, new Float64Array(6), 0, panels, new Float64Array(8), 0, false),
    ).toThrow(BackendError);
    expect(() =>
      kernels.gemmPacked(2, 4, 3, new Float64Array(6), 0, panels, new Float64Array(8), 0, false),
    ).toThrow(
      'native gemmPacked: expected float32 A and C with a float32 packed B, got Float64Array and Float64Array',
    );
    const initial = load.addon.gemmInfo().isa;
    // avx512 packs 32-wide panels, scalar 8 (16 off x86).
    if (initial !== 'avx512') return;
    try {
      load.addon.setIsa('scalar');
      expect(() =>
        kernels.gemmPacked(2, 4, 3, new Float32Array(6), 0, panels, new Float32Array(8), 0, false),
      ).toThrow(
        `gemmPacked: expected B packed in panels of ${load.addon.gemmInfo().nr} (the scalar micro-kernel), got panels of 32`,
      );
    } finally {
      load.addon.setIsa(initial);
    }
  });

  test('uninitializedStorage: an array of its own buffer, not zero-filled when big; small ones as usual', () => {
    const native = createNativeBackend(load.addon);
    const big = native.uninitializedStorage?.('float32', 100_000) as Float32Array;
    expect(big).toBeInstanceOf(Float32Array);
    expect(big.length).toBe(100_000);
    expect([big.byteOffset, big.buffer.byteLength]).toEqual([0, 400_000]);
    const d = native.uninitializedStorage?.('float64', 5000) as Float64Array;
    expect(d).toBeInstanceOf(Float64Array);
    expect([d.length, d.byteOffset, d.buffer.byteLength]).toEqual([5000, 0, 40_000]);
    const small = native.uninitializedStorage?.('float32', 10) as Float32Array;
    expect(Array.from(small)).toEqual(Array(10).fill(0));
  });

  test('the forward-only layer writes every element of its out (stale memory in, the same bits out)', () => {
    const native = createNativeBackend(load.addon);
    const stale = {
      ...native,
      name: 'native-stale',
      uninitializedStorage: (dtype: 'float32' | 'float64', n: number) =>
        (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)).fill(Number.NaN),
    };
    const initial = getBackend().name;
    const gen = new Generator(5);
    const t = (shape: number[]) => randn(shape, { generator: gen });
    // W2's cell on a small batch: 9 sequences of 7 steps, 16 inputs, hidden 24, both directions.
    const x = t([63, 16]);
    const layer = [0, 1].map((d) => ({
      cell: 'lstm' as const,
      input: { x, wIh: t([96, 16]), biases: [t([96]), t([96])] },
      wHh: t([96, 24]),
      bHh: null,
      wHr: null,
      h0: t([9, 24]),
      c0: t([9, 24]),
      batchSizes: new Int32Array(7).fill(9),
      reverse: d === 1,
    }));
    try {
      registerBackend(native);
      registerBackend(stale);
      setBackend('native');
      const want = noGrad(() => recurrentLayer(layer).out);
      setBackend('native-stale');
      const got = noGrad(() => recurrentLayer(layer).out);
      expect(Buffer.compare(Buffer.from(got.data.buffer), Buffer.from(want.data.buffer))).toBe(0);
    } finally {
      setBackend(initial);
    }
  });
});
