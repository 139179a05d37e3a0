import type { DType, Storage } from './dtype';

/** What `formatTensor` prints. */
export interface FormatInput {
  data: Storage;
  shape: readonly number[];
  dtype: DType;
  requiresGrad: boolean;
  gradFn: string | null;
}

/** Tensors with more elements than this are summarized (torch's `threshold`). */
const THRESHOLD = 1000;
/** Elements kept at each end of a summarized dim (torch's `edgeitems`). */
const EDGE_ITEMS = 3;
/** Row width before a 1-D row wraps (torch's `linewidth`). */
const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

/**
 * A tensor as PyTorch prints it, with seqlab's shape and dtype: `tensor([[1.0000, 2.5000], …],
 * shape=[2, 2], dtype=float32, requiresGrad=true)`. Values follow torch's formatter (torch/_tensor_str.py):
 * floats with 4 decimals, scientific notation when the magnitudes span more than 1000x or leave
 * [1e-4, 1e8], whole floats as `1.`, columns padded to one width, rows wrapped at 80 characters,
 * and tensors of more than 1000 elements summarized to their first and last 3 items per dim (`...`).
 * `Tensor.toString()` and Node's `util.inspect` (so `console.log`) both print this.
 *
 * Porting note: PyTorch shows the size only for empty tensors and the dtype only when it is not
 * the default; here `shape` and `dtype` are always shown. Booleans print as `true`/`false`.
 */
export function formatTensor(t: FormatInput): string {
  const summarize = t.data.length > THRESHOLD;
  const format = formatter(t.dtype, shownValues(t, summarize));
  const body =
    t.data.length === 0 && t.shape.length > 0
      ? '[]'
      : layout(t, format, summarize, 0, 0, t.data.length, PREFIX.length);
  const suffixes = [`shape=[${t.shape.join(', ')}]`, `dtype=${t.dtype}`];
  if (t.gradFn) suffixes.push(`gradFn=${t.gradFn}`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return `${PREFIX}${body}, ${suffixes.join(', ')})`;
}

/** The indices kept along one dim: all, or the first and last EDGE_ITEMS with a gap (-1). */
function kept(size: number, summarize: boolean): number[] {
  if (!summarize || size <= 2 * EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
  const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => size - EDGE_ITEMS + i);
  return [...head, -1, ...tail];
}

/** Every value that will be printed (what the column width and notation are chosen from). */
function shownValues(t: FormatInput, summarize: boolean): number[] {
  if (!summarize) return Array.from(t.data);
  const out: number[] = [];
  const visit = (dim: number, offset: number, span: number) => {
    if (dim === t.shape.length) {
      out.push(t.data[offset]);
      return;
    }
    const inner = span / t.shape[dim];
    for (const i of kept(t.shape[dim], true)) if (i >= 0) visit(dim + 1, offset + i * inner, inner);
  };
  visit(0, 0, t.data.length);
  return out;
}

/** A function from one value to its padded text, chosen from all shown values as torch does. */
function formatter(dtype: DType, values: number[]): (v: number) => string {
  let text: (v: number) => string;
  if (dtype === 'bool') text = (v) => (v ? 'true' : 'false');
  else if (dtype === 'int32') text = (v) => String(v);
  else {
    const finite = values.filter((v) => Number.isFinite(v));
    const nonzero = finite.filter((v) => v !== 0).map(Math.abs);
    const max = nonzero.length ? Math.max(...nonzero) : 0;
    const min = nonzero.length ? Math.min(...nonzero) : 0;
    const whole = finite.every((v) => Number.isInteger(v));
    const sci = nonzero.length > 0 && (max / min > 1000 || max > 1e8 || (!whole && min < 1e-4));
    const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
    if (sci) {
      text = (v) =>
        Number.isFinite(v)
          ? halfEven(v, v.toExponential(4), Math.abs(v).toExponential(100)).replace(/e([+-])(\d)$/, 'e$10$2')
          : special(v);
    } else if (whole) {
      text = (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
    } else {
      text = (v) => (Number.isFinite(v) ? halfEven(v, v.toFixed(4), Math.abs(v).toFixed(100)) : special(v));
    }
  }
  const width = Math.max(1, ...values.map((v) => text(v).length));
  return (v) => text(v).padStart(width);
}

/**
 * `rounded` (JavaScript's toFixed/toExponential of v to 4 digits, which sends an exact tie away
 * from zero) corrected to Python's half-to-even, which torch's printing uses: 1.03125 prints as
 * 1.0312. `exact` is |v| with 100 digits, its exact decimal value for every float32 and every
 * float64 printed in fixed notation (at most ~70 fraction digits).
 */
function halfEven(v: number, rounded: string, exact: string): string {
  const [mantissa, exponent] = exact.split('e');
  const cut = mantissa.indexOf('.') + 5;
  if (!/^50*$/.test(mantissa.slice(cut))) return rounded;
  const kept = mantissa.slice(0, cut);
  if (Number(kept[kept.length - 1]) % 2 === 1) return rounded;
  return `${v < 0 ? '-' : ''}${kept}${exponent === undefined ? '' : `e${exponent}`}`;
}

/** The bracketed text of the sub-tensor at `offset` (spanning `span` values) from `dim` on. */
function layout(
  t: FormatInput,
  format: (v: number) => string,
  summarize: boolean,
  dim: number,
  offset: number,
  span: number,
  indent: number,
): string {
  if (dim === t.shape.length) return format(t.data[offset]);
  const size = t.shape[dim];
  const inner = span / size;
  const items = kept(size, summarize);
  if (dim === t.shape.length - 1) {
    const cells = items.map((i) => (i < 0 ? ' ...' : format(t.data[offset + i])));
    const cellWidth = format(t.data[offset]).length + 2;
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / cellWidth));
    const lines: string[] = [];
    for (let k = 0; k < cells.length; k += perLine) lines.push(cells.slice(k, k + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const rows = items.map((i) =>
    i < 0 ? '...' : layout(t, format, summarize, dim + 1, offset + i * inner, inner, indent + 1),
  );
  const separator = `,${'\n'.repeat(t.shape.length - dim - 1)}${' '.repeat(indent + 1)}`;
  return `[${rows.join(separator)}]`;
}
