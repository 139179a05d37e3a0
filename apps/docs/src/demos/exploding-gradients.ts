/**
 * Guide 8's live chart: the gradient norm of every training step of the exploding RNN, without
 * clipping and with `clipGradNorm(params, 1)`, from the guide's own example
 * (examples/exploding-gradients.ts, imported, not copied). A Web Worker
 * (exploding-gradients.worker.ts) runs the two runs step by step; the page's Vue component draws
 * what `clippingChart` lays out, and the test checks where the points land.
 */
import { type ChartBox, type LogChart, logChart } from './log-chart';

/** The clipping threshold of the chart's clipped run: `clipGradNorm(params, CLIP)`. */
export const CLIP = 1;
/** Steps of each run: the example's (the test checks they agree; the page does not load the example). */
export const STEPS = 300;

/** The norms the chart draws, one entry per step. */
export interface ClippingCurves {
  /** The run without clipping: ‖g‖ of each step (NaN once the weights are NaN). */
  free: number[];
  /** The clipped run: ‖g‖ from `backward()`, before `clipGradNorm` scales it. */
  clippedBefore: number[];
  /** The clipped run: ‖g‖ of the gradient `step()` applies, measured after clipping. */
  clippedApplied: number[];
}

/** The chart's curves in drawing order, with their ids (the SVG's `data-curve`). */
export const CURVES = [
  { id: 'free', label: 'no clipping: ‖g‖' },
  { id: 'clipped-before', label: 'clipGradNorm(params, 1): ‖g‖ before clipping' },
  { id: 'clipped-applied', label: 'clipGradNorm(params, 1): ‖g‖ applied' },
] as const;

/** The chart and the y of the clipping threshold's line. */
export interface ClippingChart extends LogChart {
  thresholdY: number;
}

/**
 * Lays out the three curves on a log axis (a tick every few decades: the unclipped norm spans
 * twenty) over `steps` steps, and the threshold line at `clip`.
 */
export function clippingChart(
  curves: ClippingCurves,
  clip: number,
  steps: number,
  box: ChartBox,
): ClippingChart {
  const values = {
    free: curves.free,
    'clipped-before': curves.clippedBefore,
    'clipped-applied': curves.clippedApplied,
  };
  // A point at `steps − 1` fixes the x axis while the curves grow; a 0 is never drawn.
  const frame = { id: 'frame', values: [...Array(steps - 1).fill(0), clip] };
  const positive = Object.values(values)
    .flat()
    .filter((v) => v > 0 && Number.isFinite(v));
  const decades = positive.length ? Math.log10(Math.max(...positive) / Math.min(...positive)) : 1;
  const chart = logChart(
    [...CURVES.map((c) => ({ id: c.id, values: values[c.id] })), frame],
    box,
    50,
    Math.max(1, Math.ceil(decades / 8)),
  );
  return { ...chart, paths: chart.paths.slice(0, CURVES.length), thresholdY: chart.y(clip) };
}

/** The points of an SVG path written by `logChart` (`M x,y L x,y …`). */
export function pathPoints(d: string): { x: number; y: number }[] {
  return d
    .split(' ')
    .filter(Boolean)
    .map((p) => {
      const [x, y] = p.slice(1).split(',').map(Number);
      return { x, y };
    });
}
