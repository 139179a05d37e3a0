// The training recurrence alone (`recurrentForward`, then `recurrentBackward` from its saved
// buffers) on one layer-direction of W2 (LSTM, B = 64, T = 100, H = 128) and W1 (LSTM, B = 32,
// T = 50, H = 256), and the backward's weight-gradient product by itself (dW_hh = dgatesᵀ hPrev,
// `gemm` with a transposed A: W2's [512, 6400] x [6400, 128]): this build's addon, and another
// build's (`--old`, say main's, built in a scratch worktree) alternating with it in one process,
// each with its own thread pool. Arguments: @seqlab/tensor's bench/recurrent-args.ts.
//
//   pnpm --filter @seqlab/native bench:train [--old <base>/packages/native/build/Release/seqlab_native.node] [--threads 1,2] [--reps 9]
//     [--shapes W2,W1,H20,B8] [--passes forward,backward,dW_hh] [--isa avx512|avx2|scalar]
//
// H20 (B = 24, T = 30, H = 20) and B8 (B = 8, T = 20, H = 200) are no workloads: H20's rows end in
// a partial vector of hidden units on every instruction set, and B8's batch, one micro-kernel
// block, splits each step by hidden units (two threads), for comparing the builds' floats there.
// --isa runs both builds on that micro-kernel and its gate math.
//
// Per shape, pass and thread count: the median over `reps` rounds of process CPU ms and wall ms
// per call (5 calls a round after one untimed, each timed alone after its inputs are reset; the
// gates written over xProj, as the layers call the forward), GFLOP/s of the pass's products over CPU time
// (forward: h W_hhᵀ every step; backward: dh = dgates W_hh every step and dW_hh), with --old the
// ratios new / old and how many floats of the results differ between the builds (0: the same
// bits). CPU time counts every thread of the process: with two threads, compare the builds by it
// (the work) and by wall time (the split).
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { RecurrentBackwardArgs } from '@seqlab/tensor/backend';
import { recurrentBenchArgs } from '../../tensor/bench/recurrent-args';
import type { NativeAddon } from '../src/addon';
import { loadNative } from '../src/load';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '9' },
    old: { type: 'string' },
    shapes: { type: 'string', default: 'W2,W1' },
    passes: { type: 'string', default: 'forward,backward,dW_hh' },
    isa: { type: 'string' },
  },
});
const require = createRequire(import.meta.url);
const load = loadNative();
if (!load.ok) {
  console.error(`@seqlab/native: ${load.reason}`);
  process.exit(1);
}
const addons: [string, NativeAddon][] = [['new', load.addon]];
if (values.old) addons.push(['old', require(values.old) as NativeAddon]);
for (const [name, addon] of addons)
  if (values.isa && !addon.setIsa(values.isa as Parameters<NativeAddon['setIsa']>[0])) {
    console.error(`train-ab: the ${name} build cannot run ${values.isa} here`);
    process.exit(1);
  }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const shapes = [
  { name: 'W2', B: 64, T: 100, H: 128 },
  { name: 'W1', B: 32, T: 50, H: 256 },
  { name: 'H20', B: 24, T: 30, H: 20 },
  { name: 'B8', B: 8, T: 20, H: 200 },
].filter((s) => values.shapes.split(',').includes(s.name));

type Pass = 'forward' | 'backward' | 'dW_hh';
// What each pass writes, compared between the builds.
const outputs = (a: RecurrentBackwardArgs, dw: Float32Array): Record<Pass, Float32Array[]> => ({
  forward: [a.out, a.gates, a.hPrev, a.hN, a.cN, a.cells, a.cPrev].filter(
    (x): x is Float32Array => x !== null,
  ),
  backward: [a.dxProj, a.dwHh, a.dh0, a.dc0].filter((x): x is Float32Array => x !== null),
  dW_hh: [dw],
});

