// GEMM throughput of the native addon: GFLOP/s per shape, thread count and instruction set.
//
//   pnpm --filter @seqlab/native bench [--threads 1,2] [--isa avx512,avx2,scalar] [--reps 9]
//
// Shapes are the anchor workloads' (../../shared/bench/anchors/README.md, C = A[M, K] B[K, N]):
// the input projections run the Backend's `gemm` (x W_ihᵀ, B packed inside every call), the
// recurrent steps `gemmPacked` over W_hh packed once, as the recurrent loop does. Each figure is
// the median of `reps` timed runs after a warm-up, each run right after a timing of the
// instruction set's register-only FMA peak on one core, so the percentage is a side-by-side ratio
// (on a busy machine the absolute figures drift with the load; the load average is printed).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NativeIsa } from '../src/addon';
import { loadNative } from '../src/load';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    isa: { type: 'string' },
    reps: { type: 'string', default: '9' },
  },
});

const load = loadNative();
if (!load.ok) {
  console.error(`@seqlab/native: ${load.reason}`);
  process.exit(1);
}
const { addon } = load;
const reps = Number(values.reps);
const threadCounts = values.threads.split(',').map(Number);
const isas = (values.isa?.split(',') ?? ['avx512', 'avx2', 'scalar']) as NativeIsa[];

interface Shape {
  name: string;
  m: number;
  k: number;
  n: number;
  packed: boolean;
}
const SHAPES: Shape[] = [
  { name: 'W1_l1_input_proj', m: 1600, k: 128, n: 1024, packed: false },
  { name: 'W1_l2_input_proj', m: 1600, k: 512, n: 1024, packed: false },
  { name: 'W1_recurrent', m: 32, k: 256, n: 1024, packed: true },
  { name: 'W2_input_proj', m: 6400, k: 64, n: 512, packed: false },
  { name: 'W2_recurrent', m: 64, k: 128, n: 512, packed: true },
  { name: 'sq512', m: 512, k: 512, n: 512, packed: false },
];

const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

/**
 * Median GFLOP/s of the shape, and its median ratio to the instruction set's register-only FMA
 * peak on one core (`fmaPeak`), each round timing the peak right before the GEMM: on a shared
 * machine only such side-by-side ratios mean anything.
 */
function measure({ m, k, n, packed }: Shape): { gflops: number; ofPeak: number } {
  const a = random(m * k);
  const b = random(n * k);
  const c = new Float32Array(m * n);
  const p = addon.packB(true, k, n, b, 0);
  const nr = addon.gemmInfo().nr;
  const run = packed
    ? () => addon.gemmPacked(m, n, k, a, 0, p, c, 0, false, nr)
    : () => addon.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
  // Enough calls per timed run for ~20 ms, and peak rounds for ~10 ms.
  const t0 = performance.now();
  run();
  const once = Math.max(performance.now() - t0, 1e-3);
  const calls = Math.max(1, Math.ceil(20 / once));
  const peakIters = Math.ceil((10e-3 * addon.fmaPeak(1e6).wall * 1e9) / 512);
  for (let i = 0; i < calls; i++) run();
  const gflops: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < reps; r++) {
    const peak = addon.fmaPeak(peakIters).wall;
    const start = performance.now();
    for (let i = 0; i < calls; i++) run();
    const ms = (performance.now() - start) / calls;
    gflops.push((2 * m * n * k) / (ms * 1e6));
    ratios.push(gflops[r] / peak);
  }
  return { gflops: median(gflops), ofPeak: median(ratios) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; median of ${reps} runs`,
);
for (const isa of isas) {
  if (!addon.setIsa(isa)) {
    console.log(`${isa}: not supported by this CPU or build`);
    continue;
  }
  const header = [
    'shape (M x K x N)'.padEnd(32),
    ...threadCounts.map((t) => `${t} thread${t > 1 ? 's' : ''}`.padStart(17)),
  ];
  const peak = median(Array.from({ length: 5 }, () => addon.fmaPeak(2e6).wall));
  console.log(
    `\nisa ${isa} (micro-kernel ${addon.gemmInfo().mr}x${addon.gemmInfo().nr}; one-core FMA peak now ≈ ${peak.toFixed(0)} GFLOP/s)`,
  );
  console.log('GFLOP/s (and % of the one-core FMA peak timed beside it)');
  console.log(header.join('  '));
  for (const shape of SHAPES) {
    const row = [`${shape.name} ${shape.m}x${shape.k}x${shape.n}`.padEnd(32)];
    for (const t of threadCounts) {
      addon.setThreads(t);
      const { gflops, ofPeak } = measure(shape);
      row.push(`${gflops.toFixed(1).padStart(7)} (${(100 * ofPeak).toFixed(0).padStart(4)}%)`.padStart(17));
    }
    console.log(row.join('  '));
  }
}
