/**
 * A plain-text table: one space-padded column per header, numbers right-aligned (a cell that parses
 * as a number, possibly with a range dash or a trailing `*`, or is `-` for none), text left-aligned.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const numeric = (s: string) => s === '-' || /^-?[\d,.]+(?:[–-][\d,.]+)?\*?$/.test(s);
  const line = (cells: readonly string[], isHeader: boolean) =>
    cells
      .map((c, j) => (!isHeader && numeric(c) ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(header, true), ...rows.map((r) => line(r, false))].join('\n');
}

/** A number with thousands separators and `digits` decimals. */
export const fmt = (x: number, digits = 1): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
