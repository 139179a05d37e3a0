// The arithmetic of `pnpm bench:rss` (tools/bench/rss-trace.mjs), apart from the process it watches,
// so a unit test can feed it canned /proc files and samples.
//
// A sample is `{ t, rss, hwm, cpu }`: seconds since the process started, its resident set size and
// its peak resident set size so far (VmRSS, VmHWM of /proc/PID/status, in MiB), and the CPU seconds
// it has used (utime + stime of /proc/PID/stat).

/** VmRSS and VmHWM of a /proc/PID/status text, in MiB (the file gives kB), or null when absent. */
export function parseStatus(text) {
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 : null;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return rss === null || hwm === null ? null : { rss, hwm };
}

/**
 * utime + stime of a /proc/PID/stat line, in seconds. The command name (field 2) is in parentheses
 * and may hold spaces, so fields are counted after the last ')': utime and stime are fields 14 and
 * 15 of the line, the 12th and 13th after it.
 */
export function parseStatCpu(text, ticksPerSecond = 100) {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / ticksPerSecond;
}

/** Least-squares slope of y against x (NaN with fewer than two distinct x). */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/**
 * The curve's summary: RSS at the first sample, after warm-up (the first sample at or past
 * `warmupFraction` of the run's time), at the last sample and at its peak (VmHWM, which the
 * kernel keeps between samples), and the least-squares slope of RSS over the samples after
 * warm-up, per minute and, when the run's step count is given, per 100 steps (the steps taken as
 * evenly spread over the run's time).
 */
export function summarizeTrace(samples, { warmupFraction = 0.1, steps = null } = {}) {
  if (samples.length === 0) throw new Error('summarizeTrace: expected at least 1 sample, got 0');
  const first = samples[0];
  const last = samples.at(-1);
  const warmAt = first.t + (last.t - first.t) * warmupFraction;
  const warmIndex = samples.findIndex((s) => s.t >= warmAt);
  const after = samples.slice(warmIndex);
  const perSecond = slope(
    after.map((s) => s.t),
    after.map((s) => s.rss),
  );
  const seconds = last.t - first.t;
  const quarters = [0, 1, 2, 3].map((q) => {
    const from = after[0].t + ((last.t - after[0].t) * q) / 4;
    const to = after[0].t + ((last.t - after[0].t) * (q + 1)) / 4;
    const inQ = after.filter((s) => s.t >= from && (q === 3 ? s.t <= to : s.t < to));
    return inQ.length === 0 ? Number.NaN : inQ.reduce((a, s) => a + s.rss, 0) / inQ.length;
  });
  return {
    samples: samples.length,
    seconds,
    cpu_s: last.cpu,
    start_mb: first.rss,
    warm_mb: after[0].rss,
    warm_t: after[0].t,
    end_mb: last.rss,
    min_after_warm_mb: Math.min(...after.map((s) => s.rss)),
    max_after_warm_mb: Math.max(...after.map((s) => s.rss)),
    peak_mb: Math.max(...samples.map((s) => s.hwm)),
    quarter_means_mb: quarters,
    slope_mb_per_min: perSecond * 60,
    slope_mb_per_100_steps: steps && seconds > 0 ? (perSecond * seconds * 100) / steps : null,
  };
}

const mb = (x) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(1));
const signed = (x, digits) =>
  x === null || Number.isNaN(x) ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/** One Markdown table of summaries `{ label, ...summarizeTrace() }`. */
export function formatTraceTable(rows) {
  const head = [
    'run',
    'wall s',
    'CPU s',
    'samples',
    'start MiB',
    'after warm-up MiB',
    'min–max after warm-up MiB',
    'end MiB',
    'peak MiB',
    'mean per quarter after warm-up MiB',
    'slope MiB/min',
    'slope MiB/100 steps',
  ];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const r of rows)
    lines.push(
      `| ${[
        r.label,
        r.seconds.toFixed(0),
        r.cpu_s === null ? '–' : r.cpu_s.toFixed(0),
        String(r.samples),
        mb(r.start_mb),
        `${mb(r.warm_mb)} (${r.warm_t.toFixed(0)} s)`,
        `${mb(r.min_after_warm_mb)}–${mb(r.max_after_warm_mb)}`,
        mb(r.end_mb),
        mb(r.peak_mb),
        r.quarter_means_mb.map(mb).join(', '),
        signed(r.slope_mb_per_min, 2),
        signed(r.slope_mb_per_100_steps, 2),
      ].join(' | ')} |`,
    );
  return lines.join('\n');
}
