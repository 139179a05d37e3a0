/** A named series of (x, y) points for `lineChart`. */
export interface Series {
  name: string;
  points: readonly [number, number][];
  color: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** A number short enough for an axis label. */
function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(0) : Number(v.toPrecision(3)).toString();
}

/**
 * A self-contained SVG line chart (no scripts, no external resources): axes with a few ticks, one
 * polyline and legend entry per series; `logY` plots log10(y) for quantities spanning decades.
 */
export function lineChart(
  title: string,
  series: readonly Series[],
  options: { logY?: boolean; xLabel?: string; width?: number; height?: number } = {},
): string {
  const W = options.width ?? 520;
  const H = options.height ?? 260;
  const m = { l: 56, r: 12, t: 28, b: 36 };
  const fy = (y: number) => (options.logY ? Math.log10(Math.max(y, 1e-30)) : y);
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(fy(y)));
  if (pts.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => fy(p[1]))), Math.max(...pts.map((p) => fy(p[1])))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((fy(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const yTicks = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const xTicks = Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${m.l}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#888"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#888"/>`,
    ...yTicks.map((v) => {
      const y = H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
      const label = options.logY ? tick(10 ** v) : tick(v);
      return `<line x1="${m.l - 3}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#eee"/><text x="${m.l - 5}" y="${y + 4}" text-anchor="end">${label}</text>`;
    }),
    ...xTicks.map((v) => `<text x="${sx(v)}" y="${H - m.b + 14}" text-anchor="middle">${tick(v)}</text>`),
    options.xLabel
      ? `<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(options.xLabel)}</text>`
      : '',
    ...series.map((s) => {
      const p = s.points
        .filter(([, y]) => Number.isFinite(fy(y)))
        .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${p.join(' ')}"/>${s.points.length === 1 ? `<circle cx="${p[0]?.split(',')[0]}" cy="${p[0]?.split(',')[1]}" r="3" fill="${s.color}"/>` : ''}`;
    }),
    ...series.map(
      (s, i) =>
        `<rect x="${W - m.r - 150}" y="${m.t + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${W - m.r - 135}" y="${m.t + i * 16 + 9}">${esc(s.name)}</text>`,
    ),
    '</svg>',
  ];
  return parts.join('');
}

/** A confusion matrix as an SVG grid, cells shaded by their share of the true class. */
export function confusionSvg(matrix: readonly (readonly number[])[], labels: readonly string[]): string {
  const n = matrix.length;
  const cell = 56;
  const left = 90;
  const top = 40;
  const W = left + n * cell + 10;
  const H = top + n * cell + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  ];
  out.push(
    `<text x="${left}" y="14" font-size="13" font-weight="bold">Confusion matrix (rows: true, columns: predicted)</text>`,
  );
  for (let j = 0; j < n; j++)
    out.push(
      `<text x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${esc(labels[j] ?? String(j))}</text>`,
    );
  for (let i = 0; i < n; i++) {
    const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
    out.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(labels[i] ?? String(i))}</text>`,
    );
    for (let j = 0; j < n; j++) {
      const share = matrix[i][j] / total;
      const shade = Math.round(255 - share * 180);
      out.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="rgb(${shade},${shade},255)"/>`,
        `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle">${matrix[i][j]}</text>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('');
}
