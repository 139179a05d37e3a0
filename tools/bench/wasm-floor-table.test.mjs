import { describe, expect, it } from 'vitest';
import { floorSummary, formatFloor, verdict } from './wasm-floor-table.mjs';
import { peakModuleBytes } from './wasm-peak.mjs';

// 15 GFLOP at 50 GFLOP/s: 300 ms at the peak; at 40 GFLOP/s: 375 ms.
const base = {
  flops: 15e9,
  relaxedPeak: 60,
  rounds: [
    { torch: 400, wasm: 800, peak: 50, kernel: 40 },
    { torch: 420, wasm: 760, peak: 60, kernel: 48 },
    { torch: 380, wasm: 900, peak: 30, kernel: 20 },
  ],
  split: { stepMs: 800, exportMs: 500, backendMs: 600 },
};

describe('floorSummary', () => {
  it('gives the floors at the median rates, the medians and the per-round ratios', () => {
    const s = floorSummary(base);
    expect(s.peak).toBe(50);
    expect(s.kernelRate).toBe(40);
    expect(s.atPeakMs).toBeCloseTo(300, 9);
    expect(s.atRelaxedMs).toBeCloseTo(250, 9);
    expect(s.atKernelMs).toBeCloseTo(375, 9);
    expect(s.torchMs).toBe(400);
    expect(s.targetMs).toBe(600);
    expect(s.wasmMs).toBe(800);
    // Ratios 2.0, 760/420 = 1.81, 900/380 = 2.37: the median of the ratios, not of the times.
    expect(s.ratio.median).toBe(2);
    expect(s.ratio.min).toBeCloseTo(760 / 420, 12);
    expect(s.ratio.max).toBeCloseTo(900 / 380, 12);
    // Each round's floor at its own peak: 300/400, 250/420, 500/380.
    expect(s.atPeakRatio.median).toBeCloseTo(0.75, 12);
    expect(s.atPeakRatio.min).toBeCloseTo(250 / 420, 12);
    expect(s.atPeakRatio.max).toBeCloseTo(500 / 380, 12);
    // At its kernel's rate: 375/400, 312.5/420, 750/380; the rest: (800 − 375)/400, …
    expect(s.atKernelRatio.median).toBeCloseTo(375 / 400, 12);
    expect(s.restRatio.median).toBeCloseTo(425 / 400, 12);
    expect(s.restRatio.min).toBeCloseTo(150 / 380, 12);
  });

  it('leaves a round without one side out of the ratios, and has no PyTorch without its rounds', () => {
    const rounds = [
      { torch: null, wasm: 800, peak: 50, kernel: 40 },
      { torch: 400, wasm: 600, peak: 50, kernel: null },
    ];
    const s = floorSummary({ ...base, rounds });
    expect(s.ratio.median).toBe(1.5);
    expect(s.wasmMs).toBe(700);
    expect(s.atKernelRatio.median).toBeNull();
    const none = floorSummary({ ...base, rounds: [rounds[0]] });
    expect(none.torchMs).toBeNull();
    expect(none.ratio.median).toBeNull();
    expect(verdict(none)).toBe('no verdict: PyTorch was not measured');
  });
});

