#!/usr/bin/env node
// `pnpm bench:compare`: seqlab against PyTorch (and ONNX Runtime for inference), side by side.
//
// For each round and each workload it runs, back to back: PyTorch at its best configuration
// (../shared/bench/anchors/torch_bench.py --threads 2 with OMP_WAIT_POLICY=PASSIVE and
// OPENBLAS_CORETYPE=SkylakeX, /usr/bin/python3), `seqlab bench speed --json --backend B` for every
// backend `seqlab bench backends` lists, PyTorch with --threads 1 (same variables), then ONNX Runtime
// (../shared/bench/anchors/ort_bench.mjs, W1/W2 inference) when onnxruntime-node can be loaded.
// W1-packed runs tools/bench/torch_packed.py instead of torch_bench.py. Several rounds (A B A B);
// the table gives medians over rounds and the median (and range) of the per-round ratios
// seqlab / PyTorch, with the load average before and after. Every process runs one workload and
// one mode (training, then inference in a fresh process), so its peak RSS is that workload's.
//
// Warm-up: every side gets the same untimed steps, `--warmup` (3) before training's timed steps and
// `--infer-warmup` (50) before inference's. An inference step takes milliseconds, and in its first
// tens of steps Node's V8 compiles the step's JavaScript (and the module loader's) on background
// threads, which on 2 cores take the second core from the native backend's pool worker
// (tools/bench/PROFILE.md, "W2 inference in bench:compare"); 50 steps cost ONNX Runtime and PyTorch
// a fraction of a second as well.
//
//   pnpm build && pnpm bench:compare [--rounds 3] [--steps 10] [--warmup 3] [--infer-warmup 50]
//     [--workloads W1,W2,W3,W1-packed]
//     [--modes train,infer] [--backends wasm,js] [--max-len 25,50,100,200] [--shared ../shared]
//     [--python /usr/bin/python3] [--ort-modules DIR] [--no-ort] [--jsonl FILE]
//   pnpm bench:compare --from-jsonl FILE      # the table of the records a run kept with --jsonl
//
// It skips (a clear message, exit code 0) when ../shared or PyTorch is missing; it is a benchmark,
// not part of `pnpm test` (compare-table.test.mjs checks its arithmetic on canned JSON).

import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagOf, listOf } from './args.mjs';
import { ORT_WORKLOADS, planRound } from './compare-plan.mjs';
import { formatCompareTable, parseJsonLines, summarize } from './compare-table.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => flagOf(argv, name, fallback);
const list = listOf;

// Not a turbo task: these variables only point at files beside the repository.
const { SEQLAB_SHARED, ORT_MODULES, NODE_PATH } = process.env;
const ARGS = {
  rounds: Number(flag('rounds', '3')),
  steps: Number(flag('steps', '10')),
  warmup: Number(flag('warmup', '3')),
  inferWarmup: Number(flag('infer-warmup', '50')),
  workloads: list(flag('workloads', 'W1,W2,W3,W1-packed')),
  modes: list(flag('modes', 'train,infer')),
  backends: flag('backends', null),
  maxLen: flag('max-len', '50'),
  shared: path.resolve(flag('shared', SEQLAB_SHARED ?? path.join(ROOT, '..', 'shared'))),
  python: flag('python', '/usr/bin/python3'),
  ortModules: flag('ort-modules', ORT_MODULES ?? null),
  ort: !argv.includes('--no-ort'),
  jsonl: flag('jsonl', null),
};
const TORCH_ENV = { OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_CORETYPE: 'SkylakeX' };
const CLI = path.join(ROOT, 'apps/trainer/dist/cli.js');
const ANCHORS = path.join(ARGS.shared, 'bench/anchors');
const TORCH_BENCH = path.join(ANCHORS, 'torch_bench.py');
const ORT_BENCH = path.join(ANCHORS, 'ort_bench.mjs');
const TORCH_PACKED = path.join(ROOT, 'tools/bench/torch_packed.py');

const log = (line) => process.stderr.write(`${line}\n`);
const startedAt = new Date();
const loadBefore = loadavg().map((x) => x.toFixed(2));

function skip(reason) {
  const banner = `bench:compare SKIPPED: ${reason}`;
  console.log(banner);
  log(banner);
  process.exit(0);
}

function fail(reason) {
  log(`bench:compare: ${reason}`);
  process.exit(1);
}

// `--from-jsonl FILE`: the table of the records a run kept with --jsonl (a run cut short, or a
// reprint), without running anything.
const fromJsonl = flag('from-jsonl', null);
if (fromJsonl) {
  const { records } = parseJsonLines(readFileSync(fromJsonl, 'utf8'));
  const measurements = records.map(({ round, column, ...record }) => ({ round, column, record }));
  console.log(
    `From ${fromJsonl} (${records.length} records, rounds ${[...new Set(records.map((r) => r.round))].join(', ')}):\n`,
  );
  console.log(formatCompareTable(summarize(measurements)));
  process.exit(0);
}

