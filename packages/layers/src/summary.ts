import { noGrad, PackedSequence, Tensor } from '@seqlab/tensor';
import type { Module } from './module';

/** One row of a model summary. */
export interface SummaryRow {
  /** Dotted name ('' for the model itself). */
  name: string;
  /** Class name, e.g. `LSTM`. */
  layer: string;
  /** Shape of the module's (first) output during the sample forward, or null without inputs. */
  outputShape: number[] | null;
  /** Parameters registered directly on this module (not its children). */
  parameters: number;
}

type Forward = (...args: unknown[]) => unknown;

function firstShape(value: unknown): number[] | null {
  if (value instanceof Tensor) return [...value.shape];
  if (value instanceof PackedSequence) return [...value.data.shape];
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      const s = firstShape(v);
      if (s) return s;
    }
  }
  return null;
}

/**
 * A table of the model's layers (name and class), each one's output shape when sample inputs are
 * given (the model runs once without gradients), and its parameter count, with the totals
 * (torchinfo's `summary(model, input)`). A function rather than a method of `Module`, so a bundle
 * that never prints a summary does not carry it.
 *
 * @example
 * ```ts
 * console.log(summary(model, tensor([[4, 9, 1]], { dtype: 'int32' })));
 * ```
 */
export function summary(model: Module, ...inputs: unknown[]): string {
  return formatSummary(summarize(model, ...inputs), model);
}

/**
 * The model's layers with their output shapes and parameter counts (torchinfo's summary in
 * spirit). With sample inputs the model runs once (no gradients) to record every module's output
 * shape.
 */
export function summarize(model: Module, ...inputs: unknown[]): SummaryRow[] {
  const modules = [...model.namedModules()];
  const shapes = new Map<Module, number[] | null>();
  if (inputs.length > 0) {
    const patched: [Module & { forward: Forward }, Forward, boolean][] = [];
    for (const [, m] of modules) {
      const candidate = m as Module & { forward?: Forward };
      if (typeof candidate.forward !== 'function') continue;
      const mod = candidate as Module & { forward: Forward };
      const original = mod.forward;
      patched.push([mod, original, Object.hasOwn(mod, 'forward')]);
      mod.forward = (...args: unknown[]) => {
        const out = original.apply(mod, args);
        if (!shapes.has(mod)) shapes.set(mod, firstShape(out));
        return out;
      };
    }
    try {
      noGrad(() => (model as Module & { forward: Forward }).forward(...inputs));
    } finally {
      for (const [m, original, own] of patched) {
        if (own) m.forward = original;
        else delete (m as Partial<{ forward: Forward }>).forward;
      }
    }
  }
  return modules.map(([name, m]) => {
    let own = 0;
    const childPrefixes = [...m.namedChildren()].map(([n]) => `${n}.`);
    for (const [pname, p] of m.namedParameters())
      if (!childPrefixes.some((c) => pname.startsWith(c))) own += p.numel;
    return { name, layer: m.constructor.name, outputShape: shapes.get(m) ?? null, parameters: own };
  });
}

/** `summarize` as a text table: layer, output shape, parameters, and the totals. */
export function formatSummary(rows: readonly SummaryRow[], model: Module): string {
  const body = rows.map((r) => [
    r.name ? `${r.name} (${r.layer})` : r.layer,
    r.outputShape ? `[${r.outputShape.join(', ')}]` : '—',
    r.parameters.toLocaleString('en-US'),
  ]);
  const header = ['Layer', 'Output shape', 'Params'];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const total = model.numParameters();
  const trainable = model.numParameters(true);
  return [
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
  ].join('\n');
}
