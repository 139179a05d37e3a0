import { describe, expect, it } from 'vitest';
import { runExploding, summarize } from './exploding-gradients';

describe('exploding gradients and clipGradNorm (guide 8)', () => {
  it('without clipping the gradient norm grows by orders of magnitude; with clipping every step stays finite', () => {
    const free = runExploding({ steps: 60 });
    const clipped = runExploding({ steps: 60, clip: 1 });
    // the same weights and the same first batch: the same first gradient
    expect(clipped.gradNorms[0]).toBe(free.gradNorms[0]);
    expect(summarize(free.gradNorms, 10).max).toBeGreaterThan(1e6);
    expect(clipped.losses.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(clipped.testMse)).toBe(true);
    expect(summarize(clipped.gradNorms.slice(30), 10).median).toBeLessThan(10);
    // the step applies the clipped gradient: its norm is at most maxNorm (float32 rounding aside)
    expect(Math.max(...clipped.appliedNorms)).toBeLessThanOrEqual(1 + 1e-5);
    expect(clipped.appliedNorms[0]).toBeCloseTo(1, 5);
  }, 120_000);

  it('summarize counts the non-finite entries apart', () => {
    expect(summarize([1, 2, 30, Number.NaN], 10)).toEqual({
      median: 2,
      p99: 30,
      max: 30,
      above: 1,
      nonFinite: 1,
    });
  });
});
