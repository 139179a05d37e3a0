// The arithmetic and the table of `wasm-floor.mjs`: pure, tested in wasm-floor-table.test.mjs.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** The target: a wasm W1 training step in ≤ 1.5× PyTorch's single-threaded time. */
export const TARGET = 1.5;

/** Median, min and max of the finite values of `xs`, or nulls when there are none. */
function spread(xs) {
  const v = xs.filter((x) => x !== null && Number.isFinite(x));
  if (v.length === 0) return { median: null, min: null, max: null };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

/**
 * The floor of a wasm step from its measurements. Each round measured, back to back, PyTorch's
 * step, the wasm step, the SIMD128 peak and the GEMM kernel's rate: the per-round ratios compare
 * what ran within a minute of each other (a shared machine's speed moves from minute to minute).
 *
 * @param {object} m
 * @param {number} m.flops GEMM flops of one step
 * @param {number | null} m.relaxedPeak relaxed_madd peak, GFLOP/s (null: not measured)
 * @param {{ torch: number | null, wasm: number | null, peak: number, kernel: number | null }[]} m.rounds
 *   per round: each side's step (ms), the mul + add peak and the kernel alone (GFLOP/s)
 * @param {{ stepMs: number, exportMs: number, backendMs: number } | null} m.split the counted step's
 *   time: the whole step, inside the WebAssembly exports, inside the backend's wasm calls
 *   (exports + the JavaScript copies around them)
 */
export function floorSummary(m) {
  const gemmMs = (gflops) => (gflops ? m.flops / gflops / 1e6 : null);
  const per = (f) => spread(m.rounds.map((r) => (r.torch === null ? null : f(r))));
  const torch = spread(m.rounds.map((r) => r.torch)).median;
  const peak = spread(m.rounds.map((r) => r.peak)).median;
  const kernelRate = spread(m.rounds.map((r) => r.kernel)).median;
  const ratio = per((r) => (r.wasm === null ? null : r.wasm / r.torch));
  return {
    flops: m.flops,
    peak,
    relaxedPeak: m.relaxedPeak,
    kernelRate,
    atPeakMs: gemmMs(peak),
    atRelaxedMs: gemmMs(m.relaxedPeak),
    atKernelMs: gemmMs(kernelRate),
    torchMs: torch,
    targetMs: torch === null ? null : TARGET * torch,
    wasmMs: spread(m.rounds.map((r) => r.wasm)).median,
    ratio,
    atPeakRatio: per((r) => gemmMs(r.peak) / r.torch),
    atKernelRatio: per((r) => (r.kernel ? gemmMs(r.kernel) / r.torch : null)),
    // What the wasm step spends outside the GEMM at the kernel's rate, × PyTorch's step.
    restRatio: per((r) => (r.wasm === null || !r.kernel ? null : (r.wasm - gemmMs(r.kernel)) / r.torch)),
    split: m.split,
  };
}

/**
 * The verdict on the target, from the medians of the per-round ratios: met (the wasm step is
 * ≤ 1.5× PyTorch's), out of reach (the GEMM flops alone at the SIMD128 peak take longer than 1.5×
 * PyTorch's whole step, or at the kernel's rate), or what is left for everything that is not the
 * GEMM (with the GEMM at the kernel's rate) against what the step spends on it now.
 */
export function verdict(s) {
  if (s.torchMs === null) return 'no verdict: PyTorch was not measured';
  const x = (r) => `${r.toFixed(2)}×`;
  if (s.ratio.median !== null && s.ratio.median <= TARGET)
    return `MET: the wasm step is ${x(s.ratio.median)} PyTorch's single thread (≤ ${TARGET}×)`;
  if (s.atPeakRatio.median >= TARGET)
    return `OUT OF REACH for one SIMD128 thread: the GEMM flops alone at the mul + add peak take ${x(s.atPeakRatio.median)} PyTorch's whole step (> ${TARGET}×)`;
  const atKernel = s.atKernelRatio.median;
  const gemm = atKernel ?? s.atPeakRatio.median;
  const rate = atKernel === null ? 'the peak' : "the kernel's rate";
  if (gemm >= TARGET)
    return `OUT OF REACH at ${rate}: the GEMM alone takes ${x(gemm)} PyTorch's step (> ${TARGET}×); only a faster kernel (nearer the peak, or FMA) could leave room`;
  const left = TARGET - gemm;
  const now = s.restRatio.median;
  const today =
    now === null
      ? ''
      : ` (the wasm step spends ${x(now)} on it today: it would have to shrink to ${(left / now).toFixed(2)} of that)`;
  return `NOT MET: with the GEMM at ${rate} (${x(gemm)} PyTorch's step), ≤ ${TARGET}× leaves ${x(left)} PyTorch's step for everything else${today}`;
}

const ms = (x) => (x === null ? 'n/a' : `${x.toFixed(0)} ms`);
const times = (x, torch) => (x === null || torch === null ? '' : `${(x / torch).toFixed(2)}×`);
const range = (r) =>
  r.median === null ? '' : `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;

/**
 * The report: a Markdown table (ms per step, medians over the rounds; × PyTorch's single thread,
 * the median and range of the per-round ratios) and the verdict line.
 */
export function formatFloor(s) {
  const rows = [
    ['GEMM flops per step', `${(s.flops / 1e9).toFixed(2)} GFLOP`, ''],
    ['SIMD128 mul + add peak', `${s.peak.toFixed(1)} GFLOP/s`, ''],
  ];
  if (s.relaxedPeak !== null)
    rows.push(['relaxed_madd peak (for the record)', `${s.relaxedPeak.toFixed(1)} GFLOP/s`, '']);
  if (s.kernelRate !== null)
    rows.push([
      'wasm GEMM kernel alone (median over the shapes)',
      `${s.kernelRate.toFixed(1)} GFLOP/s`,
      `${((100 * s.kernelRate) / s.peak).toFixed(0)}% of peak`,
    ]);
  rows.push(
    ['PyTorch 1 thread, the step', ms(s.torchMs), s.torchMs === null ? '' : '1.00×'],
    [`the target, ${TARGET}×`, ms(s.targetMs), s.targetMs === null ? '' : `${TARGET.toFixed(2)}×`],
    ['GEMM alone at the SIMD128 peak', ms(s.atPeakMs), range(s.atPeakRatio)],
  );
  if (s.atRelaxedMs !== null)
    rows.push(['GEMM alone at the relaxed_madd peak', ms(s.atRelaxedMs), times(s.atRelaxedMs, s.torchMs)]);
  if (s.atKernelMs !== null)
    rows.push(["GEMM alone at the kernel's rate", ms(s.atKernelMs), range(s.atKernelRatio)]);
  rows.push(['wasm step (seqlab bench speed)', ms(s.wasmMs), range(s.ratio)]);
  if (s.restRatio.median !== null)
    rows.push(["wasm step outside the GEMM (at the kernel's rate)", '', range(s.restRatio)]);
  if (s.split) {
    const { stepMs, exportMs, backendMs } = s.split;
    const pct = (x) => `${((100 * x) / stepMs).toFixed(0)}%`;
    rows.push(
      ['counted step: inside the WebAssembly kernels', `${exportMs.toFixed(0)} ms`, pct(exportMs)],
      [
        'counted step: JS around them (copies in and out)',
        `${(backendMs - exportMs).toFixed(0)} ms`,
        pct(backendMs - exportMs),
      ],
      [
        'counted step: outside the wasm calls',
        `${(stepMs - backendMs).toFixed(0)} ms`,
        pct(stepMs - backendMs),
      ],
    );
  }
  const lines = [
    '| | value | × PyTorch 1 thread: median (range) of the rounds / share of the step |',
    '|---|---:|---:|',
  ];
  for (const [a, b, c] of rows) lines.push(`| ${a} | ${b} | ${c} |`);
  lines.push('', `verdict: ${verdict(s)}`);
  return lines.join('\n');
}
