// The forward-only recurrence with its input projection (`recurrentInferMany` with x and W_ih, one
// call per layer as the layers make it) on W1's two layers (both directions, B = 32, T = 50, H =
// 256, I = 128 then 512) and W2's (B = 64, T = 100, H = 128, I = 64, x batch-first), in a loop:
// this build's addon, and another build's (`--old`, say main's, built in a scratch worktree)
// alternating with it in one process, each with its own thread pool.
//
//   pnpm --filter @seqlab/native bench:infer [--old /tmp/base.node] [--threads 1] [--reps 9]
//     [--shapes W1l1,W1l2,W2] [--only /tmp/other.node]
//
// Per shape: the median over `reps` rounds of process CPU ms and wall ms per call (5 calls a round
// after one untimed), GFLOP/s of both products (x W_ihᵀ and h W_hhᵀ every step), the one-core
// register-only FMA peak measured after them, with --old the ratios new / old and how many output
// floats differ between the builds (0: the same bits). CPU time counts every thread of the process,
// so with one thread it is the work and holds on a shared machine better than wall time. `--only`
// times that addon alone, under `perf record -e cycles:u` say, where counting cycles leaves out the
// time the machine gives to other jobs.
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NativeAddon } from '../src/addon';
import { loadNative } from '../src/load';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '9' },
    old: { type: 'string' },
    only: { type: 'string' },
    shapes: { type: 'string', default: 'W1l1,W1l2,W2' },
  },
});
const require = createRequire(import.meta.url);
let current: NativeAddon;
if (values.only) {
  current = require(values.only) as NativeAddon;
} else {
  const load = loadNative();
  if (!load.ok) {
    console.error(`@seqlab/native: ${load.reason}`);
    process.exit(1);
  }
  current = load.addon;
}
const addons: [string, NativeAddon][] = [['new', current]];
if (values.old) addons.push(['old', require(values.old) as NativeAddon]);
for (const [, addon] of addons) addon.setThreads(Number(values.threads));

const fill = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i * 12.9898 + seed));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const shapes = [
  { name: 'W1l1', B: 32, T: 50, H: 256, I: 128, D: 2 },
  { name: 'W1l2', B: 32, T: 50, H: 256, I: 512, D: 2 },
  { name: 'W2', B: 64, T: 100, H: 128, I: 64, D: 1 },
].filter((s) => values.shapes.split(',').includes(s.name));

for (const s of shapes) {
  const N = s.B * s.T;
  const GH = 4 * s.H;
  const x = fill(N * s.I, 1);
  const out = new Float32Array(N * s.D * s.H);
  const calls = Array.from({ length: s.D }, (_, d) => ({
    cell: 'lstm' as const,
    hidden: s.H,
    outSize: s.H,
    batch: s.B,
    batchSizes: new Int32Array(s.T).fill(s.B),
    reverse: d === 1,
    x,
    inputSize: s.I,
    wIh: fill(GH * s.I, 2 + d),
    xBiases: [fill(GH, 3 + d), fill(GH, 4 + d)],
    xBatchFirst: s.D === 1,
    wHh: fill(GH * s.H, 5 + d),
    bHh: null,
    h0: new Float32Array(s.B * s.H),
    c0: new Float32Array(s.B * s.H),
    out,
    outStride: s.D * s.H,
    outOffset: d * s.H,
    hN: new Float32Array(s.B * s.H),
    cN: new Float32Array(s.B * s.H),
  }));
  const flops = s.D * (2 * N * s.I * GH + 2 * N * s.H * GH);
  const cpu: Record<string, number[]> = Object.fromEntries(addons.map(([name]) => [name, []]));
  const wall: Record<string, number[]> = Object.fromEntries(addons.map(([name]) => [name, []]));
  const results: Record<string, Float32Array> = {};
  for (let r = 0; r < Number(values.reps); r++) {
    for (const [name, addon] of addons) {
      // Both builds write the same out: cleared first, so each build's floats are its own.
      out.fill(Number.NaN);
      addon.recurrentInferMany(calls);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) addon.recurrentInferMany(calls);
      const c = process.cpuUsage(c0);
      wall[name].push((performance.now() - t0) / 5);
      cpu[name].push((c.user + c.system) / 1000 / 5);
      results[name] = out.slice();
    }
  }
  const peak = current.fmaPeak(2e7).cpu;
  const figures = addons.map(([name]) => {
    const [c, w] = [median(cpu[name]), median(wall[name])];
    return `${name} CPU ${c.toFixed(2)} ms (${(flops / c / 1e6).toFixed(1)} GFLOP/s), wall ${w.toFixed(2)} ms`;
  });
  if (values.old) {
    let differ = 0;
    for (let i = 0; i < out.length; i++) if (!Object.is(results.new[i], results.old[i])) differ++;
    figures.push(
      `new / old CPU ${(median(cpu.new) / median(cpu.old)).toFixed(3)}, wall ${(median(wall.new) / median(wall.old)).toFixed(3)}, ${differ} floats differ`,
    );
  }
  console.log(
    `${s.name}: ${figures.join('; ')}; FMA peak ${peak.toFixed(1)} GFLOP/s; load ${loadavg()[0].toFixed(1)}`,
  );
}
