#!/usr/bin/env node
// `pnpm bench:e2e`: an epoch of the article's SentimentLSTM on ../shared/datasets/sentiment, seqlab
// against PyTorch's reference script, side by side.
//
// For each round it runs, one process each and back to back (A B A B):
//   1. ../shared/bench/reference/train_reference.py --task sentiment --models bilstm --max-epochs E
//      --threads 2 with OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX (PyTorch at its best on
//      these 2 cores), /usr/bin/python3;
//   2. `seqlab train --config apps/trainer/configs/article-lstm.json --epochs E` on the same files
//      (SEQLAB_BACKEND=B) for every backend of --backends (default: those `seqlab bench backends` lists);
//   3. with --default, the default `seqlab train` (SpamAssassin, no flags) on every backend.
// Each process runs under /usr/bin/time (wall and CPU seconds, max RSS). The epoch time is PyTorch's
// own (`(55.3s)` on its epoch line: the epoch's batches and its validation pass) and, for seqlab, the
// time between its `model:` line and its epoch line (the same span; from the second epoch on, plus
// the previous epoch's checkpoint write, which follows its epoch line). It prints
// every round, then the medians over rounds and each seqlab / PyTorch ratio as the median (range) of
// the per-round ratios, with the load average before and after.
//
//   pnpm build && pnpm bench:e2e [--rounds 2] [--epochs 1] [--backends native,wasm] [--default]
//     [--shared ../shared] [--python /usr/bin/python3] [--jsonl FILE]
//
// It skips (a clear message, exit code 0) when ../shared or PyTorch is missing; it is a benchmark, not
// part of `pnpm test` (e2e-table.test.mjs checks its parsing and tables on canned output).

import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagOf, listOf } from './args.mjs';
import {
  formatRoundsTable,
  formatSummaryTable,
  parseSeqlabEpochs,
  parseTorchEpochs,
  summarizeE2E,
} from './e2e-table.mjs';
import { runUnderTime, TIME } from './timed-run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => flagOf(argv, name, fallback);
const list = listOf;

const { SEQLAB_SHARED } = process.env;
const ARGS = {
  rounds: Number(flag('rounds', '2')),
  epochs: Number(flag('epochs', '1')),
  backends: flag('backends', null),
  defaultRun: argv.includes('--default'),
  shared: path.resolve(flag('shared', SEQLAB_SHARED ?? path.join(ROOT, '..', 'shared'))),
  python: flag('python', '/usr/bin/python3'),
  jsonl: flag('jsonl', null),
};
const TORCH_ENV = { OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_CORETYPE: 'SkylakeX' };
const CLI = path.join(ROOT, 'apps/trainer/dist/cli.js');
const CONFIG = path.join(ROOT, 'apps/trainer/configs/article-lstm.json');
const REFERENCE = path.join(ARGS.shared, 'bench/reference/train_reference.py');
const DATA = path.join(ARGS.shared, 'datasets/sentiment');

const log = (line) => process.stderr.write(`${line}\n`);
const skip = (reason) => {
  const banner = `bench:e2e SKIPPED: ${reason}`;
  console.log(banner);
  log(banner);
  process.exit(0);
};
const fail = (reason) => {
  log(`bench:e2e: ${reason}`);
  process.exit(1);
};

// --- preconditions ---------------------------------------------------------------------------
if (!Number.isInteger(ARGS.rounds) || ARGS.rounds < 1)
  fail(`--rounds: expected an integer ≥ 1, got ${ARGS.rounds}`);
if (!Number.isInteger(ARGS.epochs) || ARGS.epochs < 1)
  fail(`--epochs: expected an integer ≥ 1, got ${ARGS.epochs}`);
if (!existsSync(REFERENCE))
  skip(
    `no ${REFERENCE}: the shared reference scripts are not beside the repository (pass --shared DIR or set SEQLAB_SHARED)`,
  );
if (!existsSync(path.join(DATA, 'train.jsonl')) || !existsSync(path.join(DATA, 'valid.jsonl')))
  skip(`no ${DATA}/train.jsonl and valid.jsonl: the sentiment dataset is not beside the repository`);
const torchCheck = spawnSync(ARGS.python, ['-c', 'import torch; print(torch.__version__)'], {
  encoding: 'utf8',
});
if (torchCheck.status !== 0)
  skip(
    `PyTorch is not importable by ${ARGS.python} (${(torchCheck.stderr || String(torchCheck.error ?? '')).trim().split('\n').at(-1)}); install it with apt-get install -y python3-torch`,
  );
if (!existsSync(TIME))
  skip(`no ${TIME} (wall and CPU time, max RSS): install it with apt-get install -y time`);
