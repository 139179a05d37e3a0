import { totalmem } from 'node:os';
import { ConfigError, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { backendInfo } from './backends';
import { type BenchIO, benchSpeedCommand, speedTable } from './index';
import { parseFlags, SpeedFlagsSchema } from './options';
import { makePackedBatch, PACKED_WORKLOADS } from './packed';
import { benchWorkload, makeBatch, median, percentile, type SpeedRecord, summarizeSteps } from './speed';
import { WORKLOADS, type Workload } from './workloads';

/** A W1-shaped workload (2-layer bidirectional LSTM with dropout), small enough for a unit test. */
const TINY: Workload = { ...WORKLOADS.W1, vocab: 50, emb: 8, hidden: 8, batch: 4, seq: 6 };

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: BenchIO = { out: (l) => out.push(l), err: (l) => err.push(l), status: null };
  return { out, err, io };
};

const FIELDS = [
  'system',
  'backend',
  'node',
  'workload',
  'batch',
  'seq',
  'params',
  'mode',
  'steps',
  'warmup',
  'median_ms',
  'min_ms',
  'max_ms',
  'p10_ms',
  'p90_ms',
  'times_ms',
  'tokens_per_s',
  'loadavg_1m',
  'threads',
  'isa',
  'peak_rss_mb',
];

describe('benchWorkload', () => {
  it('times train then infer and reports the anchors’ fields', () => {
    const records = [...benchWorkload('tiny', TINY, ['train', 'infer'], { steps: 5, warmup: 2, seed: 0 })];
    expect(records.map((r) => r.mode)).toEqual(['train', 'infer']);
    for (const r of records) {
      for (const key of FIELDS) expect(r).toHaveProperty(key);
      expect(r).toMatchObject({
        system: 'seqlab',
        backend: getBackend().name,
        node: process.version,
        workload: 'tiny',
      });
      expect(r).toMatchObject({ batch: 4, seq: 6, steps: 5, warmup: 2, ...backendInfo() });
      // maxRSS of this process: at least the heap it holds, and never more than the machine has
      expect(r.peak_rss_mb).toBeGreaterThanOrEqual(process.memoryUsage().heapUsed / 2 ** 20 / 2);
      expect(r.peak_rss_mb).toBeLessThan(totalmem() / 2 ** 20);
      expect(r.min_ms).toBeLessThanOrEqual(r.p10_ms);
      expect(r.p10_ms).toBeLessThanOrEqual(r.median_ms);
      expect(r.median_ms).toBeLessThanOrEqual(r.p90_ms);
      expect(r.p90_ms).toBeLessThanOrEqual(r.max_ms);
      // every timed step (not the warm-up), in order; the statistics are of these
      expect(r.times_ms).toHaveLength(5);
      expect(Math.min(...r.times_ms)).toBe(r.min_ms);
      expect(Math.max(...r.times_ms)).toBe(r.max_ms);
      expect(r.median_ms).toBeCloseTo(median(r.times_ms), 2);
      // tokens_per_s comes from the unrounded median; median_ms is rounded to 3 decimals, so the
      // tokens over the rounded median's ± 0.0005 ms bound it (± 0.05 for its own rounding).
      const tokensAt = (ms: number) => (4 * 6) / (ms / 1000);
      expect(r.tokens_per_s).toBeGreaterThanOrEqual(tokensAt(r.median_ms + 0.0005) - 0.05);
      expect(r.tokens_per_s).toBeLessThanOrEqual(tokensAt(r.median_ms - 0.0005) + 0.05);
    }
    const [train, infer] = records;
    // Seven Adam steps on one fixed batch of 4 must lower its loss from about ln 2.
    expect(train.loss_first).toBeCloseTo(Math.log(2), 0);
    expect(train.loss_last).toBeLessThan(train.loss_first as number);
    expect(Number.isFinite(infer.logits_sum)).toBe(true);
  });

  it('runs only the modes asked for, from the same seed to the same numbers', () => {
    const run = () => [...benchWorkload('tiny', TINY, ['infer'], { steps: 1, warmup: 0, seed: 3 })];
    const [a] = run();
    const [b] = run();
    expect(a.mode).toBe('infer');
    expect(a.logits_sum).toBe(b.logits_sum);
    expect(a).not.toHaveProperty('loss_first');
  });

  it('draws token ids in [0, V) and labels in [0, C) for one fixed batch', () => {
    const { tokens, labels } = makeBatch(TINY, 1);
    expect(tokens.shape).toEqual([4, 6]);
    expect(Math.min(...tokens.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...tokens.data)).toBeLessThan(50);
    expect([...labels.data].every((y) => y === 0 || y === 1)).toBe(true);
    expect([...makeBatch(TINY, 1).tokens.data]).toEqual([...tokens.data]);
  });

  it('takes the median as Python’s statistics.median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('takes percentiles as numpy.percentile (linear between the nearest ranks)', () => {
    // numpy.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 50, 90]) = [1.9, 5.5, 9.1]
    const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(percentile(ten, 10)).toBeCloseTo(1.9, 12);
    expect(percentile(ten, 50)).toBe(median(ten));
    expect(percentile(ten, 90)).toBeCloseTo(9.1, 12);
    expect(percentile(ten, 0)).toBe(1);
    expect(percentile(ten, 100)).toBe(10);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 90)).toBeNaN();
  });

  it('summarizes steps with their slow share visible: p90 and the steps in order', () => {
    // 20 steps at 4 ms, 4 of them (in the first half) at 8 ms: the median stays 4, p90 is 8
    const times = Array.from({ length: 20 }, (_, i) => ([1, 3, 5, 8].includes(i) ? 8.00049 : 4.00012));
    const s = summarizeSteps(times, 6400);
    expect(s).toEqual({
      median_ms: 4,
      min_ms: 4,
      max_ms: 8,
      p10_ms: 4,
      p90_ms: 8,
      times_ms: times.map((t) => (t > 5 ? 8 : 4)),
      tokens_per_s: Number((6400 / (4.00012 / 1e3)).toFixed(1)),
    });
    // 2 slow steps of 20: p90 interpolates between ranks 17 (4) and 18 (8)
    const two = Array.from({ length: 20 }, (_, i) => (i < 2 ? 8 : 4));
    expect(summarizeSteps(two, 1).p90_ms).toBeCloseTo(4 + 0.1 * 4, 12);
  });
});

