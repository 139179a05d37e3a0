#!/usr/bin/env node
// Soak test of `seqlab train` (not part of the test suite): trains for a fixed time, samples the
// trainer's resident memory (RSS) at a fixed interval, prints the curve and the growth after the
// warm-up, and exits 1 when it grew by more than the limit.
//
//   pnpm turbo run build --filter=@seqlab/cli...      # the script runs the built CLI
//   node apps/trainer/scripts/soak.mjs                     # 30 minutes, a sample every 10 s
//   node apps/trainer/scripts/soak.mjs --minutes 5 --warmup-minutes 1.5
//   node apps/trainer/scripts/soak.mjs -- --dataset names  # flags after -- go to `seqlab train`
//
// The workload is the built-in default run (`seqlab train`: SpamAssassin, a bidirectional LSTM of
// 1.18 M parameters) with an unbounded number of epochs, so the whole loop repeats: batches,
// validation, checkpoints, early-stopping state. At the end the trainer gets SIGINT (Ctrl-C): it
// writes a checkpoint and exits 130, which is the expected ending.
//
// RSS rises and falls within an epoch (garbage collection, batches of different lengths, a spike
// of a few seconds at the validation pass and the checkpoint), so single samples are not compared:
// the samples after the warm-up are cut in thirds and growth = (median of the last third − median
// of the first third) / the latter. Over the default 30 minutes each third spans several epochs.
// The peaks of the thirds are printed too. Each sample is printed with the epoch and batch the
// trainer had reached. Exit codes: 0 growth within the limit, 1 growth above it, 2 the trainer failed or the
// run was too short to measure.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const dashdash = process.argv.indexOf('--');
const own = dashdash < 0 ? process.argv.slice(2) : process.argv.slice(2, dashdash);
const trainArgs = dashdash < 0 ? [] : process.argv.slice(dashdash + 1);
const { values } = parseArgs({
  args: own,
  options: {
    minutes: { type: 'string', default: '30' },
    'interval-seconds': { type: 'string', default: '10' },
    'warmup-minutes': { type: 'string' },
    'max-growth-percent': { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: node apps/trainer/scripts/soak.mjs [--minutes 30] [--interval-seconds 10] [--warmup-minutes M]\n' +
      '       [--max-growth-percent 5] [--keep] [-- <seqlab train flags>]\n' +
      'warm-up default: 10 % of the run, at least 1 minute',
  );
  process.exit(0);
}

/** A positive number option, or exit 2 naming it. */
function positive(name, text) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: expected --${name} to be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
const minutes = positive('minutes', values.minutes);
const interval = positive('interval-seconds', values['interval-seconds']);
const warmup = positive('warmup-minutes', values['warmup-minutes'] ?? String(Math.max(1, minutes / 10)));
const maxGrowth = positive('max-growth-percent', values['max-growth-percent']);
if (warmup >= minutes) {
  console.error(`soak: expected --warmup-minutes < --minutes, got ${warmup} and ${minutes}`);
  process.exit(2);
}
if (!existsSync(CLI)) {
  console.error(`soak: ${CLI} is missing; build first: pnpm turbo run build --filter=@seqlab/cli...`);
  process.exit(2);
}

/** Resident set size of a process in bytes (Linux /proc; elsewhere `ps`), or null once it is gone. */
async function rss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return kb ? Number(kb[1]) * 1024 : null;
  } catch (error) {
    if (error.code === 'ENOENT' && process.platform === 'linux') return null;
  }
  return new Promise((resolve) => {
    const ps = spawn('ps', ['-o', 'rss=', '-p', String(pid)]);
    let out = '';
    ps.stdout.on('data', (d) => {
      out += d;
    });
    ps.on('close', () => resolve(out.trim() ? Number(out.trim()) * 1024 : null));
    ps.on('error', () => resolve(null));
  });
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const peakOf = (samples) => Math.max(...samples.map(([, b]) => b));
const medianOf = (samples) => {
  const s = samples.map(([, b]) => b).sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = await mkdtemp(join(tmpdir(), 'seqlab-soak-'));
const out = join(dir, 'run');
const args = ['train', '--epochs', '10000', '--patience', '10000', ...trainArgs, '--out', out];
console.log(`soak: node ${CLI} ${args.join(' ')}`);
console.log(
  `soak: ${minutes} min, a sample every ${interval} s, warm-up ${warmup} min, limit +${maxGrowth} % (node ${process.version}, ${process.platform})`,
);
const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => {
  stderr += d;
});
// Where training is: the last progress line (`epoch 3/10000 40/131 batches …`, printed per batch
// when stdout is not a terminal) and the finished epochs (`epoch 3: train loss …`).
let progress = 'starting';
let epochsDone = 0;
let pending = '';
child.stdout.setEncoding('utf8').on('data', (d) => {
  const lines = (pending + d).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const step = /^epoch (\d+)\/\d+ (\d+)\/(\d+) batches/.exec(line);
    if (step) {
      progress = `epoch ${step[1]} batch ${step[2]}/${step[3]}`;
      continue;
    }
    const done = /^epoch (\d+): /.exec(line);
    if (done) {
      epochsDone = Number(done[1]);
      progress = `epoch ${done[1]} done`;
    }
    if (line.trim() !== '') console.log(`  | ${line}`);
  }
});
const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
let done = null;
exited.then((r) => {
  done = r;
});

