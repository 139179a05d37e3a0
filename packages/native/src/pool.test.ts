// The thread pool: sized by setThreads (the calling thread included), refusing bad sizes, and
// giving the same bits as one thread when a job is split (see also gemm.test.ts).
import { afterAll, describe, expect, test } from 'vitest';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

describe.skipIf(!load.ok)(`native thread pool${skipped}`, () => {
  if (!load.ok) return;
  const { addon } = load;
  const initial = addon.threads();
  afterAll(() => addon.setThreads(initial));

  test('resizes, counting the calling thread', () => {
    for (const n of [1, 3, 2, 1, 4]) {
      addon.setThreads(n);
      expect(addon.threads()).toBe(n);
    }
  });

  test('refuses a size outside 1 to 1024', () => {
    expect(() => addon.setThreads(0)).toThrow('setThreads: expected n in [1, 1024]');
    expect(() => addon.setThreads(5000)).toThrow(RangeError);
    expect(() => addon.setThreads('2' as unknown as number)).toThrow('setThreads: expected n to be a number');
  });

  test('runs many back-to-back split jobs on more threads than cores without losing one', () => {
    // 32 x 1024 x 256 is split over column panels, as a recurrent step is.
    const [m, n, k] = [32, 1024, 256];
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
    const packed = addon.packB(false, k, n, b, 0);
    addon.setThreads(1);
    const want = new Float32Array(m * n);
    addon.gemmPacked(m, n, k, a, 0, packed, want, 0, false, addon.gemmInfo().nr);
    addon.setThreads(5);
    const got = new Float32Array(m * n);
    for (let step = 0; step < 200; step++) {
      got.fill(Number.NaN);
      addon.gemmPacked(m, n, k, a, 0, packed, got, 0, false, addon.gemmInfo().nr);
      if (got.some((x, i) => x !== want[i])) expect.fail(`step ${step} differs from one thread`);
    }
  });
});
