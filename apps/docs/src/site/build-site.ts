/**
 * Runs `pnpm docs:build` for the tests that check the built site. Test files run in parallel, so
 * a lock directory makes concurrent callers take turns: the second one finds turbo's cache warm
 * instead of writing the same folders at the same time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { DOCS_ROOT } from './markdown';

const LOCK = `${DOCS_ROOT}.build.lock`;
/** A lock older than this was left by a killed run. */
const STALE_MS = 20 * 60_000;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function acquire(): void {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      else sleep(500);
    }
  }
}

/** Builds the site into apps/docs/dist (or restores it from turbo's cache); throws with the log on failure. */
export function buildSite(): void {
  acquire();
  try {
    const build = spawnSync('pnpm', ['docs:build', '--output-logs=errors-only'], {
      cwd: `${DOCS_ROOT}../../`,
      encoding: 'utf8',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    if (build.status !== 0) {
      throw new Error(`pnpm docs:build failed (status ${build.status}):\n${build.stdout}\n${build.stderr}`);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