describe('verdict', () => {
  it('says what is left for the rest of the step when the GEMM fits', () => {
    // 1.5 − 0.9375 = 0.5625 of PyTorch's step left; today 1.0625 of it outside the GEMM.
    expect(verdict(floorSummary(base))).toBe(
      "NOT MET: with the GEMM at the kernel's rate (0.94× PyTorch's step), ≤ 1.5× leaves 0.56× PyTorch's step for everything else (the wasm step spends 1.06× on it today: it would have to shrink to 0.53 of that)",
    );
  });
  it('is out of reach when the GEMM alone at the peak exceeds 1.5×', () => {
    // Per round 800/400, 666.7/420, 1333/380: median 2.
    expect(verdict(floorSummary({ ...base, flops: 40e9 }))).toBe(
      "OUT OF REACH for one SIMD128 thread: the GEMM flops alone at the mul + add peak take 2.00× PyTorch's whole step (> 1.5×)",
    );
  });
  it("is out of reach at the kernel's rate when only the peak would fit", () => {
    // 28 GFLOP: at the peak 1.40× (median), at the kernel's rate 700/400 = 1.75×.
    expect(verdict(floorSummary({ ...base, flops: 28e9 }))).toMatch(
      /^OUT OF REACH at the kernel's rate: the GEMM alone takes 1\.75× PyTorch's step/,
    );
  });
  it('is met when the measured ratio is', () => {
    const rounds = [{ torch: 400, wasm: 560, peak: 50, kernel: 40 }];
    expect(verdict(floorSummary({ ...base, rounds }))).toBe(
      "MET: the wasm step is 1.40× PyTorch's single thread (≤ 1.5×)",
    );
  });
});

describe('formatFloor', () => {
  it('prints every row and the verdict', () => {
    const text = formatFloor(floorSummary(base));
    expect(text.split('\n')).toEqual([
      '| | value | × PyTorch 1 thread: median (range) of the rounds / share of the step |',
      '|---|---:|---:|',
      '| GEMM flops per step | 15.00 GFLOP |  |',
      '| SIMD128 mul + add peak | 50.0 GFLOP/s |  |',
      '| relaxed_madd peak (for the record) | 60.0 GFLOP/s |  |',
      '| wasm GEMM kernel alone (median over the shapes) | 40.0 GFLOP/s | 80% of peak |',
      '| PyTorch 1 thread, the step | 400 ms | 1.00× |',
      '| the target, 1.5× | 600 ms | 1.50× |',
      '| GEMM alone at the SIMD128 peak | 300 ms | 0.75× (0.60–1.32) |',
      '| GEMM alone at the relaxed_madd peak | 250 ms | 0.63× |',
      "| GEMM alone at the kernel's rate | 375 ms | 0.94× (0.74–1.97) |",
      '| wasm step (seqlab bench speed) | 800 ms | 2.00× (1.81–2.37) |',
      "| wasm step outside the GEMM (at the kernel's rate) |  | 1.06× (0.39–1.07) |",
      '| counted step: inside the WebAssembly kernels | 500 ms | 63% |',
      '| counted step: JS around them (copies in and out) | 100 ms | 13% |',
      '| counted step: outside the wasm calls | 200 ms | 25% |',
      '',
      `verdict: ${verdict(floorSummary(base))}`,
    ]);
  });
  it('leaves out what was not measured', () => {
    const rounds = base.rounds.map((r) => ({ ...r, kernel: null }));
    const text = formatFloor(floorSummary({ ...base, rounds, relaxedPeak: null, split: null }));
    expect(text).not.toMatch(/relaxed_madd|kernel|counted step/);
    expect(text).toMatch(/verdict: NOT MET: with the GEMM at the peak \(0\.75×/);
  });
});

describe('peakModuleBytes', () => {
  it.each(['mul-add', 'relaxed-madd'])('%s: 12 chains of acc * b + c, summed', (variant) => {
    const bytes = peakModuleBytes(variant);
    if (!WebAssembly.validate(bytes)) {
      // relaxed SIMD needs --experimental-wasm-relaxed-simd in Node 20; mul + add must always load.
      expect(variant).toBe('relaxed-madd');
      return;
    }
    const { peak } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    const f = Math.fround;
    const one = f(f(f(0.5) * f(3)) + f(0.25));
    expect(peak(1, 3, 0.25, 0.5)).toBe(f(12 * one));
    const two = f(f(one * f(3)) + f(0.25));
    expect(peak(2, 3, 0.25, 0.5)).toBe(f(12 * two));
  });
  it('refuses another variant', () => {
    expect(() => peakModuleBytes('fma')).toThrow(/expected 'mul-add' or 'relaxed-madd', got fma/);
  });
});
