// Runs the built `seqlab` CLI (apps/trainer/dist/cli.js) as a subprocess for the end-to-end tests.
// The root `pnpm test` builds every package before vitest starts; when running vitest directly,
// build first: `pnpm turbo run build --filter=@seqlab/cli...`.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensorsFile } from '@seqlab/tensor/node';

/** The built CLI. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** The repository root (the CLI's working directory unless a test says otherwise). */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
/** The committed fixture files. */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A fixture file's absolute path. */
export const fixture = (name: string): string => join(FIXTURES, name);

/** Throws a clear error when the CLI has not been built (call it in `beforeAll`). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) {
    throw new Error(
      `e2e: ${CLI} is missing. Build the CLI first: cd ${REPO} && pnpm turbo run build --filter=@seqlab/cli... (pnpm test does this)`,
    );
  }
}

/** What a finished CLI process left behind. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface CliOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Written to stdin, which is then closed (stdin is always closed, so `predict` never waits). */
  input?: string;
  /** Extra environment variables (e.g. the test hooks of src/fault-injection.ts). */
  env?: Record<string, string>;
  /** runCli: SIGKILL the process this many milliseconds after it starts. */
  killAfterMs?: number;
}

/** The child's environment: no forced colours, so output is what a pipe or a file gets. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FORCE_COLOR; // this process's; a test may still force colours through `extra`
  return { ...env, ...extra };
}

/** A CLI process still running after this long is killed (the test then fails on its exit). */
const CHILD_TIMEOUT_MS = 45_000;

/** Starts `node dist/cli.js ...args` with piped stdio (not a TTY). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  requireBuiltCli();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  child.stdin?.end(options.input ?? '');
  return child;
}

/** Collects a spawned CLI's output until it exits. */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// At most this many CLI processes at once per test file (the machine is shared): concurrent tests
// overlap one process's start-up with another's work without oversubscribing the cores.
const MAX_CHILDREN = Math.max(1, Math.min(2, availableParallelism()));
let running = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (running < MAX_CHILDREN) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  await acquire();
  try {
    const child = spawnCli(args, options);
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    try {
      return await collect(child);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    release();
  }
}

/** The tiny model every training test uses unless it needs another. */
export const TINY = [
  '--hidden',
  '8',
  '--embed',
  '8',
  '--epochs',
  '2',
  '--max-len',
  '20',
  '--batch-size',
  '16',
];

/**
 * Trains one run per entry in parallel, each the TINY model on the topics fixture plus the entry's
 * flags, into `root/run<i>`; returns the run directories by name. Throws, with the CLI's stderr,
 * when a training writes to stderr or exits with a code other than 0.
 */
export async function trainTinyRuns(
  root: string,
  runs: ReadonlyArray<readonly [string, readonly string[]]>,
): Promise<Map<string, string>> {
  requireBuiltCli();
  const dirs = new Map<string, string>();
  await Promise.all(
    runs.map(async ([name, flags], i) => {
      const out = join(root, `run${i}`);
      const r = await runCli([
        '--quiet',
        'train',
        '--train',
        fixture('topics.csv'),
        ...TINY,
        ...flags,
        '--out',
        out,
      ]);
      if (r.code !== 0 || r.stderr !== '') {
        throw new Error(`e2e: training ${name} exited ${r.code}: ${r.stderr}`);
      }
      dirs.set(name, out);
    }),
  );
  return dirs;
}

/** A fresh directory under the OS temp dir; `cleanup` removes every one made. */
export class TempDirs {
  #dirs: string[] = [];

  async make(prefix = 'seqlab-e2e-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Parses a JSON file. */
export async function readJsonFile<T = unknown>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Reads a JSON-lines file (one object per non-empty line). */
export async function readJsonLines<T = unknown>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** A safetensors file's tensors as name → { shape, values }. */
export async function readWeights(path: string): Promise<Map<string, { shape: number[]; values: number[] }>> {
  const { tensors } = await loadSafetensorsFile(path);
  const out = new Map<string, { shape: number[]; values: number[] }>();
  for (const [name, t] of tensors) out.set(name, { shape: [...t.shape], values: Array.from(t.data) });
  return out;
}

/** Lines of output without the trailing empty one. */
export const lines = (text: string): string[] =>
  text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
