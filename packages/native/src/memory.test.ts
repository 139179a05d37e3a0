// retainFreedMemory (src/c/pool-binding.c; registerNative's `retainFreedMemory` option): with glibc,
// memory freed by V8's collections stays with malloc for the next typed arrays, so they are not
// fresh pages to fault in. Each case runs in a child process (the policy is process-wide): rounds of
// 4 MiB Buffers, written whole, dropped and collected, counting the child's minor page faults over
// the rounds after the first. Without the policy glibc unmaps or trims the freed megabytes and each
// round faults part of them in again; with it they are reused. --single-threaded-gc: the arrays'
// memory is freed inside gc(), not by a background sweeper at some later point, so the counts
// repeat (≈ 930 a round without, ≈ 115 with, on the 2-core Linux machine of PROFILE.md).
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { loadNative } from './load';

const load = loadNative();
const glibc = Boolean(
  (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
    ?.glibcVersionRuntime,
);
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

/** The child's page faults per round (after a first round), and what retainFreedMemory returned. */
function faultsPerRound(path: string, retain: boolean): { faults: number; retained: boolean | null } {
  const script = `
    const addon = require(${JSON.stringify(path)});
    const retained = ${retain} ? addon.retainFreedMemory() : null;
    const round = () => {
      let keep = [];
      for (let i = 0; i < 8; i++) keep.push(Buffer.allocUnsafeSlow(4 << 20).fill(1));
      keep = null;
      globalThis.gc();
    };
    round();
    const before = process.resourceUsage().minorPageFault;
    for (let r = 0; r < 10; r++) round();
    const faults = (process.resourceUsage().minorPageFault - before) / 10;
    process.stdout.write(JSON.stringify({ faults, retained }));
  `;
  return JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', '--single-threaded-gc', '-e', script], {
      encoding: 'utf8',
    }),
  );
}

describe.skipIf(!load.ok)(`native retainFreedMemory${skipped}`, () => {
  if (!load.ok) return;
  const { path } = load;

  test.skipIf(!glibc)('with glibc, freed typed arrays come back without page faults', () => {
    const before = faultsPerRound(path, false);
    const after = faultsPerRound(path, true);
    expect(after.retained).toBe(true);
    // A round writes 32 MiB (8,192 pages of 4 KiB); glibc keeps some of it either way.
    expect(before.faults).toBeGreaterThan(500);
    expect(after.faults).toBeLessThan(before.faults / 4);
  });

  test.skipIf(glibc)('without glibc it says so and changes nothing', () => {
    expect(faultsPerRound(path, true).retained).toBe(false);
  });
});
