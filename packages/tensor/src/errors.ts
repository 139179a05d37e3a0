/**
 * The one error hierarchy of seqlab. Every error names the op that raised it, what it expected and
 * what it got, and builds its message from those fields:
 * `<op>: expected <expected>, got <actual>[. <hint>]`.
 *
 * @example
 * ```ts
 * throw new ShapeError('matmul', 'inner sizes to match', '[32, 100] and [128, 256]');
 * // ShapeError: matmul: expected inner sizes to match, got [32, 100] and [128, 256]
 * ```
 */
export class SeqlabError extends Error {
  /** The op, layer or function that raised the error, e.g. `matmul` or `LSTM.forward`. */
  readonly op: string;
  /** What the op expected, in words. */
  readonly expected: string;
  /** What the op was given. */
  readonly actual: string;
  /** An optional hint on how to fix the call. */
  readonly hint: string | undefined;

  constructor(op: string, expected: string, actual: string, hint?: string) {
    super(`${op}: expected ${expected}, got ${actual}${hint ? `. ${hint}` : ''}`);
    this.name = new.target.name;
    this.op = op;
    this.expected = expected;
    this.actual = actual;
    this.hint = hint;
  }
}

/** A tensor had the wrong shape, rank or size for an op. */
export class ShapeError extends SeqlabError {}

/** A tensor had the wrong dtype for an op (e.g. float indices, int32 input to `exp`). */
export class DTypeError extends SeqlabError {}

/** An option or configuration value was invalid (bad `dim`, negative probability, unknown name). */
export class ConfigError extends SeqlabError {}

/** A compute backend is unknown, unavailable, or failed. */
export class BackendError extends SeqlabError {}

/** Bytes or a file did not follow the expected format (corrupt safetensors, bad JSON). */
export class FormatError extends SeqlabError {}

/**
 * A computation met a NaN or an infinite value where only finite ones make sense: a diverged loss,
 * a gradient, a weight (`clipGradNorm` with `errorIfNonfinite`, the trainer's per-step check, a
 * weights file holding NaN).
 *
 * @example
 * ```ts
 * throw new NumericError('clipGradNorm', 'a finite total norm of order 2 of the gradients', 'NaN');
 * ```
 */
export class NumericError extends SeqlabError {}

/** Formats a shape the way every message writes it: `[5, 3, 12]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
