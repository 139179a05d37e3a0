// Two builds of the native addon side by side in one process: W1/W2 inference (`bench speed --mode
// infer`'s model and batch, eval, under `noGrad`) on this checkout's addon and on another build's
// (say main's, built in a scratch worktree), alternating (A B A B), so both see the same machine
// load. Each side is a backend of its own over its own addon and thread pool; the JavaScript is
// this checkout's on both sides, so the kernels differ, and the backend hooks this checkout adds
// can be left off the old side (`--old-off uninitializedStorage`).
//
//   git worktree add /tmp/base main && (cd /tmp/base && pnpm install --frozen-lockfile && pnpm build)
//   cp /tmp/base/packages/native/build/Release/seqlab_native.node /tmp/base.node
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-addon-infer.ts \
//     --old /tmp/base.node [--old-off uninitializedStorage] [--threads 2] [--rounds 7] [--workloads W1,W2]
//     [--pin 0/1]
//
// --pin M/W (Linux) pins the main thread to core M and both pools' workers to core W (`taskset -pc`
// on their thread ids): with another process taking part of core W (say `chrt -f 20 taskset -c 1`
// on a program that runs 0.5 ms and sleeps 0.5 ms, the benchmark under `chrt -f 10`), the workers
// run on a core slower than the main thread's, the same for both sides.
//
// Prints, per workload, the median wall ms per step of each side, the median of the per-round ratios
// new / old (and their range), the median process CPU ms per step (every thread) of each side, and
// the 1-minute load average before and after.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createNativeBackend, loadNative, type NativeAddon } from '@seqlab/native';
import { setBackend } from '@seqlab/tensor';
import { registerBackend } from '@seqlab/tensor/backend';
import type { WorkloadName } from '../src/commands/bench/workloads';
import { inferenceSetup, median, timeInference } from './inference-setup';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    'old-off': { type: 'string', default: '' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '10' },
    workloads: { type: 'string', default: 'W1,W2' },
    pin: { type: 'string' },
  },
});
if (!values.old) throw new Error('ab-addon-infer: expected --old <path of the other seqlab_native.node>');
const load = loadNative();
if (!load.ok) throw new Error(`ab-addon-infer: the native addon did not load: ${load.reason}`);
const oldAddon = createRequire(import.meta.url)(values.old) as NativeAddon;
const threads = Number(values.threads);
const tids = (): number[] => readdirSync('/proc/self/task').map(Number);
const before = new Set(tids());
load.addon.setThreads(threads);
oldAddon.setThreads(threads);
if (values.pin) {
  const [main, workers] = values.pin.split('/');
  const pin = (tid: number, core: string) =>
    execFileSync('taskset', ['-pc', core, String(tid)], { stdio: 'ignore' });
  pin(process.pid, main);
  for (const tid of tids().filter((t) => !before.has(t))) pin(tid, workers);
}
const oldBackend: Record<string, unknown> = { ...createNativeBackend(oldAddon), name: 'native-old' };
for (const hook of values['old-off'].split(',').filter(Boolean)) delete oldBackend[hook];
registerBackend(createNativeBackend(load.addon));
registerBackend(oldBackend as unknown as ReturnType<typeof createNativeBackend>);
const rounds = Number(values.rounds);
const steps = Number(values.steps);
console.log(
  `new: ${load.path}; old: ${values.old}${values['old-off'] ? ` without ${values['old-off']}` : ''}; ${threads} threads, ` +
    `${rounds} rounds of ${steps} steps (after 3 warm-up) per side${values.pin ? `; main thread on core ${values.pin.replace('/', ', workers on core ')}` : ''}; load ${loadavg()[0].toFixed(1)}`,
);
for (const name of values.workloads.split(',') as WorkloadName[]) {
  const setup = inferenceSetup(name);
  const wall: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 ? ['new', 'old'] : ['old', 'new']) {
      setBackend(side === 'new' ? 'native' : 'native-old');
      const t = timeInference(setup, steps, 3);
      wall[side].push(t.wall);
      cpu[side].push(t.cpu);
    }
    ratios.push(wall.new[r] / wall.old[r]);
  }
  console.log(
    `${name}: old ${median(wall.old).toFixed(2)} ms, new ${median(wall.new).toFixed(2)} ms per step; new / old ` +
      `${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}); process CPU ms per step ` +
      `old ${median(cpu.old).toFixed(2)}, new ${median(cpu.new).toFixed(2)}; load ${loadavg()[0].toFixed(1)}`,
  );
}
