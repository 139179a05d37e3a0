#!/usr/bin/env node
// The one-thread wasm floor of a W1 training step, measured side by side in one run: is
// "wasm training of W1 in ≤ 1.5× PyTorch's single-threaded time" within reach of one SIMD128 thread?
//
//   pnpm build && node tools/bench/wasm-floor.mjs [--rounds 3] [--steps 5] [--warmup 2]
//     [--peak-rounds 7] [--workload W1] [--clock cpu|wall] [--shared ../shared] [--python /usr/bin/python3]
//
// --clock cpu (the default) times every step with its process's CPU time (user + system): PyTorch's
// time.perf_counter and seqlab's performance.now() replaced (a runpy wrapper, cpu-clock.mjs), as the
// peaks and the kernel are timed. On a shared machine the wall clock mostly measures the wait for a
// core; --clock wall is the benchmarks' own clock, for a quiet machine.
//
// 1. The GEMM flops of the step: apps/trainer/scripts/wasm-step-count.ts runs `bench speed`'s
//    training step eight times on the wasm backend through a counting copy of the backend
//    (wasm-flops.mjs: 2·m·n·k per product, the recurrence's per-step products included) and
//    reports the eighth step, with its time inside the WebAssembly kernels, in the JavaScript
//    around them, and outside the wasm calls. (The second step of a fresh process still takes
//    1.5× a warm one, most of it outside the kernels: PROFILE.md, "Where the wasm W1 training
//    step's time goes outside the GEMM, on a quiet core".)
// 2. The SIMD128 peak on this machine: wasm-peak.mjs's 12 chains of f32x4 mul + add (clang), and
//    the same loop hand-assembled in a child `node --experimental-wasm-relaxed-simd` as mul + add
//    and as f32x4.relaxed_madd (the FMA, for the record); and gemm.c's kernel alone on W1's shapes.
//    Process CPU time, medians of --peak-rounds; the peak and the kernel again in every round of 3.
// 3. PyTorch's single-threaded step (torch_bench.py --threads 1 --workloads W1 --only train,
//    OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX) and seqlab's wasm step
//    (`seqlab bench speed --backend wasm --mode train --json`), one process each, alternating, --rounds
//    rounds; each reports the median of its --steps timed steps. Then that round's peak and kernel.
// 4. The table (wasm-floor-table.mjs): flops, the GEMM-only floor at the peaks and at the kernel's
//    rate, PyTorch's step and 1.5× of it, the wasm step, the ratios, and a verdict line.
//
// Without PyTorch (or ../shared) step 3's PyTorch side is skipped with a message and there is no
// verdict; without clang (needed by wasm-peak.mjs) the hand-assembled mul + add loop is the peak
// and the kernel's rate is not measured.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { flagOf } from './args.mjs';
import { parseJsonLines } from './compare-table.mjs';
import { floorSummary, formatFloor } from './wasm-floor-table.mjs';
import { gemmRates, simd128Peak } from './wasm-peak.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => flagOf(argv, name, fallback);
const int = (name, fallback) => {
  const v = Number(flag(name, fallback));
  if (!Number.isInteger(v) || v < 1) {
    console.error(`wasm-floor: --${name}: expected an integer ≥ 1, got ${flag(name, fallback)}`);
    process.exit(1);
  }
  return v;
};
// Not a turbo task: the variable only points at files beside the repository.
const { SEQLAB_SHARED } = process.env;
const ARGS = {
  rounds: int('rounds', '3'),
  steps: int('steps', '5'),
  warmup: int('warmup', '2'),
  peakRounds: int('peak-rounds', '7'),
  workload: flag('workload', 'W1'),
  shared: path.resolve(flag('shared', SEQLAB_SHARED ?? path.join(ROOT, '..', 'shared'))),
  python: flag('python', '/usr/bin/python3'),
  clock: flag('clock', 'cpu'),
};
if (ARGS.clock !== 'cpu' && ARGS.clock !== 'wall') {
  console.error(`wasm-floor: --clock: expected cpu or wall, got ${ARGS.clock}`);
  process.exit(1);
}
const CPU = ARGS.clock === 'cpu';
// PyTorch's torch_bench.py under runpy, its step clock made the process's CPU time (--clock cpu).
const CPU_CLOCK_PY = [
  'import runpy, sys, time',
  'time.perf_counter = time.process_time',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');
const CPU_CLOCK_JS = pathToFileURL(path.join(ROOT, 'tools/bench/cpu-clock.mjs')).href;
const CLI = path.join(ROOT, 'apps/trainer/dist/cli.js');
const TORCH_BENCH = path.join(ARGS.shared, 'bench/anchors/torch_bench.py');
const TORCH_ENV = { OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_CORETYPE: 'SkylakeX' };
const log = (line) => process.stderr.write(`${line}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const notes = [];

if (!existsSync(CLI)) {
  console.error(`wasm-floor: no ${path.relative(ROOT, CLI)}: run pnpm build first`);
  process.exit(1);
}
const loadBefore = load();
log(`wasm-floor: ${ARGS.workload}, ${ARGS.rounds} rounds, ${ARGS.clock} clock; load ${loadBefore}`);

// 1. The counted step: a warm one.
const COUNTED_STEP = 8;
log('counting the GEMM flops of a training step on wasm (wasm-step-count.ts)');
const counted = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--conditions=@seqlab/source',
      '--import',
      'tsx',
      'apps/trainer/scripts/wasm-step-count.ts',
      '--workload',
      ARGS.workload,
      '--steps',
      String(COUNTED_STEP),
      '--clock',
      ARGS.clock,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .at(-1),
);

// 2. The peaks and the kernel (again in every round, below).
log('the SIMD128 peak and the GEMM kernel (wasm-peak.mjs)');
let clang = true;
let gemmRows = [];
let peak0 = null;
const kernelOf = (rows) => {
  const rates = rows.map((r) => r.gflops).sort((a, b) => a - b);
  return (rates[(rates.length - 1) >> 1] + rates[rates.length >> 1]) / 2;
};
try {
  peak0 = simd128Peak(ARGS.peakRounds);
  gemmRows = gemmRates(ARGS.peakRounds);
} catch (e) {
  clang = false;
  notes.push(`clang-compiled peak and kernel not measured (${e.message.split('\n')[0]}): needs clang + lld`);
}
const hand = (flags) => {
  const res = spawnSync(
    process.execPath,
    [...flags, 'tools/bench/wasm-peak.mjs', '--hand', '--rounds', String(ARGS.peakRounds)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (res.status !== 0) return { error: (res.stderr || String(res.error)).trim().split('\n').at(-1) };
  return JSON.parse(res.stdout.trim().split('\n').at(-1));
};
const relaxed = hand(['--experimental-wasm-relaxed-simd']);
if (relaxed.error) notes.push(`relaxed SIMD child failed: ${relaxed.error}`);
else if (relaxed.relaxedMadd === null) notes.push(`relaxed_madd not measured: ${relaxed.why}`);
if (!clang && relaxed.error) {
  console.error('wasm-floor: no SIMD128 peak could be measured');
  process.exit(1);
}
/** This round's peak and kernel rate (GFLOP/s): the clang loop (3 timings), the kernel (1 a shape). */
const machine = () =>
  clang ? { peak: simd128Peak(3), kernel: kernelOf(gemmRates(1)) } : { peak: relaxed.mulAdd, kernel: null };

// 3. PyTorch and seqlab, alternating.
let torchOk = existsSync(TORCH_BENCH);
if (!torchOk)
  notes.push(`PyTorch SKIPPED: no ${TORCH_BENCH} (pass --shared DIR or set SEQLAB_SHARED): no verdict`);
else {
  const check = spawnSync(ARGS.python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (check.status !== 0) {
    torchOk = false;
    notes.push(`PyTorch SKIPPED: not importable by ${ARGS.python}: no verdict`);
  }
}
for (const n of notes) log(`  ${n}`);
const stepOf = (command, args, env, what) => {
  const res = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 2 ** 20,
  });
  const rec = parseJsonLines(res.stdout ?? '').records.find(
    (r) => r.mode === 'train' && r.workload === ARGS.workload && typeof r.median_ms === 'number',
  );
  if (res.status !== 0 || !rec) {
    const why = (res.stderr || String(res.error ?? '')).trim().split('\n').at(-1);
    notes.push(`${what}: FAILED (exit ${res.status}): ${why}`);
    return null;
  }
  return rec.median_ms;
};
const counts = ['--steps', String(ARGS.steps), '--warmup', String(ARGS.warmup)];
const rounds = [];
for (let r = 1; r <= ARGS.rounds; r++) {
  const torchStep = () =>
    torchOk
      ? stepOf(
          ARGS.python,
          [
            ...(CPU ? ['-c', CPU_CLOCK_PY] : []),
            TORCH_BENCH,
            '--threads',
            '1',
            '--workloads',
            ARGS.workload,
            '--only',
            'train',
            ...counts,
          ],
          TORCH_ENV,
          `round ${r} PyTorch`,
        )
      : null;
  const wasmStep = () =>
    stepOf(
      process.execPath,
      [
        ...(CPU ? ['--import', CPU_CLOCK_JS] : []),
        CLI,
        'bench',
        'speed',
        '--backend',
        'wasm',
        '--workload',
        ARGS.workload,
        '--mode',
        'train',
        '--json',
        ...counts,
      ],
      {},
      `round ${r} seqlab wasm`,
    );
  // A B, then B A: neither side always runs first.
  let torch;
  let wasm;
  if (r % 2) {
    torch = torchStep();
    wasm = wasmStep();
  } else {
    wasm = wasmStep();
    torch = torchStep();
  }
  const { peak, kernel } = machine();
  rounds.push({ torch, wasm, peak, kernel });
  const f = (x) => (x === null ? 'n/a' : `${x.toFixed(0)} ms`);
  log(
    `round ${r}/${ARGS.rounds}: PyTorch 1 thread ${f(torch)}, wasm ${f(wasm)}, peak ${peak.toFixed(1)} GFLOP/s, kernel ${kernel?.toFixed(1) ?? 'n/a'} GFLOP/s (load ${load()})`,
  );
}

// 4. The report.
const summary = floorSummary({
  flops: counted.flops,
  relaxedPeak: relaxed.error ? null : relaxed.relaxedMadd,
  rounds,
  split: { stepMs: counted.step_ms, exportMs: counted.wasm_export_ms, backendMs: counted.backend_ms },
});
console.log(
  `node tools/bench/wasm-floor.mjs ${argv.join(' ')}`.trim() +
    `\n${ARGS.workload} train, ${ARGS.clock} clock (every ms below is ${CPU ? 'process CPU time' : 'wall time'}); ${cpus().length} × ${cpus()[0]?.model ?? '?'}; node ${process.version}; load ${loadBefore} before, ${load()} after`,
);
console.log(
  `counted step (step ${COUNTED_STEP}; wasm-step-count.ts): ${counted.backend_calls} backend calls, loss ${counted.loss}, ` +
    `${counted.wall_ms.toFixed(0)} ms wall, ${counted.cpu_ms.toFixed(0)} ms CPU; GFLOP by method: ` +
    Object.entries(counted.by_method)
      .filter(([, m]) => m.flops > 0)
      .map(([k, m]) => `${k} ${(m.flops / 1e9).toFixed(2)}`)
      .join(', '),
);
if (!relaxed.error)
  console.log(
    `hand-assembled 12-chain loop under --experimental-wasm-relaxed-simd: mul + add ${relaxed.mulAdd.toFixed(1)} GFLOP/s` +
      (relaxed.relaxedMadd === null ? '' : `, relaxed_madd ${relaxed.relaxedMadd.toFixed(1)} GFLOP/s`),
  );
if (peak0 !== null)
  console.log(
    `before the rounds (${ARGS.peakRounds} timings each): SIMD128 mul + add peak ${peak0.toFixed(1)} GFLOP/s`,
  );
for (const g of gemmRows)
  console.log(`gemm_packed ${g.name} [${g.m},${g.k}]x[${g.k},${g.n}]: ${g.gflops.toFixed(1)} GFLOP/s`);
console.log(
  `rounds (PyTorch 1 thread ms, wasm ms): ${rounds.map((r) => `${r.torch?.toFixed(0)}/${r.wasm?.toFixed(0)}`).join(', ')}`,
);
console.log('');
console.log(formatFloor(summary));
if (!CPU)
  notes.push(
    'wall clock: the peaks and the kernel are CPU-time rates, so the floor rows compare like with like only on a quiet machine',
  );
for (const n of notes) console.log(`note: ${n}`);
