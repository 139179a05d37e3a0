// One command under /usr/bin/time, for the end-to-end benchmarks (e2e.mjs, e2e-ab.mjs): every
// stdout line stamped with the seconds since the start as it arrives, the tail of stderr, and
// /usr/bin/time's line parsed (wall and CPU seconds, peak RSS).
import { spawn } from 'node:child_process';
import { parseTimeLine, TIME_FORMAT } from './e2e-table.mjs';

/** The time(1) binary the benchmarks run under. */
export const TIME = '/usr/bin/time';

/**
 * Runs `args` under `/usr/bin/time -f TIME_FORMAT` with `env` added to this process's.
 * @returns {Promise<{ code: number | null, lines: { t: number, line: string }[], stderr: string, time: ReturnType<typeof parseTimeLine> }>}
 */
export function runUnderTime(args, { cwd, env = {} } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(TIME, ['-f', TIME_FORMAT, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const t = (performance.now() - started) / 1000;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) lines.push({ t, line });
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    child.on('close', (code) => resolve({ code, lines, stderr, time: parseTimeLine(stderr) }));
  });
}
