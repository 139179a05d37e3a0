import { describe, expect, it } from 'vitest';
import { EXPLODING_DEFAULTS, runExploding } from '../../examples/exploding-gradients';
import { CLIP, type ClippingCurves, clippingChart, pathPoints, STEPS } from './exploding-gradients';

const box = { width: 640, height: 320, margin: { top: 12, right: 16, bottom: 36, left: 52 } };

describe("guide 8's chart of the gradient norm per step", () => {
  // The page's two runs, shortened: the norm explodes within the first 60 steps.
  const free = runExploding({ steps: 60 });
  const clipped = runExploding({ steps: 60, clip: CLIP });
  const curves: ClippingCurves = {
    free: free.gradNorms,
    clippedBefore: clipped.gradNorms,
    clippedApplied: clipped.appliedNorms,
  };
  const chart = clippingChart(curves, CLIP, STEPS, box);
  const points = (id: string) => pathPoints(chart.paths.find((p) => p.id === id)?.d ?? '');

  it("runs the example's settings", () => {
    expect(STEPS).toBe(EXPLODING_DEFAULTS.steps);
  });

  it('measures the applied norm after clipping: at most maxNorm, and the unclipped norm far above it', () => {
    expect(Math.max(...clipped.appliedNorms)).toBeLessThanOrEqual(CLIP * (1 + 1e-5));
    expect(clipped.appliedNorms[0]).toBeCloseTo(CLIP, 5); // step 0's ‖g‖ is 25: scaled to 1
    expect(free.appliedNorms).toEqual(free.gradNorms);
    expect(Math.max(...free.gradNorms)).toBeGreaterThan(1e6);
  }, 120_000);

  it('draws one point per step, the clipped curve at or below the threshold line, the unclipped one above it', () => {
    expect(points('clipped-applied')).toHaveLength(60);
    expect(points('clipped-before')).toHaveLength(60);
    // y grows downwards: at or below the line is y ≥ thresholdY.
    for (const p of points('clipped-applied')) expect(p.y).toBeGreaterThanOrEqual(chart.thresholdY);
    expect(points('free').filter((p) => p.y < chart.thresholdY).length).toBeGreaterThan(40);
    // The x axis spans all 300 steps from the start: step 59 sits a fifth of the way along.
    const last = points('free').at(-1)?.x ?? 0;
    expect(last).toBeCloseTo(chart.plot.x0 + (59 / (STEPS - 1)) * (chart.plot.x1 - chart.plot.x0), 0);
    expect(chart.yTicks.length).toBeLessThanOrEqual(12);
  });
});
