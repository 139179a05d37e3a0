// The per-step distribution of native (or wasm) inference: `seqlab bench speed --mode infer`'s loop
// (the workload's model in eval mode, `logits = model.forward(tokens)` under `noGrad`, the previous
// logits dropped by the next step) with every step's wall time, process CPU time (every thread:
// the pool's and V8's helpers), minor page faults, garbage-collector pauses on the main thread
// (count and ms, by kind: MC mark-compact, Sc scavenge, inc incremental marking) and the time
// inside the addon's calls. Prints p10/p50/p90 of each column and, with --each, one line a step,
// so slow steps can be set beside fast ones; with --json one JSON line instead.
//
// --repo runs another checkout's built packages and bench sources (as step-time.mts does), so two
// checkouts compare in alternating processes:
//
//   node --import tsx apps/trainer/scripts/infer-steps.ts [--repo .] [--workload W1] [--steps 40]
//     [--warmup 5] [--threads 2] [--backend native] [--retain on|off] [--deferral on|off] [--tidy on|off] [--each] [--json]
//
// --sched (Linux) adds each thread's scheduler counters a step, from /proc/self/task/<tid>/schedstat
// and status, read between steps (outside the timed region): ms run on a CPU, ms waited runnable on
// a run queue (run_delay: the thread wanted a CPU and had none), sleeps (voluntary context
// switches: a pool worker's condvar wait or nanosleep) and the CPU it was on last, for the main
// thread, the native pool's workers (the threads setNativeThreads starts) and every other thread
// (V8's platform workers: concurrent compiles and GC; libuv).
//
// --retain is `registerNative({ retainFreedMemory })` (on, as the `seqlab` CLI sets it, by default).
// --tidy on wraps each step in `tidy` (as `seqlab bench speed --mode infer` does): what the step
// made goes back to the storage pool for the next (NOTE(tidy) in @seqlab/tensor).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    steps: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'native' },
    retain: { type: 'string', default: 'on' },
    deferral: { type: 'string', default: 'on' },
    tidy: { type: 'string', default: 'on' },
    each: { type: 'boolean', default: false },
    sched: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    repo: { type: 'string', default: '.' },
  },
});
const repo = path.resolve(values.repo);
const req = createRequire(`${repo}/apps/trainer/package.json`);
const imp = (n: string) => import(req.resolve(n));
const { loadNative, registerNative, setNativeThreads } = await imp('@seqlab/native');
const { manualSeed, noGrad, setBackend, tidy } = await imp('@seqlab/tensor');
const wrap: <T>(f: () => T) => T = values.tidy === 'on' ? tidy : (f) => f();
const { inferRecurrentLayer, setReverseDeferral, setWasmLayerInference } =
  await imp('@seqlab/tensor/backend');
const bench = `${repo}/apps/trainer/src/commands/bench`;
const { makeBatch } = await import(`${bench}/speed.ts`);
const { SeqClassifier, WORKLOADS } = await import(`${bench}/workloads.ts`);

const status = registerNative({ retainFreedMemory: values.retain === 'on' });
if (values.backend === 'native' && !status.ok)
  throw new Error(`native backend unavailable: ${status.reason}`);
setBackend(values.backend);
setWasmLayerInference(inferRecurrentLayer);
// The pool's workers: the threads setNativeThreads starts (it joins the old ones and starts new).
const tids = (): number[] => readdirSync('/proc/self/task').map(Number);
const before = values.sched ? new Set(tids()) : new Set<number>();
if (values.backend === 'native') setNativeThreads(Number(values.threads));
const poolTids = values.sched ? tids().filter((t) => !before.has(t)) : [];

/** Per thread group: ns run, ns waited runnable, sleeps (voluntary switches), last CPU. */
interface Sched {
  run: number;
  wait: number;
  sleeps: number;
  cpu: number[];
}
type Groups = Record<'main' | 'pool' | 'other', Sched>;
function readSched(): Groups {
  const g: Groups = {
    main: { run: 0, wait: 0, sleeps: 0, cpu: [] },
    pool: { run: 0, wait: 0, sleeps: 0, cpu: [] },
    other: { run: 0, wait: 0, sleeps: 0, cpu: [] },
  };
  for (const tid of tids()) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      const sleeps = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Field 39 (processor), counted after the parenthesized command name.
      const cpu = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
      const k = tid === process.pid ? 'main' : poolTids.includes(tid) ? 'pool' : 'other';
      g[k].run += run;
      g[k].wait += wait;
      g[k].sleeps += sleeps;
      g[k].cpu.push(cpu);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return g;
}
setReverseDeferral(values.deferral === 'on');

// Time inside the addon's functions, per step.
let addonMs = 0;
const load = loadNative();
if (load.ok) {
  const addon = load.addon as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.keys(addon)) {
    const fn = addon[name];
    if (typeof fn !== 'function' || name === 'setThreads' || name === 'threads') continue;
    addon[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return fn(...args);
      } finally {
        addonMs += performance.now() - t0;
      }
    };
  }
}

const pauses: { start: number; ms: number; kind: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    pauses.push({ start: e.startTime, ms: e.duration, kind: (e.detail as { kind: number }).kind });
});
observer.observe({ entryTypes: ['gc'] });