describe('seqlab bench speed', () => {
  it('prints one JSON line per workload and mode with --json', async () => {
    const { out, io } = capture();
    const code = await benchSpeedCommand(
      { workload: 'w2', mode: 'infer', steps: 1, warmup: 0, json: true },
      {},
      io,
    );
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]) as SpeedRecord;
    for (const key of FIELDS) expect(r).toHaveProperty(key);
    expect(r).toMatchObject({
      workload: 'W2',
      mode: 'infer',
      batch: 64,
      seq: 100,
      params: 739_586,
      steps: 1,
    });
  });

  it('prints a table with a row per record', () => {
    const record: SpeedRecord = {
      system: 'seqlab',
      backend: 'js',
      node: 'v20.0.0',
      workload: 'W1',
      batch: 32,
      seq: 50,
      params: 3_648_514,
      mode: 'train',
      steps: 20,
      warmup: 3,
      median_ms: 1234.5678,
      min_ms: 1000,
      max_ms: 2000.25,
      p10_ms: 1100,
      p90_ms: 1900.5,
      times_ms: [1000, 1100, 1234.5678, 1900.5, 2000.25],
      tokens_per_s: 1296.1,
      loadavg_1m: 1.5,
      threads: 1,
      isa: 'js',
      peak_rss_mb: 812.4,
    };
    const packed: SpeedRecord = {
      ...record,
      workload: 'W1-packed',
      backend: 'native',
      isa: 'avx512',
      threads: 2,
      min_len: 5,
      seq: 200,
      tokens: 3300,
    };
    const lines = speedTable([record, { ...record, mode: 'infer' }, packed]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^workload\s+mode\s+B x T\s+params\s+median ms\s+p10–p90 ms\s+min–max ms\s+tokens\/s\s+backend\s+isa\s+threads\s+peak RSS MB\s+loadavg$/,
    );
    expect(lines[1]).toMatch(
      /^W1\s+train\s+32 x 50\s+3,648,514\s+1,234.6\s+1,100.0–1,900.5\s+1,000.0–2,000.3\s+1,296\s+js\s+js\s+1\s+812\s+1.5$/,
    );
    expect(lines[3]).toMatch(/^W1-packed\s+train\s+32 x 5–200\s+.*\s+native\s+avx512\s+2\s+812\s+1.5$/);
  });

  it('accepts comma lists and all, in the anchors’ order', () => {
    const f = parseFlags('bench speed', SpeedFlagsSchema, { workload: 'W3,w1,W3', mode: 'infer,train' });
    expect(f.workload).toEqual(['W3', 'W1']);
    expect(f.mode).toEqual(['train', 'infer']);
    const all = parseFlags('bench speed', SpeedFlagsSchema, { workload: 'all', mode: 'all' });
    expect(all).toMatchObject({
      workload: ['W1', 'W2', 'W3', 'W1-packed'],
      mode: ['train', 'infer'],
      steps: 20,
      warmup: 3,
      maxLen: [50],
    });
    expect(all.backend).toBeUndefined();
    expect(parseFlags('bench speed', SpeedFlagsSchema, {})).toMatchObject({
      workload: ['W1', 'W2', 'W3', 'W1-packed'],
    });
    const packed = parseFlags('bench speed', SpeedFlagsSchema, {
      workload: 'w1-PACKED',
      maxLen: '25,50,200,50',
    });
    expect(packed).toMatchObject({ workload: ['W1-packed'], maxLen: [25, 50, 200] });
  });

  it('rejects unknown workloads and modes with a ConfigError naming the flag', async () => {
    const { io } = capture();
    await expect(benchSpeedCommand({ workload: 'W4' }, {}, io)).rejects.toThrow(ConfigError);
    await expect(benchSpeedCommand({ workload: 'W4' }, {}, io)).rejects.toThrow(
      /--workload: .*"W1".*\(given "W4"\)/,
    );
    await expect(benchSpeedCommand({ mode: 'fit' }, {}, io)).rejects.toThrow(/--mode: .*\(given "fit"\)/);
    await expect(benchSpeedCommand({ steps: 0 }, {}, io)).rejects.toThrow(/--steps: .*\(given 0\)/);
    // lengths are drawn from 5..T, so T < 5 has no valid batch
    await expect(benchSpeedCommand({ maxLen: '4' }, {}, io)).rejects.toThrow(/--max-len: .*\(given "4"\)/);
  });

  it('selects --backend by name, and names the available ones for an unknown one', async () => {
    const { out, io } = capture();
    const before = getBackend().name;
    try {
      await benchSpeedCommand(
        { workload: 'W2', mode: 'infer', steps: 1, warmup: 0, json: true, backend: 'js' },
        {},
        io,
      );
      expect(JSON.parse(out[0])).toMatchObject({ backend: 'js', isa: 'js', threads: 1 });
      expect(getBackend().name).toBe('js');
    } finally {
      setBackend(before);
    }
    const err = await benchSpeedCommand({ backend: 'cuda' }, {}, io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^bench speed: expected --backend one of ${listBackends().join(', ')}, got 'cuda'\\. @seqlab/native: `,
      ),
    );
  });

  it('runs W1-packed once per --max-len, reporting the lengths and the real tokens', async () => {
    const { out, io } = capture();
    await benchSpeedCommand(
      { workload: 'W1-packed', mode: 'infer', steps: 1, warmup: 0, maxLen: '5,12', json: true },
      {},
      io,
    );
    const records = out.map((l) => JSON.parse(l) as SpeedRecord);
    expect(records.map((r) => [r.workload, r.seq, r.min_len, r.mode])).toEqual([
      ['W1-packed', 5, 5, 'infer'],
      ['W1-packed', 12, 5, 'infer'],
    ]);
    // T = 5: every length is 5, so the batch holds B·T real tokens
    expect(records[0].tokens).toBe(32 * 5);
    expect(records[1].tokens).toBe(
      Number(
        makePackedBatch({ ...PACKED_WORKLOADS['W1-packed'], seq: 12 }, 1)
          .lengths.sum()
          .item(),
      ),
    );
  });
});