console.log(
  `gate math ${load.addon.recurrentInfo().isa}, ${values.reps} rounds, load average ${loadavg()[0].toFixed(1)}` +
    (values.old ? `; old: ${values.old}` : ''),
);
for (const s of shapes) {
  const a = recurrentBenchArgs('lstm', s.B, s.T, s.H, (i, n) => Math.sin(i * 12.9898 + n));
  // The gates written over xProj, as the layers call it (overwriteXProj): restored before each call.
  a.gates = a.xProj;
  const xProj = a.xProj.slice();
  const h0 = a.h0?.slice();
  const c0 = a.c0?.slice();
  const N = s.B * s.T;
  const GH = 4 * s.H;
  const dw = new Float32Array(GH * s.H);
  const flops: Record<Pass, number> = {
    forward: 2 * N * s.H * GH,
    backward: 2 * 2 * N * s.H * GH,
    dW_hh: 2 * N * s.H * GH,
  };
  // Each call's inputs reset first, untimed.
  const reset: Record<Pass, () => void> = {
    forward: () => {
      a.xProj.set(xProj);
      a.h0?.set(h0 ?? []);
      a.c0?.set(c0 ?? []);
    },
    backward: () => a.dwHh.fill(0),
    dW_hh: () => {},
  };
  const run: Record<Pass, (addon: NativeAddon) => void> = {
    forward: (addon) => addon.recurrentForward(a),
    backward: (addon) => addon.recurrentBackward(a),
    // recurrentBenchArgs fills float32 arrays.
    dW_hh: (addon) =>
      addon.gemm(
        true,
        false,
        GH,
        s.H,
        N,
        a.dxProj as Float32Array,
        0,
        a.hPrev as Float32Array,
        0,
        dw,
        0,
        false,
      ),
  };
  const once = (pass: Pass, addon: NativeAddon) => {
    reset[pass]();
    run[pass](addon);
  };
  // CPU and wall ms of `calls` calls, each timed alone after its reset.
  const timed = (pass: Pass, addon: NativeAddon, calls: number) => {
    let cpu = 0;
    let wall = 0;
    for (let i = 0; i < calls; i++) {
      reset[pass]();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run[pass](addon);
      wall += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
    }
    return { cpu, wall };
  };
  for (const threads of values.threads.split(',').map(Number)) {
    for (const [, addon] of addons) addon.setThreads(threads);
    for (const pass of (['forward', 'backward', 'dW_hh'] as const).filter((p) =>
      values.passes.split(',').includes(p),
    )) {
      const cpu: Record<string, number[]> = Object.fromEntries(addons.map(([name]) => [name, []]));
      const wall: Record<string, number[]> = Object.fromEntries(addons.map(([name]) => [name, []]));
      const results: Record<string, Float32Array[]> = {};
      for (let r = 0; r < Number(values.reps); r++) {
        for (const [name, addon] of r % 2 ? [...addons].reverse() : addons) {
          // The backward and dW_hh read the forward's saved buffers: each build runs its own first.
          if (pass !== 'forward') once('forward', addon);
          if (pass === 'dW_hh') once('backward', addon);
          once(pass, addon);
          const t = timed(pass, addon, 5);
          wall[name].push(t.wall / 5);
          cpu[name].push(t.cpu / 5);
          results[name] = outputs(a, dw)[pass].map((x) => x.slice());
        }
      }
      const figures = addons.map(([name]) => {
        const [c, w] = [median(cpu[name]), median(wall[name])];
        return `${name} CPU ${c.toFixed(2)} ms (${(flops[pass] / c / 1e6).toFixed(0)} GFLOP/s), wall ${w.toFixed(2)}`;
      });
      if (values.old) {
        let differ = 0;
        results.new.forEach((x, k) => {
          for (let i = 0; i < x.length; i++) if (!Object.is(x[i], results.old[k][i])) differ++;
        });
        figures.push(
          `new / old CPU ${(median(cpu.new) / median(cpu.old)).toFixed(3)}, wall ${(median(wall.new) / median(wall.old)).toFixed(3)}, ${differ} floats differ`,
        );
      }
      console.log(`${s.name} ${pass} ${threads}t: ${figures.join('; ')}; load ${loadavg()[0].toFixed(1)}`);
    }
  }
}
