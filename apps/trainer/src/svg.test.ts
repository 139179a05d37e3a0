import { describe, expect, it } from 'vitest';
import {
  type Box,
  chartLayout,
  confusionSvg,
  integerTicks,
  lineChart,
  niceTicks,
  type Series,
  textWidth,
} from './svg';

/** The attributes of every `<tag class="cls" …>` in an SVG string, as numbers where they are. */
function elements(svg: string, tag: string, cls?: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))) {
    const attrs = Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    if (cls === undefined || (attrs.class ?? '').split(' ').includes(cls)) out.push(attrs);
  }
  return out;
}

/** The texts of `<text class="cls">` elements. */
const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text>`, 'g'))].map(
    (m) => m[1],
  );

const intersects = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** A per-step series over `epochs` epochs of `batches` batches, and per-epoch ones. */
function runSeries(epochs: number, batches: number): Series[] {
  const steps = Array.from(
    { length: epochs * batches },
    (_, i) => [(i + 1) / batches, 1 / (1 + i / 7)] as [number, number],
  );
  const epochly = Array.from({ length: epochs }, (_, i) => [i + 1, 0.9 / (1 + i)] as [number, number]);
  return [
    { name: 'train, per step', points: steps, color: '#1f77b4', style: 'faint' },
    { name: 'train, smoothed (EMA 0.1)', points: steps, color: '#1f77b4' },
    { name: 'train, epoch mean', points: epochly, color: '#17becf', style: 'markers' },
    { name: 'valid', points: epochly, color: '#d62728', style: 'markers' },
  ];
}

describe('integerTicks', () => {
  it.each([
    [0, 1],
    [0, 2],
    [0, 4],
    [0, 10],
    [0, 11],
    [0, 37],
    [3, 9],
    [0, 250],
    [0, 10_000],
  ])(
    '[%d, %d]: integers only, a step of 1, 2 or 5 × 10^k, at most 11 ticks, spanning the range',
    (lo, hi) => {
      const ticks = integerTicks(lo, hi);
      expect(ticks.every(Number.isInteger)).toBe(true);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(11);
      const step = ticks[1] - ticks[0];
      expect(ticks.every((t, i) => i === 0 || t - ticks[i - 1] === step)).toBe(true);
      expect(String(step)).toMatch(/^[125]0*$/);
      expect(ticks[0] - lo).toBeLessThan(step);
      expect(hi - ticks[ticks.length - 1]).toBeLessThan(step);
    },
  );

  it('ticks every epoch up to 10 epochs', () => {
    expect(integerTicks(0, 4)).toEqual([0, 1, 2, 3, 4]);
    expect(integerTicks(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(integerTicks(0, 12)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });
});

describe('niceTicks', () => {
  it.each([
    [0.165, 0.458],
    [1.03, 1.12],
    [0.001, 0.003],
    [-2, 7],
    [0, 1],
    [1e-6, 3.7e-6],
  ])(
    '[%d, %d]: round steps (1, 2, 2.5 or 5 × 10^k), from at or below to at or above, at most 7',
    (lo, hi) => {
      const ticks = niceTicks(lo, hi);
      expect(ticks[0]).toBeLessThanOrEqual(lo);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(ticks.length).toBeLessThanOrEqual(7);
      const step = ticks[1] - ticks[0];
      const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
      expect([1, 2, 2.5, 5]).toContain(mantissa);
      for (const t of ticks)
        expect(Number.isInteger(Number((t / step).toPrecision(9))), String(t)).toBe(true);
    },
  );
});

describe('lineChart over epochs', () => {
  it.each([
    [1, 5],
    [2, 4],
    [3, 32],
    [7, 3],
    [40, 2],
  ])(
    '%d epochs of %d steps: integer epoch ticks from 0, whatever the fractional step positions',
    (epochs, batches) => {
      const svg = lineChart('Loss', runSeries(epochs, batches), { xLabel: 'epoch', integerX: true, xMin: 0 });
      const ticks = texts(svg, 'x-tick').map(Number);
      expect(ticks.every(Number.isInteger)).toBe(true);
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(epochs);
    },
  );

  it('has a marker at every point of a markers series and none for lines', () => {
    const series = runSeries(3, 5);
    const svg = lineChart('Loss', series, { integerX: true, xMin: 0 });
    expect(elements(svg, 'circle', 'marker')).toHaveLength(3 + 3);
    const lines = elements(svg, 'polyline');
    expect(lines.map((l) => l.class)).toEqual([
      'series faint',
      'series line',
      'series markers',
      'series markers',
    ]);
    expect(lines[0]['stroke-opacity']).toBe('0.3');
  });

  it('gives a lone point a marker (one epoch done has no line to draw)', () => {
    const svg = lineChart('Accuracy', [{ name: 'accuracy', points: [[1, 0.5]], color: '#2ca02c' }], {
      integerX: true,
      xMin: 0,
    });
    expect(elements(svg, 'circle', 'marker')).toHaveLength(1);
    expect(texts(svg, 'x-tick')).toEqual(['0', '1']);
  });

  it('draws every point, line and marker inside the plot area', () => {
    const series = runSeries(4, 6);
    const L = chartLayout(series, { integerX: true, xMin: 0 });
    const svg = lineChart('Loss', series, { integerX: true, xMin: 0 });
    const [area] = elements(svg, 'rect', 'plot-area');
    expect(area).toMatchObject({
      x: String(L.plot.x),
      y: String(L.plot.y),
      width: String(L.plot.width),
      height: String(L.plot.height),
    });
    const inside = (x: number, y: number) =>
      x >= L.plot.x && x <= L.plot.x + L.plot.width && y >= L.plot.y && y <= L.plot.y + L.plot.height;
    for (const c of elements(svg, 'circle', 'marker')) expect(inside(Number(c.cx), Number(c.cy))).toBe(true);
    for (const l of elements(svg, 'polyline'))
      for (const p of l.points.split(' ')) {
        const [x, y] = p.split(',').map(Number);
        expect(inside(x, y), p).toBe(true);
      }
  });

  it.each([1, 2, 4, 8])(
    'puts the legend of %d series below the plot area, inside the chart, never over the data',
    (n) => {
      const series = Array.from({ length: n }, (_, i) => ({
        name: `series number ${i} with a long name`,
        points: [
          [0, i],
          [3, 10 - i],
        ] as [number, number][],
        color: '#000',
      }));
      for (const width of [360, 520, 720]) {
        const L = chartLayout(series, { width, xLabel: 'epoch' });
        expect(intersects(L.legend, L.plot)).toBe(false);
        expect(L.legend.y).toBeGreaterThanOrEqual(L.plot.y + L.plot.height + 32); // below tick labels and axis label
        expect(L.legend.y + L.legend.height).toBeLessThanOrEqual(L.height);
        for (const [i, item] of L.legendItems.entries()) {
          const box = { x: item.x, y: item.y, width: 18 + textWidth(series[i].name), height: 16 };
          expect(intersects(box, L.plot)).toBe(false);
          expect(box.x + box.width).toBeLessThanOrEqual(width);
          expect(box.y + box.height).toBeLessThanOrEqual(L.legend.y + L.legend.height);
        }
        const svg = lineChart('t', series, { width });
        expect(svg).toContain(`height="${L.height}"`);
      }
    },
  );

  it.each([
    ['a narrow loss range', [1.0273, 1.1189], false],
    ['a loss that hardly moves', [1.0004, 1.0021], false],
    ['a gradient norm under a decade, log scale', [0.2742, 0.2761], true],
    ['gradient norms over decades, log scale', [3e-4, 0.52], true],
    ['learning rates', [8e-9, 0.002], false],
  ] as const)('gives %s distinct, short tick labels', (_, [lo, hi], logY) => {
    const series: Series[] = [
      {
        name: 's',
        points: [
          [1, lo],
          [2, (lo + hi) / 2],
          [3, hi],
        ],
        color: '#000',
      },
    ];
    const labels = texts(lineChart('t', series, { logY, integerX: true }), 'y-tick');
    expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
    expect(labels.length).toBeGreaterThanOrEqual(2);
    for (const label of labels) expect(label.length, label).toBeLessThanOrEqual(7);
  });

  it('spans xMax when no point reaches it (a run that is still going)', () => {
    const svg = lineChart('Loss', runSeries(2, 3), { integerX: true, xMin: 0, xMax: 10 });
    expect(texts(svg, 'x-tick')).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    const past = lineChart('Loss', runSeries(4, 3), { integerX: true, xMin: 0, xMax: 3 });
    expect(texts(past, 'x-tick')).toEqual(['0', '1', '2', '3', '4']);
  });

  it('labels both axes', () => {
    const svg = lineChart('Loss', runSeries(2, 3), {
      xLabel: 'epoch',
      yLabel: 'cross-entropy',
      integerX: true,
    });
    expect(texts(svg, 'x-label')).toEqual(['epoch']);
    expect(texts(svg, 'y-label')).toEqual(['cross-entropy']);
  });

  it('starts the y axis at yMin, not below, when no point is below it', () => {
    const lr: Series[] = [
      {
        name: 'lr',
        points: [
          [0.25, 1e-4],
          [1, 2e-3],
          [2, 0],
        ],
        color: '#000',
      },
    ];
    expect(chartLayout(lr).yDomain[0]).toBeLessThan(0);
    const L = chartLayout(lr, { yMin: 0 });
    expect(L.yDomain[0]).toBe(0);
    expect(L.yTicks[0]).toBe(0);
    const below: Series[] = [
      {
        name: 'x',
        points: [
          [0, -1],
          [1, 2],
        ],
        color: '#000',
      },
    ];
    expect(chartLayout(below, { yMin: 0 }).yDomain[0]).toBeLessThan(-1);
  });

  it('gives a constant series (a learning rate without a schedule) a positive range', () => {
    const L = chartLayout([
      {
        name: 'lr',
        points: [
          [0.5, 0.002],
          [1, 0.002],
        ],
        color: '#000',
      },
    ]);
    expect(L.yDomain[0]).toBeGreaterThan(0);
    expect(L.yDomain[0]).toBeLessThan(0.002);
    expect(L.yDomain[1]).toBeGreaterThan(0.002);
  });
});

describe('confusionSvg', () => {
  const matrix = [
    [8, 2, 0],
    [1, 6, 3],
    [0, 0, 0],
  ];
  const labels = ['sports', 'cooking', 'a label name far too long for one cell of the grid'];
  const svg = confusionSvg(matrix, labels, { set: 'test set', examples: 20 });

  it('has its full title, saying which set and how to read it', () => {
    expect(texts(svg, 'title')).toEqual(['Confusion matrix, test set (20 examples)']);
    expect(texts(svg, 'subtitle')).toEqual(['rows: true label, columns: predicted label; % of the row']);
    expect(texts(svg, 'axis-label')).toEqual(['predicted label', 'true label']);
    const width = Number(elements(svg, 'svg')[0].width);
    expect(width).toBeGreaterThanOrEqual(10 + textWidth('Confusion matrix, test set (20 examples)', 13));
  });

  it('shows every count with its share of the row, and the label names', () => {
    expect(texts(svg, 'pct')).toEqual(['80.0%', '20.0%', '0.0%', '10.0%', '60.0%', '30.0%', '–', '–', '–']);
    expect(texts(svg, 'row-label')).toEqual(['sports', 'cooking', 'a label name far too lo…']);
    expect(svg).toContain('<title>a label name far too long for one cell of the grid</title>');
    expect(elements(svg, 'rect', 'cell')).toHaveLength(9);
  });
});
