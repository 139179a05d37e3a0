import { describe, expect, it } from 'vitest';
import { formatCompareTable, median, parseJsonLines, summarize } from './compare-table.mjs';

// Canned lines in the shapes torch_bench.py, ort_bench.mjs and `seqlab bench speed --json` print.
const torch = (workload, mode, median_ms, extra = {}) => ({
  system: 'pytorch',
  threads: 2,
  workload,
  batch: 32,
  seq: 50,
  mode,
  median_ms,
  ...extra,
});
const ours = (workload, mode, median_ms, extra = {}) => ({
  system: 'seqlab',
  backend: 'wasm',
  isa: 'wasm-simd128',
  threads: 1,
  workload,
  batch: 32,
  seq: 50,
  mode,
  median_ms,
  peak_rss_mb: 400,
  ...extra,
});

const TWO_ROUNDS = [
  { round: 1, column: 'torch-2', record: torch('W1', 'train', 200, { peak_rss_mb: 350 }) },
  { round: 1, column: 'seqlab:wasm', record: ours('W1', 'train', 900, { p90_ms: 1000 }) },
  { round: 1, column: 'torch-1', record: torch('W1', 'train', 400) },
  { round: 2, column: 'torch-2', record: torch('W1', 'train', 300, { peak_rss_mb: 360 }) },
  { round: 2, column: 'seqlab:wasm', record: ours('W1', 'train', 1200, { peak_rss_mb: 420, p90_ms: 1500 }) },
  { round: 2, column: 'torch-1', record: torch('W1', 'train', 500) },
  { round: 1, column: 'seqlab:wasm', record: ours('W1', 'infer', 300) },
  { round: 1, column: 'torch-2', record: torch('W1', 'infer', 60) },
  {
    round: 1,
    column: 'ort',
    record: { system: 'onnxruntime-node', workload: 'W1', seq: 50, mode: 'infer', median_ms: 20 },
  },
  // gemm lines of torch_bench.py are not rows
  { round: 1, column: 'torch-2', record: { mode: 'gemm', gemm: 'sq512', median_us: 700 } },
];

describe('summarize', () => {
  it('takes medians over rounds and per-round ratios (seqlab / the process beside it)', () => {
    const [train, infer] = summarize(TWO_ROUNDS);
    expect(train).toMatchObject({
      workload: 'W1',
      seq: 50,
      mode: 'train',
      backend: 'wasm',
      isa: 'wasm-simd128',
      threads: 1,
      rounds: 2,
      seqlab_ms: 1050,
      seqlab_p90_ms: 1250,
      torch2_ms: 250,
      torch1_ms: 450,
      ort_ms: null,
      vs_ort: null,
      seqlab_rss_mb: 420,
      torch2_rss_mb: 360,
    });
    // per round 900/200 = 4.5 and 1200/300 = 4: median 4.25 (not 1050 / 250 = 4.2)
    expect(train.vs_torch2).toEqual({ median: 4.25, min: 4, max: 4.5, pairs: 2 });
    expect(train.vs_torch1.median).toBeCloseTo((900 / 400 + 1200 / 500) / 2, 12);
    expect(infer).toMatchObject({
      mode: 'infer',
      seqlab_ms: 300,
      // a record without p90_ms (an older seqlab) leaves the column empty
      seqlab_p90_ms: null,
      torch2_ms: 60,
      torch1_ms: null,
      ort_ms: 20,
    });
    expect(infer.vs_ort).toEqual({ median: 15, min: 15, max: 15, pairs: 1 });
    expect(infer.vs_torch1).toBeNull();
  });

  it('gives each backend its own row and each packed length T its own', () => {
    const rows = summarize([
      { round: 1, column: 'torch-2', record: torch('W1-packed', 'train', 100, { seq: 25 }) },
      { round: 1, column: 'torch-2', record: torch('W1-packed', 'train', 400, { seq: 200 }) },
      { round: 1, column: 'seqlab:wasm', record: ours('W1-packed', 'train', 300, { seq: 25 }) },
      { round: 1, column: 'seqlab:wasm', record: ours('W1-packed', 'train', 800, { seq: 200 }) },
      {
        round: 1,
        column: 'seqlab:native',
        record: ours('W1-packed', 'train', 40, { seq: 25, backend: 'native', isa: 'avx512', threads: 2 }),
      },
    ]);
    expect(rows.map((r) => [r.seq, r.backend, r.vs_torch2.median])).toEqual([
      [25, 'wasm', 3],
      [25, 'native', 0.4],
      [200, 'wasm', 2],
    ]);
    expect(rows[1]).toMatchObject({ isa: 'avx512', threads: 2 });
  });

  it('pairs only rounds where both ran (a failed process leaves a gap, not a wrong ratio)', () => {
    const [row] = summarize([
      { round: 1, column: 'torch-2', record: torch('W2', 'infer', 10) },
      { round: 1, column: 'seqlab:wasm', record: ours('W2', 'infer', 50) },
      { round: 2, column: 'seqlab:wasm', record: ours('W2', 'infer', 70) },
    ]);
    expect(row.vs_torch2).toEqual({ median: 5, min: 5, max: 5, pairs: 1 });
    expect(row.seqlab_ms).toBe(60);
  });
});

describe('formatCompareTable', () => {
  it('prints one Markdown row per summary row, with dashes for what did not run', () => {
    const lines = formatCompareTable(summarize(TWO_ROUNDS)).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      '| workload | T | mode | seqlab backend (isa, threads) | seqlab ms | seqlab p90 ms | PyTorch best ms (2 thr) | PyTorch 1 thr ms | seqlab / PyTorch best | seqlab / PyTorch 1 thr | ORT ms | seqlab / ORT | peak RSS MB seqlab / PyTorch |',
    );
    expect(lines[1]).toBe(
      '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    expect(lines[2]).toBe(
      '| W1 | 50 | train | wasm (wasm-simd128, 1) | 1,050.0 | 1,250.0 | 250.0 | 450.0 | 4.25× (4.00–4.50) | 2.33× (2.25–2.40) | – | – | 420 / 360 |',
    );
    expect(lines[3]).toBe(
      '| W1 | 50 | infer | wasm (wasm-simd128, 1) | 300.0 | – | 60.0 | – | 5.00× | – | 20.0 | 15.00× | 400 / – |',
    );
  });
});

describe('parseJsonLines and median', () => {
  it('keeps JSON objects and counts the other lines', () => {
    const text = '{"mode":"train","median_ms":1}\nWarning: something\n\n[1,2]\n{"mode":"infer"}\n';
    expect(parseJsonLines(text)).toEqual({
      records: [{ mode: 'train', median_ms: 1 }, { mode: 'infer' }],
      skipped: 2,
    });
  });

  it('takes the median as Python’s statistics.median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
