#!/usr/bin/env node
// `pnpm bench:rss`: the resident set size of one process over its whole run, sampled from /proc.
//
//   pnpm bench:rss [--interval 1] [--warmup 0.1] [--steps N] [--label NAME] [--jsonl FILE] -- COMMAND ARGS...
//   pnpm bench:rss --from-jsonl FILE [--warmup 0.1] [--steps N]   # the summary of each trace a run kept
//
// It starts COMMAND (run it directly, `node apps/trainer/dist/cli.js …` or `/usr/bin/python3 …`: a
// wrapper such as pnpm would be the process watched), reads /proc/PID/status (VmRSS, VmHWM) and
// /proc/PID/stat (utime + stime) every --interval seconds until it exits, and prints the curve's
// summary as a Markdown row (rss-trace-table.mjs): RSS at start, after warm-up (the first sample past
// --warmup of the run's time), at the end and at its peak, and the least-squares slope after warm-up
// per minute and, with --steps (the steps the command runs), per 100 steps. COMMAND's own output goes
// to stderr, the summary (and with --jsonl FILE every sample) is ours. Linux only (/proc).
//
// Examples (the bench README's "Memory" section):
//   pnpm bench:rss --steps 1000 --label 'seqlab native' -- node apps/trainer/dist/cli.js bench speed \
//     --backend native --workload W1 --mode train --steps 1000 --warmup 3 --json
//   OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX pnpm bench:rss --steps 1000 --label 'PyTorch 2 thr' -- \
//     /usr/bin/python3 ../shared/bench/anchors/torch_bench.py --threads 2 --workloads W1 --only train --steps 1000

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { flagOf } from './args.mjs';
import { formatTraceTable, parseStatCpu, parseStatus, summarizeTrace } from './rss-trace-table.mjs';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const command = dash >= 0 ? argv.slice(dash + 1) : [];
const flag = (name, fallback) => flagOf(own, name, fallback);
const fail = (reason) => {
  process.stderr.write(`bench:rss: ${reason}\n`);
  process.exit(1);
};

const interval = Number(flag('interval', '1'));
const warmupFraction = Number(flag('warmup', '0.1'));
const steps = flag('steps', null) === null ? null : Number(flag('steps', null));
const label = flag('label', command.join(' '));
const jsonl = flag('jsonl', null);
const fromJsonl = flag('from-jsonl', null);
if (fromJsonl) {
  // One row per label, from the samples a run kept with --jsonl (a run cut short included: its
  // summary covers the steps it took, which --steps cannot know, so give --steps only for whole runs).
  const byLabel = new Map();
  for (const line of readFileSync(fromJsonl, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const { label: l, ...s } = JSON.parse(line);
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l).push(s);
  }
  const rows = [...byLabel].map(([l, s]) => ({ label: l, ...summarizeTrace(s, { warmupFraction, steps }) }));
  console.log(`From ${fromJsonl}; warm-up = the first ${Math.round(warmupFraction * 100)} % of each run\n`);
  console.log(formatTraceTable(rows));
  process.exit(0);
}
if (command.length === 0) fail('expected a command after --, got none');
if (!(interval > 0)) fail(`--interval: expected seconds > 0, got ${flag('interval')}`);
if (!(warmupFraction >= 0 && warmupFraction < 1))
  fail(`--warmup: expected a fraction of the run in [0, 1), got ${flag('warmup')}`);
if (steps !== null && !(Number.isInteger(steps) && steps > 0))
  fail(`--steps: expected an integer ≥ 1, got ${flag('steps')}`);
if (process.platform !== 'linux') fail(`expected Linux (/proc), got ${process.platform}`);

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // getconf missing: Linux's USER_HZ is 100 on every common configuration.
}

const loadBefore = loadavg().map((x) => x.toFixed(2));
const started = performance.now();
const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.pipe(process.stderr);
const samples = [];
const sample = () => {
  try {
    const status = parseStatus(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    const cpu = parseStatCpu(readFileSync(`/proc/${child.pid}/stat`, 'utf8'), ticks);
    if (!status) return; // a zombie has no VmRSS: the process is exiting
    const s = { t: (performance.now() - started) / 1000, ...status, cpu };
    samples.push(s);
    if (jsonl) appendFileSync(jsonl, `${JSON.stringify({ label, ...s })}\n`);
  } catch {
    // The process exited between two reads.
  }
};
const timer = setInterval(sample, interval * 1000);
child.on('error', (error) => fail(`could not start ${command[0]}: ${error.message}`));
child.on('exit', (code, signal) => {
  clearInterval(timer);
  const loadAfter = loadavg().map((x) => x.toFixed(2));
  if (code !== 0) fail(`${command.join(' ')} exited with ${signal ?? code}`);
  if (samples.length < 2) fail(`${samples.length} sample(s): the command ran for less than 2 intervals`);
  const summary = summarizeTrace(samples, { warmupFraction, steps });
  console.log(`Command: \`${command.join(' ')}\``);
  console.log(
    `Sampled every ${interval} s from /proc; warm-up = the first ${Math.round(warmupFraction * 100)} % of the run; load average (1, 5, 15 min) ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`,
  );
  console.log('');
  console.log(formatTraceTable([{ label, ...summary }]));
});
