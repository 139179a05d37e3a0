import pc from 'picocolors';
import { GATES, type GateActivations } from './gate-activations';

/** Five levels for values in [0, 1]: a shade character (readable without color) and a color. */
const SHADES = ['·', '░', '▒', '▓', '█'] as const;
type Paint = (s: string) => string;

/** Blue (0) to red (1) in five steps; plain text when `on` is false. */
function palette(on: boolean): readonly Paint[] {
  const c = pc.createColors(on);
  return [c.blue, c.cyan, c.green, c.yellow, c.red];
}

const level = (v: number) => Math.min(4, Math.max(0, Math.floor(v * 5)));

/** One heat cell of `width` characters for a value in [0, 1]. */
function cell(v: number, width: number, paint: readonly Paint[]): string {
  const l = level(v);
  return paint[l](SHADES[l].repeat(width));
}

/** A token made printable on one line: whitespace shown as symbols, long ones cut. */
export function showToken(token: string, max = 16): string {
  const t = token
    .replace(/ /g, '␠')
    .replace(/\n/g, '⏎')
    .replace(/\t/g, '⇥')
    .replace(/\p{Cc}/gu, '�');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The terminal view of `diagnose gates`: a strip per gate (one colored block per token, wrapped at
 * `width` columns, then the range of the values) for the shape of the whole text, then one line per
 * token with its three cells and values. The scale is absolute (a gate's 0.5 means half open), so
 * a barely trained model shows a flat strip and the numbers carry the differences. Five levels, 0 to 1: `· ░ ▒ ▓ █`, colored blue to red when `colors` is on.
 */
export function gateHeatmapText(
  acts: GateActivations,
  options: { colors?: boolean; width?: number } = {},
): string {
  const paint = palette(options.colors ?? pc.isColorSupported);
  const width = Math.max(10, (options.width ?? 80) - 10);
  const T = acts.tokens.length;
  const lines: string[] = [];
  const legend = SHADES.map((s, l) => paint[l](s)).join(' ');
  lines.push(
    `LSTM gates of layer ${acts.layer + 1} (forward direction), mean over ${acts.hidden} hidden units; 0 ${legend} 1`,
  );
  for (const g of GATES) lines.push(`  ${g.symbol} = ${g.name} gate: ${g.meaning}`);
  lines.push('');
  for (let start = 0; start < T; start += width) {
    const end = Math.min(T, start + width);
    if (T > width) lines.push(`tokens ${start + 1}–${end} of ${T}`);
    for (const g of GATES) {
      const values = acts.mean[g.name].slice(start, end);
      const strip = values.map((v) => cell(v, 1, paint)).join('');
      const range = `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
      lines.push(`  ${g.symbol}  ${strip}  ${range}`);
    }
    lines.push('');
  }
  const tokenWidth = Math.min(16, Math.max(5, ...acts.tokens.map((t) => showToken(t).length)));
  lines.push(
    `${'#'.padStart(4)}  ${'token'.padEnd(tokenWidth)}  ${GATES.map((g) => `${g.symbol} ${g.name}`.padEnd(12))
      .join('')
      .trimEnd()}`,
  );
  for (let t = 0; t < T; t++) {
    const cells = GATES.map((g) => {
      const v = acts.mean[g.name][t];
      return `${cell(v, 3, paint)} ${v.toFixed(2)}`;
    });
    const unk = acts.ids[t] === 1 ? '  (unk)' : '';
    lines.push(
      `${String(t + 1).padStart(4)}  ${showToken(acts.tokens[t]).padEnd(tokenWidth)}  ${cells.join('    ')}${unk}`,
    );
  }
  return lines.join('\n');
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** Viridis at five stops (perceptually even, readable in grey and by most color-blind readers). */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** The color of a value in [0, 1]. */
export function heatColor(v: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  const mix = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

/**
 * The SVG of `diagnose gates --svg`: a tokens × gates grid of the mean activations (each cell has a
 * tooltip with its value), token labels underneath, a 0–1 color bar, and with `units` one more grid
 * per gate of every hidden unit (rows) per token (columns). Self-contained: no scripts or fonts.
 */
export function gateHeatmapSvg(
  acts: GateActivations,
  options: { units?: boolean; title?: string } = {},
): string {
  const T = acts.tokens.length;
  const H = acts.hidden;
  const cw = 18;
  const ch = 22;
  const left = 70;
  const top = 40;
  const labelSpace = 90;
  const uh = Math.max(2, Math.min(6, Math.floor(240 / H)));
  const unitsHeight = options.units ? GATES.length * (H * uh + 24) : 0;
  const gridBottom = top + GATES.length * ch;
  const Htot = gridBottom + labelSpace + unitsHeight + 10;
  const title =
    options.title ??
    `LSTM gate activations, layer ${acts.layer + 1} forward, mean over ${H} units (0 = closed, 1 = open)`;
  // Wide enough for the grid and its color bar, and for the title (about 7 px per character).
  const W = Math.max(left + T * cw + 80, 20 + title.length * 7);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Htot}" viewBox="0 0 ${W} ${Htot}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  GATES.forEach((g, r) => {
    out.push(
      `<text x="${left - 6}" y="${top + r * ch + ch / 2 + 4}" text-anchor="end">${g.name} (${g.symbol})</text>`,
    );
    acts.mean[g.name].forEach((v, t) => {
      out.push(
        `<rect x="${left + t * cw}" y="${top + r * ch}" width="${cw - 1}" height="${ch - 1}" fill="${heatColor(v)}"><title>${esc(`${acts.tokens[t]}: ${g.name} ${v.toFixed(3)}`)}</title></rect>`,
      );
    });
  });
  acts.tokens.forEach((token, t) => {
    const x = left + t * cw + cw / 2;
    const y = gridBottom + 8;
    out.push(`<text x="${x}" y="${y}" transform="rotate(60 ${x} ${y})">${esc(showToken(token, 14))}</text>`);
  });
  // Color bar 0 … 1 to the right of the grid.
  const bx = left + T * cw + 16;
  for (let k = 0; k < 20; k++) {
    const v = 1 - k / 19;
    out.push(
      `<rect x="${bx}" y="${top + (k * (GATES.length * ch)) / 20}" width="12" height="${(GATES.length * ch) / 20 + 0.5}" fill="${heatColor(v)}"/>`,
    );
  }
  out.push(`<text x="${bx + 16}" y="${top + 8}">1</text>`, `<text x="${bx + 16}" y="${gridBottom}">0</text>`);
  if (options.units) {
    let y0 = gridBottom + labelSpace;
    for (const g of GATES) {
      out.push(
        `<text x="10" y="${y0 + 12}" font-weight="bold">${g.name} gate, each of the ${H} units (rows) per token</text>`,
      );
      y0 += 18;
      acts.units[g.name].forEach((row, t) => {
        row.forEach((v, u) => {
          out.push(
            `<rect x="${left + t * cw}" y="${y0 + u * uh}" width="${cw}" height="${uh}" fill="${heatColor(v)}"/>`,
          );
        });
      });
      y0 += H * uh + 6;
    }
  }
  out.push('</svg>');
  return out.join('');
}
