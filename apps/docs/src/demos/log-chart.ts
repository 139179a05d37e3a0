/**
 * The geometry of a line chart with a log₁₀ y axis, as plain numbers and SVG path strings, so the
 * Vue component that draws it has no logic of its own and the test can check where points land.
 */

/** A series to draw: y values by x = 0, 1, 2, … (non-positive values are left out). */
export interface ChartSeries {
  id: string;
  values: readonly number[];
}

/** Size of the drawing and of the margins that hold the axis labels, in SVG units. */
export interface ChartBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

/** What `logChart` returns: everything the SVG needs. */
export interface LogChart {
  /** One `d` attribute per series, in the order given. */
  paths: { id: string; d: string }[];
  xTicks: { x: number; label: string }[];
  /** One per `yStep` powers of ten from 10^minExp to 10^maxExp. */
  yTicks: { y: number; label: string }[];
  /** Where a positive value lands on the y axis (a threshold line), rounded as the paths are. */
  y: (value: number) => number;
  /** The plotting area, inside the margins. */
  plot: { x0: number; x1: number; y0: number; y1: number };
  minExp: number;
  maxExp: number;
}

/** x ticks every `step` (10 by default) from 0 to the last x. */
function xTickValues(last: number, step: number): number[] {
  const ticks: number[] = [];
  for (let x = 0; x <= last; x += step) ticks.push(x);
  return ticks;
}

/** The SVG label of 10^e: `0.01` … `100` written out, `1e-5` beyond. */
export function powerLabel(e: number): string {
  return e >= -2 && e <= 2 ? String(10 ** e) : `1e${e}`;
}

/**
 * Lays out the series on a log₁₀ y axis that spans whole decades from the smallest positive value
 * (floored) to the largest (ceiled), and a linear x axis from 0 to the longest series' last index.
 * A y tick every `yStep` decades (every decade by default; more than ~12 overlap).
 */
export function logChart(series: readonly ChartSeries[], box: ChartBox, xStep = 10, yStep = 1): LogChart {
  const positive = series.flatMap((s) => s.values.filter((v) => v > 0 && Number.isFinite(v)));
  const maxExp = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 0;
  const minExp = positive.length ? Math.min(maxExp - 1, Math.floor(Math.log10(Math.min(...positive)))) : -1;
  const last = Math.max(1, ...series.map((s) => s.values.length - 1));
  const plot = {
    x0: box.margin.left,
    x1: box.width - box.margin.right,
    y0: box.margin.top,
    y1: box.height - box.margin.bottom,
  };
  const px = (x: number) => plot.x0 + (x / last) * (plot.x1 - plot.x0);
  const py = (v: number) => plot.y1 - ((Math.log10(v) - minExp) / (maxExp - minExp)) * (plot.y1 - plot.y0);
  const round = (v: number) => Math.round(v * 10) / 10;
  const paths = series.map((s) => {
    const points: string[] = [];
    s.values.forEach((v, x) => {
      if (!(v > 0 && Number.isFinite(v))) return;
      points.push(`${points.length ? 'L' : 'M'}${round(px(x))},${round(py(v))}`);
    });
    return { id: s.id, d: points.join(' ') };
  });
  const yTicks = [];
  for (let e = minExp; e <= maxExp; e += yStep) yTicks.push({ y: round(py(10 ** e)), label: powerLabel(e) });
  const xTicks = xTickValues(last, xStep).map((x) => ({ x: round(px(x)), label: String(x) }));
  return { paths, xTicks, yTicks, y: (v) => round(py(v)), plot, minExp, maxExp };
}
