import { availableParallelism } from 'node:os';
import { ConfigError, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import type { LogOptions } from '../../logger';
import { backendInfo, useBackend } from './backends';
import { fmt, formatTable } from './format';
import { type AddingResult, runAddingProblem } from './long-range';
import { benchMessages as m } from './messages';
import { benchOnnxRuntime } from './onnxruntime';
import {
  BackendsFlagsSchema,
  LongRangeFlagsSchema,
  parseFlags,
  type SpeedFlags,
  SpeedFlagsSchema,
} from './options';
import { PACKED_WORKLOADS, type PackedWorkloadName } from './packed';
import { benchPackedWorkload, benchWorkload, type SpeedRecord } from './speed';
import { WORKLOADS, type WorkloadName } from './workloads';

/** Where a bench command writes: results to `out` (stdout), progress to `err` (stderr). */
export interface BenchIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Rewrites one status line ('' clears it); null when stderr is not a terminal. */
  status: ((line: string) => void) | null;
}

const consoleIO = (): BenchIO => ({
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  status: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[K${line}`) : null,
});

/**
 * `seqlab bench long-range`: the adding problem at each length T for each cell (adding_problem.py's
 * protocol, see `runAddingProblem`). Text: a line per finished run on stderr, then a table on
 * stdout; `--json`: one JSON line per run on stdout (the reference's fields, its curve included).
 */
export async function benchLongRangeCommand(
  rawFlags: Record<string, unknown>,
  log: LogOptions = {},
  io: BenchIO = consoleIO(),
): Promise<number> {
  const flags = parseFlags('bench long-range', LongRangeFlagsSchema, rawFlags);
  const json = flags.json || log.logFormat === 'json';
  const chatty = !json && !log.quiet;
  if (chatty) io.err(m.longRangeProtocol(flags.steps, flags.batch, flags.hidden, flags.lr));
  const results: AddingResult[] = [];
  for (const T of flags.lengths) {
    for (const cell of flags.models) {
      const status = chatty ? io.status : null;
      const r = runAddingProblem(cell, T, flags, (step, mse) =>
        status?.(m.evalProgress(cell, T, step, flags.steps, mse)),
      );
      status?.('');
      results.push(r);
      if (json) io.out(JSON.stringify(r));
      else if (chatty) io.err(m.runDone(cell, T, r.steps_run, r.final_test_mse, r.wall_s));
    }
  }
  if (!json) {
    io.out(longRangeTable(results));
    if (results.some((r) => r.time_limited)) io.out(m.timeLimited);
  }
  return 0;
}

/** The long-range results as a text table (one row per run). */
export function longRangeTable(results: readonly AddingResult[]): string {
  const steps = (s: number | null) => (s === null ? m.never : String(s));
  return formatTable(
    ['model', 'T', 'steps', 'final test MSE', 'baseline MSE', 'steps to <0.05', 'steps to <0.01', 'wall s'],
    results.map((r) => [
      r.cell,
      String(r.T),
      `${r.steps_run}${r.time_limited ? '*' : ''}`,
      r.final_test_mse.toFixed(5),
      r.baseline_mse.toFixed(5),
      steps(r['steps_to_mse_below_0.05']),
      steps(r['steps_to_mse_below_0.01']),
      r.wall_s.toFixed(1),
    ]),
  );
}

/**
 * `seqlab bench speed`: times W1/W2/W3 (see `benchWorkload`) and the packed W1-packed (see
 * `benchPackedWorkload`, once per `--max-len`) in train and/or infer mode on the active backend, or
 * on `--backend` (the optional backend packages are loaded first). Text: a line per measurement on
 * stderr, then a table on stdout; `--json`: one JSON line per workload and mode on stdout, as soon
 * as it is measured.
 */
export async function benchSpeedCommand(
  rawFlags: Record<string, unknown>,
  log: LogOptions = {},
  io: BenchIO = consoleIO(),
): Promise<number> {
  const flags = parseFlags('bench speed', SpeedFlagsSchema, rawFlags);
  const json = flags.json || log.logFormat === 'json';
  const chatty = !json && !log.quiet;
  if (flags.engine === 'onnxruntime') return benchSpeedOnnxRuntime(flags, json, chatty, io);
  await useBackend(flags.backend);
  const info = backendInfo();
  if (chatty)
    io.err(m.speedHeader(info.backend, info.isa, info.threads, process.version, flags.steps, flags.warmup));
  const records: SpeedRecord[] = [];
  const runs = flags.workload.flatMap((name) =>
    name in PACKED_WORKLOADS
      ? flags.maxLen.map((T) =>
          benchPackedWorkload(
            name,
            { ...PACKED_WORKLOADS[name as PackedWorkloadName], seq: T },
            flags.mode,
            flags,
          ),
        )
      : [benchWorkload(name, WORKLOADS[name as WorkloadName], flags.mode, flags)],
  );
  for (const run of runs) {
    for (const r of run) {
      records.push(r);
      if (json) io.out(JSON.stringify(r));
      else if (chatty) io.err(`${r.workload} (T ${r.seq}) ${r.mode}: median ${fmt(r.median_ms)} ms`);
    }
  }
  if (!json) io.out(speedTable(records));
  return 0;
}

/** `bench speed --engine onnxruntime`: inference of W1, W2, W3 in ONNX Runtime (see benchOnnxRuntime). */
async function benchSpeedOnnxRuntime(
  flags: SpeedFlags,
  json: boolean,
  chatty: boolean,
  io: BenchIO,
): Promise<number> {
  const op = 'bench speed --engine onnxruntime';
  if (!flags.mode.includes('infer'))
    throw new ConfigError(
      op,
      '--mode infer (ONNX Runtime runs inference only)',
      `--mode ${flags.mode.join(',')}`,
    );
  const packed = flags.workload.filter((name) => name in PACKED_WORKLOADS);
  const names = flags.workload.filter((name) => !(name in PACKED_WORKLOADS)) as WorkloadName[];
  if (names.length === 0) throw new ConfigError(op, 'a workload of W1, W2, W3', flags.workload.join(','));
  const threads = flags.threads ?? availableParallelism();
  if (chatty) {
    io.err(`onnxruntime (CPU, ${threads} threads), node ${process.version}: inference only`);
    if (packed.length > 0)
      io.err(`skipped: ${packed.join(', ')} (packed workloads run on seqlab's backends only)`);
  }
  const records: SpeedRecord[] = [];
  for (const name of names) {
    const r = await benchOnnxRuntime(name, WORKLOADS[name], flags, threads);
    records.push(r);
    if (json) io.out(JSON.stringify(r));
    else if (chatty) io.err(`${r.workload} infer: median ${fmt(r.median_ms)} ms`);
  }
  if (!json) io.out(speedTable(records));
  return 0;
}

/** The speed records as a text table (one row per workload and mode). */
export function speedTable(records: readonly SpeedRecord[]): string {
  return formatTable(
    [
      'workload',
      'mode',
      'B x T',
      'params',
      'median ms',
      'p10–p90 ms',
      'min–max ms',
      'tokens/s',
      'backend',
      'isa',
      'threads',
      'peak RSS MB',
      'loadavg',
    ],
    records.map((r) => [
      r.workload,
      r.mode,
      `${r.batch} x ${r.min_len === undefined ? '' : `${r.min_len}–`}${r.seq}`,
      fmt(r.params, 0),
      fmt(r.median_ms),
      `${fmt(r.p10_ms)}–${fmt(r.p90_ms)}`,
      `${fmt(r.min_ms)}–${fmt(r.max_ms)}`,
      fmt(r.tokens_per_s, 0),
      r.backend,
      r.isa,
      String(r.threads),
      fmt(r.peak_rss_mb, 0),
      String(r.loadavg_1m),
    ]),
  );
}

/**
 * `seqlab bench backends`: the backends `bench speed --backend` can select (the built-in ones and
 * those of the optional packages that are installed), with their instruction set and threads, and
 * what became of each optional package. `--json`: one JSON object.
 */
export async function benchBackendsCommand(
  rawFlags: Record<string, unknown>,
  log: LogOptions = {},
  io: BenchIO = consoleIO(),
): Promise<number> {
  const flags = parseFlags('bench backends', BackendsFlagsSchema, rawFlags);
  const notes = await useBackend(undefined);
  const active = getBackend().name;
  const backends = listBackends().map((name) => {
    setBackend(name);
    return backendInfo();
  });
  setBackend(active);
  if (flags.json || log.logFormat === 'json') {
    io.out(JSON.stringify({ active, backends, optional: notes }));
    return 0;
  }
  io.out(
    formatTable(
      ['backend', 'isa', 'threads', 'active'],
      backends.map((b) => [b.backend, b.isa, String(b.threads), b.backend === active ? 'yes' : '']),
    ),
  );
  for (const n of notes) io.out(m.optionalBackend(n.package, n.status));
  return 0;
}
