import { describe, expect, it } from 'vitest';
import { formatTraceTable, parseStatCpu, parseStatus, slope, summarizeTrace } from './rss-trace-table.mjs';

// Trimmed /proc/PID/status and /proc/PID/stat of a node process (Linux 6.x).
const STATUS = [
  'Name:\tnode',
  'VmPeak:\t 1234567 kB',
  'VmHWM:\t  450560 kB',
  'VmRSS:\t  419840 kB',
  'RssAnon:\t  380000 kB',
].join('\n');
// comm with a space and a ')' in it: fields must be counted after the last ')'.
const STAT =
  '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 95000 0 12 0 3150 275 0 0 20 0 11 0 5000 1500000000 100000';

describe('/proc parsing', () => {
  it('reads VmRSS and VmHWM in MiB', () => {
    expect(parseStatus(STATUS)).toEqual({ rss: 410, hwm: 440 });
  });

  it('returns null for a process without VmRSS (a zombie)', () => {
    expect(parseStatus('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });

  it('reads utime + stime past a command name with spaces and parentheses', () => {
    expect(parseStatCpu(STAT, 100)).toBeCloseTo(34.25, 12);
    expect(parseStatCpu('garbage', 100)).toBeNull();
  });
});

// A curve: 100 MiB at start, 400 MiB from 10 s on, then +0.5 MiB per minute, over 1,000 steps.
const curve = (perMinute) =>
  Array.from({ length: 101 }, (_, i) => {
    const t = i * 6; // 0..600 s
    const rss = t < 60 ? 100 + (300 * t) / 60 : 400 + (perMinute * (t - 60)) / 60;
    return { t, rss, hwm: Math.max(rss, t > 0 ? 420 : rss), cpu: t * 0.9 };
  });

describe('summarizeTrace', () => {
  it('gives start, after warm-up, end, peak and the slope after warm-up', () => {
    const s = summarizeTrace(curve(0.5), { warmupFraction: 0.1, steps: 1000 });
    expect(s).toMatchObject({
      samples: 101,
      seconds: 600,
      start_mb: 100,
      warm_mb: 400,
      warm_t: 60,
      peak_mb: 420,
    });
    expect(s.cpu_s).toBeCloseTo(540, 12);
    expect(s.end_mb).toBeCloseTo(404.5, 12);
    expect(s.slope_mb_per_min).toBeCloseTo(0.5, 9);
    // 540 s after warm-up in quarters of 135 s; a quarter's mean is the RSS at its middle
    expect(s.quarter_means_mb[0]).toBeCloseTo(400 + (0.5 * 66) / 60, 1);
    expect(s.quarter_means_mb[3]).toBeCloseTo(400 + (0.5 * 471) / 60, 1);
    expect(s.quarter_means_mb[3] - s.quarter_means_mb[2]).toBeCloseTo((0.5 * 135) / 60, 1);
    // 600 s for 1,000 steps: 100 steps take 60 s
    expect(s.slope_mb_per_100_steps).toBeCloseTo(0.5, 9);
  });

  it('leaves the warm-up out of the slope', () => {
    expect(summarizeTrace(curve(0), { warmupFraction: 0.1 }).slope_mb_per_min).toBeCloseTo(0, 9);
    // from the start the climb to 400 MiB would dominate
    expect(summarizeTrace(curve(0), { warmupFraction: 0 }).slope_mb_per_min).toBeGreaterThan(5);
  });

  it('has no per-step slope without a step count', () => {
    expect(summarizeTrace(curve(0.5)).slope_mb_per_100_steps).toBeNull();
  });

  it('rejects an empty trace', () => {
    expect(() => summarizeTrace([])).toThrow('expected at least 1 sample, got 0');
  });
});

describe('slope and table', () => {
  it('fits a least-squares line', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2, 12);
    expect(slope([1], [1])).toBeNaN();
  });

  it('prints a Markdown row with signed slopes', () => {
    const row = { label: 'native', ...summarizeTrace(curve(-0.25), { steps: 1000 }) };
    const table = formatTraceTable([row]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| native | 600 | 540 | 101 | 100.0 | 400.0 (60 s) |');
    expect(table).toContain('| 420.0 | 399.7, 399.2, 398.6, 398.0 | −0.25 | −0.25 |');
  });
});
