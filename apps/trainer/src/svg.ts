// The report's charts as self-contained SVG strings (no scripts, no external resources). The
// geometry is computed by `chartLayout`, apart from the drawing, so its tests can check it: the
// legend sits below the plot area and never overlaps it, epoch axes get integer ticks only.

/** A named series of (x, y) points for `lineChart`. */
export interface Series {
  name: string;
  points: readonly [number, number][];
  color: string;
  /**
   * `line` (default); `faint`, a thin translucent line (raw per-step values under their smoothed
   * curve); `markers`, a line with a dot at every point (one value per epoch).
   */
  style?: 'line' | 'faint' | 'markers';
}

/** How `lineChart` draws its axes. */
export interface ChartOptions {
  xLabel?: string;
  yLabel?: string;
  /** Plots log10(y), for quantities spanning decades. */
  logY?: boolean;
  /** Ticks at integers only (epochs), never fewer than the data's range; the axis starts at `xMin`. */
  integerX?: boolean;
  /** The x axis starts here (or lower, if a point is lower). */
  xMin?: number;
  /** The x axis reaches at least this far (the epochs of a run still going). */
  xMax?: number;
  /** The y axis never goes below this when no point does (0 for a loss or a learning rate). */
  yMin?: number;
  width?: number;
  height?: number;
}

/** A rectangle in SVG user units. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where everything of a chart goes. */
export interface ChartLayout {
  width: number;
  height: number;
  /** The data area: every point, line and marker is inside it. */
  plot: Box;
  /** The legend, below the plot area and its axis labels. */
  legend: Box;
  /** One entry per series: the swatch's and the name's position. */
  legendItems: { x: number; y: number }[];
  xDomain: [number, number];
  /** In plotted units (log10 with `logY`). */
  yDomain: [number, number];
  xTicks: number[];
  yTicks: number[];
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/**
 * An axis label: ticks are round numbers (see niceTicks), so their shortest form is short once the
 * floating-point noise is gone (`0.30000000000000004` is `0.3`; 0.2745 and 0.275 stay apart).
 */
export function tick(v: number): string {
  const clean = Number(v.toPrecision(12));
  if (clean === 0) return '0';
  const a = Math.abs(clean);
  return a >= 1e4 || a < 1e-2 ? clean.toExponential() : clean.toString();
}

/**
 * Ticks of a log axis, in log10 units: one per power of ten when the data spans a decade or more,
 * otherwise round values (niceTicks) at their logarithms.
 */
function logTicks(lo: number, hi: number): number[] {
  if (hi - lo >= 1) return integerTicks(Math.floor(lo), Math.ceil(hi));
  return niceTicks(10 ** lo, 10 ** hi)
    .filter((v) => v > 0)
    .map((v) => Math.log10(v));
}

/** Ticks at round values (a step of 1, 2, 2.5 or 5 × 10^k) from at or below `lo` to at or above `hi`. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / (count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10) * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/** An upper bound of a text's width at the charts' 11px sans-serif (about 0.6 em a character). */
export const textWidth = (text: string, fontSize = 11): number => Math.ceil(text.length * fontSize * 0.62);

/** At most this many integer ticks on an x axis. */
const MAX_X_TICKS = 10;
const LEGEND_ROW = 16;
const SWATCH = 18; // the swatch (a short line) and the gap before the name

/** Integer ticks covering [lo, hi] with a step of 1, 2, 5, 10, 20, … so that there are at most MAX_X_TICKS + 1. */
export function integerTicks(lo: number, hi: number): number[] {
  let step = 1;
  for (let i = 0; (hi - lo) / step > MAX_X_TICKS; i++)
    step = [1, 2, 5][(i + 1) % 3] * 10 ** Math.floor((i + 1) / 3);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** The chart's geometry for these series and options (see ChartLayout). */
export function chartLayout(series: readonly Series[], options: ChartOptions = {}): ChartLayout {
  const width = options.width ?? 520;
  const fy = (y: number) => (options.logY ? Math.log10(Math.max(y, 1e-30)) : y);
  const pts = series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(fy(y)));
  let [x0, x1] = pts.length ? [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))] : [0, 1];
  let [y0, y1] = pts.length
    ? [Math.min(...pts.map((p) => fy(p[1]))), Math.max(...pts.map((p) => fy(p[1])))]
    : [0, 1];
  if (options.xMin !== undefined) x0 = Math.min(x0, options.xMin);
  if (options.xMax !== undefined) x1 = Math.max(x1, options.xMax);
  if (options.integerX) [x0, x1] = [Math.floor(x0), Math.max(Math.ceil(x1), Math.floor(x0) + 1)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) {
    const pad = Math.abs(y0) / 2 || 1;
    [y0, y1] = [y0 - pad, y1 + pad];
  } else {
    const pad = (y1 - y0) * 0.05; // markers at the extremes stay inside the plot
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const dataMin = pts.length ? Math.min(...pts.map((p) => p[1])) : 0;
  if (options.yMin !== undefined && !options.logY && dataMin >= options.yMin) y0 = Math.max(y0, options.yMin);
  // Legend rows: names flow left to right and wrap at the chart's width.
  const m = { l: 60, r: 14, t: 28 };
  const legendItems: { x: number; y: number }[] = [];
  let [lx, row] = [m.l, 0];
  for (const s of series) {
    const w = SWATCH + textWidth(s.name) + 14;
    if (lx > m.l && lx + w > width - m.r) [lx, row] = [m.l, row + 1];
    legendItems.push({ x: lx, y: row });
    lx += w;
  }
  const rows = series.length === 0 ? 0 : row + 1;
  const plotHeight = (options.height ?? 260) - m.t - 40;
  const plot = { x: m.l, y: m.t, width: width - m.l - m.r, height: plotHeight };
  // Below the plot: tick labels (to +14), the axis label (to +32), then the legend.
  const legend = { x: m.l, y: plot.y + plot.height + 40, width: plot.width, height: rows * LEGEND_ROW };
  for (const item of legendItems) item.y = legend.y + item.y * LEGEND_ROW;
  // Axes end on their first and last ticks, which are round numbers.
  const yTicks = options.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  [y0, y1] = [Math.min(y0, yTicks[0]), Math.max(y1, yTicks[yTicks.length - 1])];
  const xTicks = options.integerX ? integerTicks(x0, x1) : niceTicks(x0, x1);
  [x0, x1] = [Math.min(x0, xTicks[0]), Math.max(x1, xTicks[xTicks.length - 1])];
  return {
    width,
    height: legend.y + legend.height + 6,
    plot,
    legend,
    legendItems,
    xDomain: [x0, x1],
    yDomain: [y0, y1],
    xTicks,
    yTicks,
  };
}

