// The arithmetic and the table of `pnpm bench:compare` (tools/bench/compare.mjs), apart from the
// processes it runs, so a unit test can feed it canned JSON lines.
//
// A measurement is one JSON line of torch_bench.py, torch_packed.py, ort_bench.mjs or
// `seqlab bench speed --json`, tagged with the round it ran in and the column it belongs to:
// `torch-2` (PyTorch at its best: 2 threads, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE=SkylakeX),
// `torch-1` (the same, 1 thread), `ort` (ONNX Runtime, inference only) or `seqlab:<backend>`.

/** The median as Python's statistics.median takes it (mean of the two middle values when even). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const rowKey = (r) => `${r.workload}\u0000${r.seq}\u0000${r.mode}`;

/**
 * Groups measurements `{ round, column, record }` into one row per workload, length T, mode and
 * seqlab backend. Each time is the median over rounds of the per-round medians; each ratio is
 * seqlab / the other column taken per round (the two ran back to back), then the median and range
 * of those per-round ratios. Rows keep the order in which their workload was first measured.
 */
export function summarize(measurements) {
  const groups = new Map();
  for (const { round, column, record } of measurements) {
    if (record.mode !== 'train' && record.mode !== 'infer') continue;
    const key = rowKey(record);
    if (!groups.has(key))
      groups.set(key, { workload: record.workload, seq: record.seq, mode: record.mode, cols: new Map() });
    const cols = groups.get(key).cols;
    if (!cols.has(column)) cols.set(column, new Map());
    cols.get(column).set(round, record);
  }
  const rows = [];
  for (const g of groups.values()) {
    const backends = [...g.cols.keys()].filter((c) => c.startsWith('seqlab:'));
    for (const column of backends) {
      const ours = g.cols.get(column);
      const last = [...ours.values()].at(-1);
      const timeOf = (col) => {
        const byRound = g.cols.get(col);
        return byRound ? median([...byRound.values()].map((r) => r.median_ms)) : null;
      };
      const ratioTo = (col) => {
        const theirs = g.cols.get(col);
        if (!theirs) return null;
        const ratios = [...ours.entries()]
          .filter(([round]) => theirs.has(round))
          .map(([round, r]) => r.median_ms / theirs.get(round).median_ms);
        return ratios.length === 0
          ? null
          : {
              median: median(ratios),
              min: Math.min(...ratios),
              max: Math.max(...ratios),
              pairs: ratios.length,
            };
      };
      // The slow-step share: the median over rounds of each process's 90th percentile (records
      // of `seqlab bench speed` before it reported p90_ms have none).
      const p90s = [...ours.values()].map((r) => r.p90_ms).filter((x) => typeof x === 'number');
      const peak = (col) => {
        const byRound = g.cols.get(col);
        const values = byRound
          ? [...byRound.values()].map((r) => r.peak_rss_mb).filter((x) => typeof x === 'number')
          : [];
        return values.length > 0 ? Math.max(...values) : null;
      };
      rows.push({
        workload: g.workload,
        seq: g.seq,
        mode: g.mode,
        backend: column.slice('seqlab:'.length),
        isa: last.isa ?? '?',
        threads: last.threads ?? 1,
        rounds: ours.size,
        seqlab_ms: timeOf(column),
        seqlab_p90_ms: p90s.length > 0 ? median(p90s) : null,
        torch2_ms: timeOf('torch-2'),
        torch1_ms: timeOf('torch-1'),
        ort_ms: timeOf('ort'),
        vs_torch2: ratioTo('torch-2'),
        vs_torch1: ratioTo('torch-1'),
        vs_ort: ratioTo('ort'),
        seqlab_rss_mb: peak(column),
        torch2_rss_mb: peak('torch-2'),
      });
    }
  }
  return rows;
}

const ms = (x) =>
  x === null || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const ratio = (r) =>
  r === null
    ? '–'
    : r.pairs === 1
      ? `${r.median.toFixed(2)}×`
      : `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
const mb = (x) => (x === null ? '–' : String(Math.round(x)));

/** The rows of `summarize` as a Markdown table (it reads as plain text too). */
export function formatCompareTable(rows) {
  const header = [
    'workload',
    'T',
    'mode',
    'seqlab backend (isa, threads)',
    'seqlab ms',
    'seqlab p90 ms',
    'PyTorch best ms (2 thr)',
    'PyTorch 1 thr ms',
    'seqlab / PyTorch best',
    'seqlab / PyTorch 1 thr',
    'ORT ms',
    'seqlab / ORT',
    'peak RSS MB seqlab / PyTorch',
  ];
  const lines = rows.map((r) => [
    r.workload,
    String(r.seq),
    r.mode,
    `${r.backend} (${r.isa}, ${r.threads})`,
    ms(r.seqlab_ms),
    ms(r.seqlab_p90_ms),
    ms(r.torch2_ms),
    ms(r.torch1_ms),
    ratio(r.vs_torch2),
    ratio(r.vs_torch1),
    ms(r.ort_ms),
    ratio(r.vs_ort),
    `${mb(r.seqlab_rss_mb)} / ${mb(r.torch2_rss_mb)}`,
  ]);
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [row(header), row(header.map((_, i) => (i < 4 ? '---' : '---:'))), ...lines.map(row)].join('\n');
}

/**
 * Parses the JSON lines a benchmark printed (other lines, e.g. warnings, are skipped). Returns the
 * records and how many non-empty lines were not JSON objects.
 */
export function parseJsonLines(text) {
  const records = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (s === '') continue;
    try {
      const value = JSON.parse(s);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) records.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}