// --- preconditions ---------------------------------------------------------------------------
if (!Number.isInteger(ARGS.rounds) || ARGS.rounds < 1)
  fail(`--rounds: expected an integer ≥ 1, got ${ARGS.rounds}`);
if (!Number.isInteger(ARGS.steps) || ARGS.steps < 1)
  fail(`--steps: expected an integer ≥ 1, got ${ARGS.steps}`);
for (const [name, value] of [
  ['warmup', ARGS.warmup],
  ['infer-warmup', ARGS.inferWarmup],
])
  if (!Number.isInteger(value) || value < 0) fail(`--${name}: expected an integer ≥ 0, got ${value}`);
const modes = ['train', 'infer'].filter((m) => ARGS.modes.includes(m));
if (modes.length === 0 || modes.length !== new Set(ARGS.modes).size)
  fail(`--modes: expected train, infer or both, got ${ARGS.modes.join(',')}`);
if (!existsSync(TORCH_BENCH))
  skip(
    `no ${TORCH_BENCH}: the shared benchmark anchors are not beside the repository (pass --shared DIR or set SEQLAB_SHARED)`,
  );
const torchCheck = spawnSync(ARGS.python, ['-c', 'import torch; print(torch.__version__)'], {
  encoding: 'utf8',
});
if (torchCheck.status !== 0)
  skip(
    `PyTorch is not importable by ${ARGS.python} (${(torchCheck.stderr || String(torchCheck.error ?? '')).trim().split('\n').at(-1)}); install it with apt-get install -y python3-torch`,
  );
const torchVersion = torchCheck.stdout.trim();
if (!existsSync(CLI)) fail(`no ${path.relative(ROOT, CLI)}: run pnpm build first`);

// --- what there is to run --------------------------------------------------------------------
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
const notes = available.optional.map((n) => `optional backend package ${n.package}: ${n.status}`);

// ONNX Runtime: onnxruntime-node from --ort-modules, NODE_PATH or the repository, and the W1/W2
// models exported by torch_bench.py --export-onnx.
const ortWorkloads = ARGS.workloads.filter((w) => ORT_WORKLOADS.includes(w));
let ort = null;
if (!ARGS.ort) notes.push('ONNX Runtime: not run (--no-ort)');
else if (!ARGS.modes.includes('infer') || ortWorkloads.length === 0)
  notes.push('ONNX Runtime: not run (it times W1/W2 inference only)');
else if (!existsSync(ORT_BENCH)) notes.push(`ONNX Runtime: not run (no ${ORT_BENCH})`);
else {
  const dirs = [ARGS.ortModules, ...(NODE_PATH ?? '').split(path.delimiter), path.join(ROOT, 'node_modules')]
    .filter(Boolean)
    .map((d) => path.resolve(d));
  const found = dirs.find((d) => {
    try {
      createRequire(path.join(d, 'noop.js')).resolve('onnxruntime-node');
      return true;
    } catch {
      return false;
    }
  });
  if (!found)
    notes.push(
      'ONNX Runtime: not run (onnxruntime-node not found; install it as the anchors README says: ' +
        '`mkdir -p /tmp/ort && cd /tmp/ort && npm init -y && npm i --ignore-scripts onnxruntime-node`, then pass --ort-modules /tmp/ort/node_modules)',
    );
  else {
    const onnxDir = mkdtempSync(path.join(tmpdir(), 'seqlab-onnx-'));
    const exported = spawnSync(ARGS.python, [TORCH_BENCH, '--export-onnx', onnxDir, '--threads', '1'], {
      encoding: 'utf8',
    });
    if (exported.status !== 0)
      notes.push(
        `ONNX Runtime: not run (torch_bench.py --export-onnx failed: ${exported.stderr.trim().split('\n').at(-1)})`,
      );
    else {
      const version = JSON.parse(
        readFileSync(path.join(found, 'onnxruntime-node/package.json'), 'utf8'),
      ).version;
      ort = { modules: found, dir: onnxDir, version };
    }
  }
}

