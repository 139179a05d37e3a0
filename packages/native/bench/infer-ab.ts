// The forward-only recurrence with its input projection (`recurrentInferMany` with x and W_ih, one
// call per layer as the layers make it) on W1's two layers (both directions, B = 32, T = 50, H =
// 256, I = 128 then 512) and W2's (B = 64, T = 100, H = 128, I = 64, x batch-first), in a loop
// (shapes and arguments: @seqlab/tensor's bench/infer-args.ts, shared with its wasm twin):
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
import { inferArgs, inferShapes, median } from '../../tensor/bench/infer-args';
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

for (const s of inferShapes(values.shapes)) {
  // W2's x batch-first, as its layer gives it; no initial states.
  const { calls, out } = inferArgs(s, { xBatchFirst: true, zeroStates: true });
  const N = s.B * s.T;
  const GH = 4 * s.H;
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
