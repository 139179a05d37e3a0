import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from './index';

// 700 of class 0, 300 of class 1, in a known order.
const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, label: i % 10 < 7 ? 0 : 1 }));
const count = (xs: { label: number }[], label: number) => xs.filter((x) => x.label === label).length;

describe('stratifiedSplit', () => {
  it('keeps each class in the given ratios', () => {
    const { train, valid, test } = stratifiedSplit(items, {
      seed: 0,
      ratios: { train: 0.7, valid: 0.1, test: 0.2 },
    });
    expect([count(train, 0), count(valid, 0), count(test, 0)]).toEqual([490, 70, 140]);
    expect([count(train, 1), count(valid, 1), count(test, 1)]).toEqual([210, 30, 60]);
  });

  it('puts every item in exactly one split, each split in input order', () => {
    const { train, valid, test } = stratifiedSplit(items, { seed: 3 });
    const ids = [...train, ...valid, ...test].map((x) => x.id).sort((a, b) => a - b);
    expect(ids).toEqual(items.map((x) => x.id));
    for (const part of [train, valid, test]) {
      expect(part.map((x) => x.id)).toEqual([...part.map((x) => x.id)].sort((a, b) => a - b));
    }
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = stratifiedSplit(items, { seed: 11 });
    const b = stratifiedSplit(items, { seed: 11 });
    const c = stratifiedSplit(items, { seed: 12 });
    expect(b.valid.map((x) => x.id)).toEqual(a.valid.map((x) => x.id));
    expect(c.valid.map((x) => x.id)).not.toEqual(a.valid.map((x) => x.id));
  });

  it('hands left-over items to the largest remainders', () => {
    // 7 items at 0.8 / 0.1 / 0.1: exact 5.6 / 0.7 / 0.7, floors 5 / 0 / 0; the 2 left over go to the
    // largest remainders, valid (0.7) and test (0.7), not train (0.6).
    const seven = Array.from({ length: 7 }, (_, i) => ({ label: 'x', i }));
    const { train, valid, test } = stratifiedSplit(seven, { seed: 0 });
    expect([train.length, valid.length, test.length]).toEqual([5, 1, 1]);
  });

  it('takes string labels and a labelOf function', () => {
    const words = ['apple', 'avocado', 'banana', 'blueberry', 'cherry', 'cranberry'];
    const { train, valid, test } = stratifiedSplit(words, {
      seed: 0,
      ratios: { train: 0.5, valid: 0.5, test: 0 },
      labelOf: (w) => w[0],
    });
    expect(train.length).toBe(3);
    expect(valid.length).toBe(3);
    expect(test).toEqual([]);
    expect(new Set(train.map((w) => w[0]))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('rejects bad ratios, seeds and labels', () => {
    expect(() => stratifiedSplit(items, { seed: 0, ratios: { train: 0.5, valid: 0.1, test: 0.1 } })).toThrow(
      /stratifiedSplit: expected ratios ≥ 0 that sum to 1, got train 0.5, valid 0.1, test 0.1/,
    );
    expect(() => stratifiedSplit(items, { seed: 0, ratios: { train: 1.2, valid: -0.2, test: 0 } })).toThrow(
      ConfigError,
    );
    expect(() => stratifiedSplit(items, { seed: Number.NaN })).toThrow(/expected an integer seed/);
    expect(() => stratifiedSplit([{ label: null }], { seed: 0 })).toThrow(
      /a number or string label for every item, got object at index 0/,
    );
  });
});