/**
 * A line chart: axes with ticks and labels, one polyline per series (faint, or with markers), and
 * a legend below the plot area. `logY` plots log10(y); `integerX` puts ticks at integers only.
 */
export function lineChart(title: string, series: readonly Series[], options: ChartOptions = {}): string {
  const L = chartLayout(series, options);
  const { plot } = L;
  const fy = (y: number) => (options.logY ? Math.log10(Math.max(y, 1e-30)) : y);
  const [x0, x1] = L.xDomain;
  const [y0, y1] = L.yDomain;
  const sx = (x: number) => plot.x + ((x - x0) / (x1 - x0)) * plot.width;
  const syPlotted = (v: number) => plot.y + plot.height - ((v - y0) / (y1 - y0)) * plot.height;
  const r1 = (v: number) => v.toFixed(1);
  const bottom = plot.y + plot.height;
  const right = plot.x + plot.width;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="sans-serif" font-size="11">`,
    `<text class="title" x="${plot.x}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<rect class="plot-area" x="${plot.x}" y="${plot.y}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#888"/>`,
    ...L.yTicks.map((v) => {
      const y = r1(syPlotted(v));
      const label = options.logY ? tick(10 ** v) : tick(v);
      return `<line x1="${plot.x - 3}" y1="${y}" x2="${right}" y2="${y}" stroke="#eee"/><text class="y-tick" x="${plot.x - 5}" y="${y}" dy="4" text-anchor="end">${label}</text>`;
    }),
    ...L.xTicks.map((v) => {
      const x = r1(sx(v));
      return `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 3}" stroke="#888"/><text class="x-tick" x="${x}" y="${bottom + 14}" text-anchor="middle">${tick(v)}</text>`;
    }),
    options.xLabel
      ? `<text class="x-label" x="${plot.x + plot.width / 2}" y="${bottom + 30}" text-anchor="middle">${esc(options.xLabel)}</text>`
      : '',
    options.yLabel
      ? `<text class="y-label" transform="translate(14 ${plot.y + plot.height / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`
      : '',
    ...series.map((s) => {
      const xy = s.points
        .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(fy(y)))
        .map(([x, y]) => [r1(sx(x)), r1(syPlotted(fy(y)))]);
      const style = s.style ?? 'line';
      const line =
        xy.length > 1
          ? `<polyline class="series ${style}" fill="none" stroke="${s.color}" stroke-width="${style === 'faint' ? 1 : 2}"${style === 'faint' ? ' stroke-opacity="0.3"' : ''} stroke-linejoin="round" points="${xy.map((p) => p.join(',')).join(' ')}"/>`
          : '';
      // A single point would draw no line: it gets a marker whatever the style.
      const dots =
        style === 'markers' || xy.length === 1
          ? xy
              .map(([cx, cy]) => `<circle class="marker" cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}"/>`)
              .join('')
          : '';
      return line + dots;
    }),
    `<g class="legend">`,
    ...series.map((s, i) => {
      const { x, y } = L.legendItems[i];
      const mid = y + LEGEND_ROW / 2;
      const swatch = `<line x1="${x}" y1="${mid}" x2="${x + 14}" y2="${mid}" stroke="${s.color}" stroke-width="${s.style === 'faint' ? 1 : 2}"${s.style === 'faint' ? ' stroke-opacity="0.3"' : ''}/>`;
      const dot = s.style === 'markers' ? `<circle cx="${x + 7}" cy="${mid}" r="3" fill="${s.color}"/>` : '';
      return `${swatch}${dot}<text x="${x + SWATCH}" y="${mid + 4}">${esc(s.name)}</text>`;
    }),
    '</g>',
    '</svg>',
  ];
  return parts.join('');
}

