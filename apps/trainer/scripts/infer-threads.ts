// Native inference with 1 and 2 pool threads (and, on Linux, each thread pinned to a core) side by
// side in one process: `bench speed --mode infer`'s model and batch, blocks of steps per setting,
// the settings' order rotated every round so each sees the same machine load. Per step: wall ms,
// and from /proc/self/task/<tid>/schedstat each thread's ms on a CPU (run) and ms runnable without
// one (wait), for the main thread and the pool's workers. Prints, per setting, the median and p90
// of the step's wall time over every round, the median of the per-round medians, and the medians
// of run and wait per step; then the per-round ratio of each setting's median to the first's.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/infer-threads.ts \
//     [--workload W2] [--settings 1,2,1@0,1@1,2@0/1,2@1/0] [--rounds 8] [--steps 20] [--warmup 50]
//
// A setting is the pool's threads, then optionally `@` and the core of each thread (main thread
// first, then the workers, `/`-separated): `2@1/0` runs the main thread on core 1 and the worker on
// core 0; without `@` the threads are left to the scheduler (the process's own affinity). Pinning
// uses `taskset -pc` on the threads' ids and is undone (every thread back to the process's cores)
// after each block. --json prints one JSON line instead of the table.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registerNative, setNativeThreads } from '@seqlab/native';
import { noGrad, setBackend, type Tensor, tidy } from '@seqlab/tensor';
import type { WorkloadName } from '../src/commands/bench/workloads';
import { inferenceSetup, median } from './inference-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W2' },
    settings: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const status = registerNative({ retainFreedMemory: true });
if (!status.ok) throw new Error(`infer-threads: the native backend is unavailable: ${status.reason}`);
setBackend('native');

interface Setting {
  label: string;
  threads: number;
  cores: number[] | null;
}
const settings: Setting[] = values.settings.split(',').map((label) => {
  const [n, at] = label.split('@');
  const threads = Number(n);
  const cores = at === undefined ? null : at.split('/').map(Number);
  if (!Number.isInteger(threads) || threads < 1 || (cores && cores.length !== threads))
    throw new Error(`infer-threads: expected a setting like 2 or 2@0/1, got ${label}`);
  return { label, threads, cores };
});

const tids = (): number[] => readdirSync('/proc/self/task').map(Number);
const own = readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/)?.[1] ?? '0';
const pin = (tid: number, cores: string) =>
  execFileSync('taskset', ['-pc', cores, String(tid)], { stdio: 'ignore' });
/** ns on a CPU and ns runnable without one, of thread `tid`. */
function schedstat(tid: number): [number, number] {
  const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
  return [run, wait];
}
/** The core thread `tid` ran on last (/proc's stat field 39, counted after the command's name). */
function lastCore(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
}

const setup = inferenceSetup(values.workload as WorkloadName);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
// As bench speed's inference loop: the step in tidy, its logits kept until the next step.
let logits: Tensor | null = null;
const step = () => {
  logits = noGrad(() => tidy(() => setup.model.forward(setup.tokens)));
};