// inferenceSetup's model and batch (seeded as the bench seeds them, eval mode).
manualSeed(0);
const model = new SeqClassifier(WORKLOADS[values.workload]);
model.eval();
const { tokens } = makeBatch(WORKLOADS[values.workload], 1);
interface Step {
  start: number;
  end: number;
  wall: number;
  cpu: number;
  faults: number;
  addon: number;
  sched?: Record<keyof Groups, { run: number; wait: number; sleeps: number; cpu: number[] }>;
}
const steps: Step[] = [];
const warmup = Number(values.warmup);
let logits: { sum(): { item(): number } } | null = null;
noGrad(() => {
  for (let i = -warmup; i < Number(values.steps); i++) {
    const s0 = values.sched ? readSched() : null;
    const r0 = process.resourceUsage();
    addonMs = 0;
    const start = performance.now();
    logits = wrap(() => model.forward(tokens));
    const end = performance.now();
    const r = process.resourceUsage();
    const s1 = s0 ? readSched() : null;
    if (i >= 0)
      steps.push({
        start,
        end,
        wall: end - start,
        cpu: (r.userCPUTime + r.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 1000,
        faults: r.minorPageFault - r0.minorPageFault,
        addon: addonMs,
        ...(s0 && s1
          ? {
              sched: Object.fromEntries(
                (['main', 'pool', 'other'] as const).map((k) => [
                  k,
                  {
                    run: (s1[k].run - s0[k].run) / 1e6,
                    wait: (s1[k].wait - s0[k].wait) / 1e6,
                    sleeps: s1[k].sleeps - s0[k].sleeps,
                    cpu: s1[k].cpu,
                  },
                ]),
              ) as Step['sched'],
            }
          : {}),
      });
  }
});
const logitsSum = (logits as { sum(): { item(): number } } | null)?.sum().item();
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();

const kinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'MC',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'Sc',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'inc',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const rows = steps.map((s) => {
  const inside = pauses.filter((p) => p.start >= s.start && p.start < s.end);
  return {
    ...s,
    gcMs: inside.reduce((sum, p) => sum + p.ms, 0),
    gc: inside.map((p) => `${kinds[p.kind] ?? p.kind} ${p.ms.toFixed(1)}`).join(', '),
    mainRun: s.sched?.main.run ?? 0,
    mainWait: s.sched?.main.wait ?? 0,
    mainSleeps: s.sched?.main.sleeps ?? 0,
    poolRun: s.sched?.pool.run ?? 0,
    poolWait: s.sched?.pool.wait ?? 0,
    poolSleeps: s.sched?.pool.sleeps ?? 0,
    otherRun: s.sched?.other.run ?? 0,
  };
});
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const cols = values.sched
  ? ([
      'wall',
      'cpu',
      'faults',
      'addon',
      'gcMs',
      'mainRun',
      'mainWait',
      'mainSleeps',
      'poolRun',
      'poolWait',
      'poolSleeps',
      'otherRun',
    ] as const)
  : (['wall', 'cpu', 'faults', 'addon', 'gcMs'] as const);
const quantiles = Object.fromEntries(
  cols.map((c) => {
    const xs = rows.map((r) => r[c]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return [c, [q(xs, 0.1), q(xs, 0.5), q(xs, 0.9), mean].map((v) => Math.round(v * 100) / 100)];
  }),
);
const markCompacts = rows.filter((r) => r.gc.includes('MC')).length;
const title = `${values.workload} ${values.backend}, ${values.threads} threads, retain ${values.retain}, deferral ${values.deferral}, tidy ${values.tidy}`;
if (values.json)
  console.log(
    JSON.stringify({
      repo,
      title,
      load: loadavg()[0],
      steps: rows.length,
      markCompacts,
      logitsSum,
      ...quantiles,
    }),
  );
else {
  console.log(
    `${title} (${repo}): ${rows.length} steps, ${markCompacts} with a mark-compact, load ${loadavg()[0]}`,
  );
  if (values.each)
    for (const [i, r] of rows.entries())
      console.log(
        `${String(i).padStart(3)} wall ${r.wall.toFixed(1)} cpu ${r.cpu.toFixed(1)} faults ${r.faults} addon ${r.addon.toFixed(1)} gc [${r.gc}]${
          r.sched
            ? ` | main run ${r.mainRun.toFixed(2)} wait ${r.mainWait.toFixed(2)} sleeps ${r.mainSleeps} on ${r.sched.main.cpu} | pool run ${r.poolRun.toFixed(2)} wait ${r.poolWait.toFixed(2)} sleeps ${r.poolSleeps} on ${r.sched.pool.cpu} | other run ${r.otherRun.toFixed(2)}`
            : ''
        }`,
      );
  console.log('| | p10 | p50 | p90 | mean |\n|---|---:|---:|---:|---:|');
  for (const c of cols) console.log(`| ${c} | ${quantiles[c].join(' | ')} |`);
  if (values.sched) {
    // What differs in the slow steps: the means of each column over the slow and the fast steps.
    const min = Math.min(...rows.map((r) => r.wall));
    const slow = rows.filter((r) => r.wall > 1.3 * min);
    const fast = rows.filter((r) => r.wall <= 1.3 * min);
    const mean = (rs: typeof rows, c: (typeof cols)[number]) =>
      rs.length === 0 ? '–' : (rs.reduce((a, r) => a + r[c], 0) / rs.length).toFixed(2);
    console.log(
      `\nsteps slower than 1.3 × the fastest (${min.toFixed(2)} ms): ${slow.length} of ${rows.length}`,
    );
    console.log(`| mean | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`);
    console.log(`| slow | ${cols.map((c) => mean(slow, c)).join(' | ')} |`);
    console.log(`| fast | ${cols.map((c) => mean(fast, c)).join(' | ')} |`);
  }
}