/** A confusion matrix's title, and which set it counts. */
export interface ConfusionTitle {
  /** e.g. `test set` or `validation set, epoch 3`. */
  set: string;
  examples: number;
}

const CELL = 64;

/** A label cut to `chars` characters with an ellipsis (the full name is the element's tooltip). */
const fit = (label: string, chars: number) =>
  label.length <= chars ? label : `${label.slice(0, chars - 1)}…`;

/**
 * A confusion matrix as an SVG grid: a title that says which set it counts and how to read it, the
 * label names on both axes, and in every cell the count and its share of the row (the true label's
 * examples), cells shaded by that share.
 */
export function confusionSvg(
  matrix: readonly (readonly number[])[],
  labels: readonly string[],
  title: ConfusionTitle,
): string {
  const n = matrix.length;
  const name = (i: number) => labels[i] ?? String(i);
  const rowChars = 24;
  const left =
    34 + Math.max(40, ...Array.from({ length: n }, (_, i) => textWidth(fit(name(i), rowChars)))) + 8;
  const top = 76;
  const line1 = `Confusion matrix, ${title.set} (${title.examples} examples)`;
  const line2 = 'rows: true label, columns: predicted label; % of the row';
  const W = Math.max(left + n * CELL + 10, 10 + textWidth(line1, 13), 10 + textWidth(line2));
  const H = top + n * CELL + 10;
  const colChars = Math.floor((CELL - 4) / 6.8);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="confusion" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<text class="title" x="10" y="16" font-size="13" font-weight="bold">${esc(line1)}</text>`,
    `<text class="subtitle" x="10" y="32">${esc(line2)}</text>`,
    `<text class="axis-label" x="${left + (n * CELL) / 2}" y="${top - 24}" text-anchor="middle" font-style="italic">predicted label</text>`,
    `<text class="axis-label" transform="translate(14 ${top + (n * CELL) / 2}) rotate(-90)" text-anchor="middle" font-style="italic">true label</text>`,
  ];
  for (let j = 0; j < n; j++)
    out.push(
      `<text class="col-label" x="${left + j * CELL + CELL / 2}" y="${top - 6}" text-anchor="middle"><title>${esc(name(j))}</title>${esc(fit(name(j), colChars))}</text>`,
    );
  for (let i = 0; i < n; i++) {
    const total = matrix[i].reduce((a, b) => a + b, 0);
    out.push(
      `<text class="row-label" x="${left - 6}" y="${top + i * CELL + CELL / 2 + 4}" text-anchor="end"><title>${esc(name(i))}</title>${esc(fit(name(i), rowChars))}</text>`,
    );
    for (let j = 0; j < n; j++) {
      const share = total > 0 ? matrix[i][j] / total : 0;
      const shade = Math.round(255 - share * 180);
      const [cx, cy] = [left + j * CELL + CELL / 2, top + i * CELL + CELL / 2];
      const pct = total > 0 ? `${(share * 100).toFixed(1)}%` : '–';
      out.push(
        `<rect class="cell" x="${left + j * CELL}" y="${top + i * CELL}" width="${CELL - 2}" height="${CELL - 2}" fill="rgb(${shade},${shade},255)" stroke="#ccc"/>`,
        `<text x="${cx - 1}" y="${cy - 3}" text-anchor="middle" font-weight="bold">${matrix[i][j]}</text>`,
        `<text class="pct" x="${cx - 1}" y="${cy + 12}" text-anchor="middle">${pct}</text>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('');
}
