import { describe, expect, it } from 'vitest';
import { compareBatching, measureEpoch, STRATEGIES } from './batching';

// 96 sentences of lengths 1..48 (twice each), so the padding each way wastes is known.
const examples = Array.from({ length: 96 }, (_, i) => ({
  ids: Array.from({ length: (i % 48) + 1 }, (_, t) => 2 + ((i + t) % 20)),
  label: i % 2,
}));
const tokens = examples.reduce((s, x) => s + x.ids.length, 0);

describe('padding vs bucketing vs packing (guide 7)', () => {
  it('counts the LSTM steps of each way: packed runs only the real tokens', () => {
    const [padded, bucketed, packed, packedBucketed] = STRATEGIES.map((s) =>
      measureEpoch(examples, 22, s, { embed: 4, hidden: 4, batchSize: 8 }),
    );
    expect(packed.tokens).toBe(tokens);
    expect(packed.steps).toBe(tokens);
    expect(packedBucketed.steps).toBe(tokens);
    expect(padded.steps).toBeGreaterThan(1.3 * tokens);
    expect(bucketed.steps).toBeLessThan(padded.steps);
    expect(bucketed.steps).toBeGreaterThanOrEqual(tokens);
    // one epoch from the same weights on the same examples: every way trains
    for (const m of [padded, bucketed, packed, packedBucketed]) expect(Number.isFinite(m.loss)).toBe(true);
  });

  it('times every way once per round, after a warm-up, and keeps the median', () => {
    const results = compareBatching(examples.slice(0, 32), 22, 3, { embed: 4, hidden: 4, batchSize: 8 });
    expect(results.map((r) => r.name)).toEqual(STRATEGIES.map((s) => s.name));
    for (const r of results) {
      expect(r.times).toHaveLength(3);
      expect(r.ms).toBe([...r.times].sort((a, b) => a - b)[1]);
    }
  });
});
