import { describe, expect, it } from 'vitest';
import { compareWordOrder } from './word-order';

describe('compareWordOrder (guide 1: why word order needs memory)', () => {
  const r = compareWordOrder('the cat sat on the mat', 'the mat sat on the cat');

  it('tokenizes both sentences into the same words in a different order', () => {
    expect(r.mean.a.tokens).toEqual(['the', 'cat', 'sat', 'on', 'the', 'mat']);
    expect(r.mean.b.tokens).toEqual(['the', 'mat', 'sat', 'on', 'the', 'cat']);
    expect(r.sameWords).toBe(true);
    expect(r.mean.a.vector).toHaveLength(8);
  });

  it('gives the mean of embeddings the same vector for both (up to float rounding)', () => {
    expect(r.mean.maxAbsDiff).toBeLessThan(1e-6);
    expect(Math.max(...r.mean.a.vector.map(Math.abs))).toBeGreaterThan(0.1); // not all zeros
  });

  it("separates them with an LSTM's final hidden state over the same embeddings", () => {
    expect(r.lstm.a.vector).toHaveLength(8);
    expect(r.lstm.maxAbsDiff).toBeGreaterThan(1e-2);
  });

  it('sees different words with the mean too (so the demo is not blind to everything)', () => {
    const other = compareWordOrder('the cat sat on the mat', 'the dog sat on the mat');
    expect(other.sameWords).toBe(false);
    expect(other.mean.maxAbsDiff).toBeGreaterThan(1e-2);
  });

  it('is reproducible from the seed', () => {
    const again = compareWordOrder('the cat sat on the mat', 'the mat sat on the cat');
    expect(again.lstm.a.vector).toEqual(r.lstm.a.vector);
  });
});