const start = performance.now();
/** [seconds since start, RSS bytes] */
const samples = [];
const endAt = start + minutes * 60_000;
while (performance.now() < endAt && done === null) {
  const next = start + (samples.length + 1) * interval * 1000;
  if (next > endAt) break;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  if (done !== null) break;
  const bytes = await rss(child.pid);
  if (bytes === null) break;
  const t = (performance.now() - start) / 1000;
  samples.push([t, bytes]);
  console.log(`  t ${t.toFixed(0).padStart(5)} s  rss ${mib(bytes).padStart(8)} MiB  (${progress})`);
}
if (done === null) child.kill('SIGINT'); // the trainer checkpoints and exits 130
const { code, signal } = await exited;
if (!values.keep) await rm(dir, { recursive: true, force: true });
else console.log(`soak: run directory kept: ${out}`);

if (code !== 130 && !(code === 0 && samples.length > 0)) {
  console.error(`soak: the trainer exited with ${code ?? signal} before the end:\n${stderr}`);
  process.exit(2);
}
const after = samples.filter(([t]) => t >= warmup * 60);
if (after.length < 6) {
  console.error(
    `soak: ${after.length} samples after the warm-up; need 6 (a longer --minutes or a shorter --interval-seconds)`,
  );
  process.exit(2);
}

// The curve, one bar per sample, scaled from the smallest to the largest RSS.
const all = samples.map(([, b]) => b);
const [lo, hi] = [Math.min(...all), Math.max(...all)];
const bars = '▁▂▃▄▅▆▇█';
const spark = all.map((b) => bars[hi === lo ? 0 : Math.round(((b - lo) / (hi - lo)) * 7)]).join('');
const third = Math.floor(after.length / 3);
const [first, final] = [after.slice(0, third), after.slice(-third)];
const base = medianOf(first);
const last = medianOf(final);
const growth = ((last - base) / base) * 100;
console.log(`soak: curve ${spark}  (${mib(lo)} to ${mib(hi)} MiB, ${samples.length} samples)`);
console.log(
  `soak: ${epochsDone} epochs; after the warm-up ${after.length} samples from t ${after[0][0].toFixed(0)} s: median of the first third ${mib(base)} MiB (peak ${mib(peakOf(first))}), of the last third ${mib(last)} MiB (peak ${mib(peakOf(final))}), growth ${growth >= 0 ? '+' : ''}${growth.toFixed(2)} % (limit +${maxGrowth} %)`,
);
if (growth > maxGrowth) {
  console.error(`soak: FAIL: RSS grew by ${growth.toFixed(2)} % after the warm-up, more than ${maxGrowth} %`);
  process.exit(1);
}
console.log('soak: OK');