interface Block {
  wall: number[];
  mainRun: number[];
  mainWait: number[];
  poolRun: number[];
  poolWait: number[];
  /** Per step: 1 when the main thread was last on core 0, and the same for the first worker. */
  mainCore0: number[];
  poolCore0: number[];
}
const results = new Map<string, Block[]>(settings.map((s) => [s.label, []]));
const load0 = loadavg()[0];
// The first block of each setting also warms the process up (`warmup` untimed steps); every block
// then starts with 3 untimed steps, for the pool's new threads.
const warmed = new Set<number>();
const rounds = Number(values.rounds);
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < settings.length; k++) {
    const s = settings[(k + r) % settings.length];
    const before = new Set(tids());
    setNativeThreads(s.threads);
    const pool = tids().filter((t) => !before.has(t));
    const threads = [process.pid, ...pool];
    if (s.cores) for (const [i, t] of threads.entries()) pin(t, String(s.cores[i]));
    const n = warmed.has(s.threads) ? 3 : warmup;
    warmed.add(s.threads);
    for (let i = 0; i < n; i++) step();
    const b: Block = {
      wall: [],
      mainRun: [],
      mainWait: [],
      poolRun: [],
      poolWait: [],
      mainCore0: [],
      poolCore0: [],
    };
    for (let i = 0; i < steps; i++) {
      const s0 = threads.map(schedstat);
      const t0 = performance.now();
      step();
      const wall = performance.now() - t0;
      const s1 = threads.map(schedstat);
      b.wall.push(wall);
      b.mainRun.push((s1[0][0] - s0[0][0]) / 1e6);
      b.mainWait.push((s1[0][1] - s0[0][1]) / 1e6);
      let run = 0;
      let wait = 0;
      for (let j = 1; j < threads.length; j++) {
        run += s1[j][0] - s0[j][0];
        wait += s1[j][1] - s0[j][1];
      }
      b.poolRun.push(run / 1e6);
      b.poolWait.push(wait / 1e6);
      b.mainCore0.push(lastCore(threads[0]) === 0 ? 1 : 0);
      if (threads.length > 1) b.poolCore0.push(lastCore(threads[1]) === 0 ? 1 : 0);
    }
    if (s.cores) for (const t of threads) pin(t, own);
    results.get(s.label)?.push(b);
  }
}
const load1 = loadavg()[0];
// The last step's logits (the same for every setting: the split does not change the bits).
const logitsSum = (logits as Tensor | null)?.sum().item();

const quantile = (xs: readonly number[], q: number) => {
  const v = [...xs].sort((a, b) => a - b);
  const at = (v.length - 1) * q;
  const lo = Math.floor(at);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (at - lo);
};
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const round2 = (x: number) => Math.round(x * 100) / 100;
const first = results.get(settings[0].label) ?? [];
const summary = settings.map(({ label }) => {
  const blocks = results.get(label) ?? [];
  const all = (k: keyof Block) => blocks.flatMap((b) => b[k]);
  const ratios = blocks.map((b, i) => median(b.wall) / median(first[i].wall));
  return {
    setting: label,
    median_ms: round2(median(all('wall'))),
    p90_ms: round2(quantile(all('wall'), 0.9)),
    round_medians_ms: blocks.map((b) => round2(median(b.wall))),
    main_run_ms: round2(median(all('mainRun'))),
    main_wait_ms: round2(median(all('mainWait'))),
    pool_run_ms: round2(median(all('poolRun'))),
    pool_wait_ms: round2(median(all('poolWait'))),
    main_on_core0: round2(mean(all('mainCore0'))),
    pool_on_core0: round2(mean(all('poolCore0'))),
    ratio: round2(median(ratios)),
    ratio_range: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
  };
});
if (values.json) {
  console.log(
    JSON.stringify({
      workload: values.workload,
      rounds,
      steps,
      load: [load0, load1],
      logits_sum: logitsSum,
      summary,
    }),
  );
} else {
  console.log(
    `${values.workload} native inference, ${rounds} rounds of ${steps} steps per setting; load ${load0.toFixed(2)} → ${load1.toFixed(2)}; logits sum ${logitsSum}`,
  );
  console.log(
    `| setting | median ms | p90 ms | main run / wait ms | pool run / wait ms | on core 0: main, pool | / ${settings[0].label}, per round |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const s of summary)
    console.log(
      `| ${s.setting} | ${s.median_ms} | ${s.p90_ms} | ${s.main_run_ms} / ${s.main_wait_ms} | ${s.pool_run_ms} / ${s.pool_wait_ms} | ${s.main_on_core0}, ${s.pool_on_core0} | ${s.ratio} (${s.ratio_range[0]}-${s.ratio_range[1]}) |`,
    );
}
