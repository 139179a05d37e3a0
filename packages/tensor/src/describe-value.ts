import { formatShape } from './errors';

/**
 * Words for a value in error messages (`an Array of 2 numbers`, `the number 3`, `undefined`, `a
 * plain object with keys h, c`, `a float32 Tensor of shape [2, 3]`). It imports no Tensor, so the
 * shape and option checks below the Tensor class can use it without an import cycle: a tensor is
 * recognised by its class name and fields.
 */

/** True for a seqlab Tensor, including one from another copy of the package (duck-typed). */
export function isTensorLike(value: unknown): value is { dtype: string; shape: readonly number[] } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { constructor?: { name?: unknown }; dtype?: unknown; shape?: unknown };
  return v.constructor?.name === 'Tensor' && typeof v.dtype === 'string' && Array.isArray(v.shape);
}

const article = (word: string): string => (/^[aeiouAEIOU]/.test(word) ? `an ${word}` : `a ${word}`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A value in words, for error messages: `an Array of 2 numbers`, `the number 3`, `undefined`,
 * `a plain object with keys h, c`, `a Map of 2 entries`, `a PackedSequence`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`;
    case 'string':
      return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (isTensorLike(value)) return `a ${value.dtype} Tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return describeArray(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const view = value as unknown as ArrayLike<number>;
    return `${article(value.constructor.name)} of ${plural(view.length, 'value')}`;
  }
  if (value instanceof Map) return `a Map of ${value.size} ${value.size === 1 ? 'entry' : 'entries'}`;
  if (value instanceof Set) return `a Set of ${plural(value.size, 'value')}`;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value as object);
    if (keys.length === 0) return 'an empty plain object';
    const shown = keys.slice(0, 5).join(', ');
    return `a plain object with keys ${shown}${keys.length > 5 ? ', …' : ''}`;
  }
  return article((value as object).constructor?.name || 'object');
}

function describeArray(values: readonly unknown[]): string {
  if (values.length === 0) return 'an empty Array';
  const kinds = new Set(
    values.map((v) =>
      isTensorLike(v)
        ? 'Tensor'
        : Array.isArray(v)
          ? 'Array'
          : typeof v === 'object'
            ? (v?.constructor?.name ?? 'null')
            : typeof v,
    ),
  );
  const kind = kinds.size === 1 ? [...kinds][0] : 'value';
  return `an Array of ${plural(values.length, kind)}`;
}