if (!existsSync(CLI)) fail(`no ${path.relative(ROOT, CLI)}: run pnpm build first`);
const available = JSON.parse(
  execFileSync(process.execPath, [CLI, 'bench', 'backends', '--json'], { encoding: 'utf8' }),
);
const wanted = ARGS.backends ? list(ARGS.backends) : available.backends.map((b) => b.backend);
const missing = wanted.filter((b) => !available.backends.some((a) => a.backend === b));
if (missing.length > 0)
  fail(
    `--backends: ${missing.join(', ')} not available (there are: ${available.backends.map((b) => b.backend).join(', ')})`,
  );
const backends = available.backends.filter((b) => wanted.includes(b.backend));

// --- running -----------------------------------------------------------------------------------
/** Runs a command under /usr/bin/time, stamping each stdout line as it arrives. */
const run = (args, env) => runUnderTime(args, { cwd: ROOT, env });

const measurements = [];
const notes = [];
function record(round, column, result, epochs) {
  const load = loadavg()[0];
  if (result.code !== 0 || epochs.length === 0) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' / ');
    log(`  ${column}: FAILED (exit ${result.code}, ${epochs.length} epochs): ${why}`);
    notes.push(`round ${round}, ${column}: failed (${why})`);
    return;
  }
  const m = {
    round,
    column,
    epoch_s: epochs.reduce((a, e) => a + e.epoch_s, 0) / epochs.length,
    epochs: epochs.length,
    ...result.time,
    valid_acc: epochs.at(-1).valid_acc,
    load,
  };
  measurements.push(m);
  if (ARGS.jsonl) appendFileSync(ARGS.jsonl, `${JSON.stringify(m)}\n`);
  log(
    `  ${column}: epoch ${m.epoch_s.toFixed(1)} s, process ${m.wall_s?.toFixed(1)} s wall, ${m.cpu_s?.toFixed(1)} s CPU, ${m.max_rss_mb?.toFixed(0)} MiB (load ${load.toFixed(2)})`,
  );
}

const split = ['--train', path.join(DATA, 'train.jsonl'), '--valid', path.join(DATA, 'valid.jsonl')];
async function torch(round) {
  const args = [ARGS.python, REFERENCE, '--task', 'sentiment', '--data-dir', DATA, '--test-file'];
  args.push(path.join(DATA, 'valid.jsonl'), '--models', 'bilstm', '--max-epochs', String(ARGS.epochs));
  args.push('--threads', '2');
  const result = await run(args, TORCH_ENV);
  record(round, 'torch', result, parseTorchEpochs(result.lines));
}
async function seqlab(round, column, backend, flags) {
  const out = mkdtempSync(path.join(tmpdir(), 'seqlab-e2e-'));
  try {
    const result = await run([process.execPath, CLI, 'train', ...flags, '--out', path.join(out, 'run')], {
      SEQLAB_BACKEND: backend,
    });
    record(round, `${column}:${backend}`, result, parseSeqlabEpochs(result.lines));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const command = `pnpm bench:e2e ${argv.join(' ')}`.trim();
const startedAt = new Date();
const loadBefore = loadavg().map((x) => x.toFixed(2));
log(`${command}: ${ARGS.rounds} rounds; load ${loadBefore.join(' ')}`);
for (let round = 1; round <= ARGS.rounds; round++) {
  log(`round ${round}/${ARGS.rounds}`);
  await torch(round);
  for (const b of backends) {
    const article = ['--config', CONFIG, ...split, '--test', path.join(DATA, 'valid.jsonl')];
    await seqlab(round, 'seqlab', b.backend, [...article, '--epochs', String(ARGS.epochs)]);
  }
  if (ARGS.defaultRun) for (const b of backends) await seqlab(round, 'default', b.backend, []);
}
const loadAfter = loadavg().map((x) => x.toFixed(2));

// --- report --------------------------------------------------------------------------------------
const out = [
  `## bench:e2e, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, PyTorch ${torchCheck.stdout.trim()} (${ARGS.python}, ${Object.entries(
    TORCH_ENV,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}, 2 threads)`,
  `Backends: ${backends.map((b) => `${b.backend} (isa ${b.isa}, ${b.threads} thread${b.threads === 1 ? '' : 's'})`).join(', ')}`,
  `Load average (1, 5, 15 min): ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`,
  `Protocol: ${ARGS.rounds} rounds of, one process each: train_reference.py (bilstm, ${ARGS.epochs} epoch${ARGS.epochs === 1 ? '' : 's'}), seqlab train with configs/article-lstm.json on each backend${ARGS.defaultRun ? ', the default seqlab train on each backend' : ''}. Epoch: its batches and its validation pass (mean over epochs). Ratios: seqlab / PyTorch per round; medians over rounds.`,
  '',
  formatRoundsTable(measurements),
  '',
  formatSummaryTable(summarizeE2E(measurements)),
  ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
];
console.log(out.join('\n'));