// --- running -----------------------------------------------------------------------------------
const measurements = [];
function run(column, round, command, args, env = {}) {
  const started = Date.now();
  const res = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: ROOT,
    maxBuffer: 64 * 2 ** 20,
  });
  const { records } = parseJsonLines(res.stdout ?? '');
  if (res.status !== 0) {
    const why = (res.stderr || String(res.error ?? '')).trim().split('\n').slice(-3).join(' / ');
    log(`  ${column}: FAILED (exit ${res.status}): ${why}`);
    notes.push(`round ${round}, ${column} ${args.join(' ')}: failed (${why})`);
  }
  // torch_bench.py has no RSS field: the wrapper below prints the process's peak as its last line.
  const probe = records.find((r) => r.rss_probe);
  for (const record of records) {
    if (record.rss_probe || (record.mode !== 'train' && record.mode !== 'infer')) continue;
    if (probe && record.peak_rss_mb === undefined) record.peak_rss_mb = probe.peak_rss_mb;
    measurements.push({ round, column, record });
    if (ARGS.jsonl) appendFileSync(ARGS.jsonl, `${JSON.stringify({ round, column, ...record })}\n`);
  }
  log(
    `  ${column}: ${records
      .filter((r) => r.median_ms !== undefined && !r.gemm)
      .map(
        (r) =>
          `${r.workload}${r.workload === 'W1-packed' ? ` T=${r.seq}` : ''} ${r.mode} ${r.median_ms.toFixed(1)} ms`,
      )
      .join(', ')} (${((Date.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(2)})`,
  );
}

// Runs a PyTorch script under runpy and prints its peak RSS (MiB) as a last JSON line.
const RSS_WRAPPER = [
  'import json, resource, runpy, sys',
  'sys.argv = sys.argv[1:]',
  'try:',
  "    runpy.run_path(sys.argv[0], run_name='__main__')",
  'except SystemExit:',
  '    pass',
  "print(json.dumps({'rss_probe': True, 'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}), flush=True)",
].join('\n');

// One process per mode (planRound): its own warm-up, and inference not after training.
function torch(round, workload, { column, threads, mode, steps, warmup }) {
  const common = ['--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup)];
  common.push('--only', mode);
  const args =
    workload === 'W1-packed'
      ? [TORCH_PACKED, ...common, '--max-len', ARGS.maxLen]
      : [TORCH_BENCH, ...common, '--workloads', workload];
  run(column, round, ARGS.python, ['-c', RSS_WRAPPER, ...args], TORCH_ENV);
}
function seqlab(round, workload, { column, backend, mode, steps, warmup }) {
  const args = [CLI, 'bench', 'speed', '--json', '--backend', backend, '--workload', workload];
  args.push('--mode', mode, '--steps', String(steps), '--warmup', String(warmup));
  if (workload === 'W1-packed') args.push('--max-len', ARGS.maxLen);
  run(column, round, process.execPath, args);
}
function onnxRuntime(round, workload, { column, threads, steps, warmup }) {
  const args = [ORT_BENCH, '--dir', ort.dir, '--threads', String(threads), '--workloads', workload];
  args.push('--steps', String(steps), '--warmup', String(warmup));
  run(column, round, process.execPath, args, { NODE_PATH: ort.modules });
}

const command = `pnpm bench:compare ${argv.join(' ')}`.trim();
log(`${command}: ${ARGS.rounds} rounds × ${ARGS.workloads.join(', ')}; load ${loadBefore.join(' ')}`);
for (let round = 1; round <= ARGS.rounds; round++) {
  for (const workload of ARGS.workloads) {
    const plan = planRound({
      workload,
      modes,
      backends: backends.map((b) => b.backend),
      steps: ARGS.steps,
      warmup: ARGS.warmup,
      inferWarmup: ARGS.inferWarmup,
      ort: ort !== null,
    });
    for (const p of plan) {
      if (p === plan.find((q) => q.mode === p.mode))
        log(`round ${round}/${ARGS.rounds}, ${workload} ${p.mode}`);
      if (p.column === 'ort') onnxRuntime(round, workload, p);
      else if (p.backend) seqlab(round, workload, p);
      else torch(round, workload, p);
    }
  }
}
const loadAfter = loadavg().map((x) => x.toFixed(2));

// --- report --------------------------------------------------------------------------------------
const rows = summarize(measurements);
const out = [
  `## bench:compare, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, PyTorch ${torchVersion} (${ARGS.python}, ${Object.entries(
    TORCH_ENV,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')})${ort ? `, onnxruntime-node ${ort.version} (2 threads)` : ''}`,
  `Backends: ${backends.map((b) => `${b.backend} (isa ${b.isa}, ${b.threads} thread${b.threads === 1 ? '' : 's'})`).join(', ')}`,
  `Load average (1, 5, 15 min): ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`,
  `Protocol: rounds: ${ARGS.rounds}; each round runs, per workload, PyTorch 2 threads, seqlab on each backend, PyTorch 1 thread${ort ? ', ONNX Runtime' : ''}, one process each per mode; every side ${ARGS.warmup} warm-up steps before training's ${ARGS.steps} timed steps, ${ARGS.inferWarmup} before inference's. Times: median over rounds of each process's median (ms); seqlab p90: the median over rounds of each process's 90th percentile step. Ratios: seqlab / other per round, median (min–max) over rounds.`,
  '',
  formatCompareTable(rows),
  '',
  ...notes.map((n) => `- ${n}`),
];
console.log(out.join('\n'));
