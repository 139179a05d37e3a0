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
    // Each class names itself (below): a minifier renames classes, and `new.target.name` would then
    // be `_t` in a browser bundle. A subclass of the user's keeps its own class name.
    this.name = new.target === SeqlabError ? 'SeqlabError' : new.target.name;
    this.op = op;
    this.expected = expected;
    this.actual = actual;
    this.hint = hint;
  }
}

/** A tensor had the wrong shape, rank or size for an op. */
export class ShapeError extends SeqlabError {
  /** Always `'ShapeError'`, so `error.name` survives minification. */
  override name = 'ShapeError';
}

/** A tensor had the wrong dtype for an op (e.g. float indices, int32 input to `exp`). */
export class DTypeError extends SeqlabError {
  /** Always `'DTypeError'`, so `error.name` survives minification. */
  override name = 'DTypeError';
}

/** An argument, option or configuration value was invalid (not a Tensor, bad `dim`, negative probability, unknown name). */
export class ConfigError extends SeqlabError {
  /** Always `'ConfigError'`, so `error.name` survives minification. */
  override name = 'ConfigError';
}

/** A compute backend is unknown, unavailable, or failed. */
export class BackendError extends SeqlabError {
  /** Always `'BackendError'`, so `error.name` survives minification. */
  override name = 'BackendError';
}

/** Bytes or a file did not follow the expected format (corrupt safetensors, bad JSON). */
export class FormatError extends SeqlabError {
  /** Always `'FormatError'`, so `error.name` survives minification. */
  override name = 'FormatError';
}

/**
 * A file could not be read or written: missing, a directory, no permission, … (a Node.js error such
 * as `ENOENT` or `EISDIR`, which is kept as `cause`). The message always names the path, which
 * some Node.js errors (`EISDIR` from a read) leave out.
 *
 * @example
 * ```ts
 * // FileError: readSafetensorsFile: expected a readable file, got /runs/a/model.safetensors (EISDIR: a directory)
 * ```
 */
export class FileError extends SeqlabError {
  /** Always `'FileError'`, so `error.name` survives minification. */
  override name = 'FileError';
  /** The path that could not be read or written. */
  readonly path: string;
  /** The Node.js error code (`ENOENT`, `EISDIR`, `EACCES`, …), or undefined. */
  readonly code: string | undefined;

  constructor(op: string, expected: string, path: string, code: string | undefined, hint?: string) {
    super(op, expected, `${path} (${describeCode(code)})`, hint);
    this.path = path;
    this.code = code;
  }
}

const CODES: Record<string, string> = {
  ENOENT: 'ENOENT: no such file or directory',
  EISDIR: 'EISDIR: a directory',
  ENOTDIR: 'ENOTDIR: a path through something that is not a directory',
  EACCES: 'EACCES: permission denied',
  EPERM: 'EPERM: operation not permitted',
};

function describeCode(code: string | undefined): string {
  if (code === undefined) return 'not readable';
  return CODES[code] ?? code;
}

/**
 * A value as an error message shows it: JSON-like, at most `maxLength` characters (longer text ends
 * in `…`), nested containers shown to a few levels only. Safe on anything a file may hold: a 100 MB
 * string or an array nested 100,000 deep costs a few microseconds, where `JSON.stringify` would copy
 * the whole string or overflow the stack.
 *
 * @example
 * ```ts
 * formatValue('x'.repeat(1e6)); // '"xxxxxxxx…'
 * formatValue([[[[[1]]]]]);      // '[[[[…]]]]'
 * ```
 */
export function formatValue(value: unknown, maxLength = 60): string {
  const text = render(value, maxLength + 1, 0);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

const MAX_SHOWN_DEPTH = 3;

/** JSON-like rendering that stops once `budget` characters are written or containers nest too deep. */
function render(value: unknown, budget: number, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return value.toString();
  }
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const isArray = Array.isArray(value);
  if (depth >= MAX_SHOWN_DEPTH) return isArray ? '[…]' : '{…}';
  const parts: string[] = [];
  let length = 2;
  const room = () => Math.max(1, budget - length);
  if (isArray) {
    for (const item of value) {
      if (length > budget) break;
      parts.push(render(item, room(), depth + 1));
      length += parts[parts.length - 1].length + 1;
    }
    return `[${parts.join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (length > budget) break;
    if (!Object.hasOwn(record, key)) continue;
    const name = render(key, room(), depth + 1);
    parts.push(`${name}:${render(record[key], Math.max(1, budget - length - name.length), depth + 1)}`);
    length += parts[parts.length - 1].length + 1;
  }
  return `{${parts.join(',')}}`;
}

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
export class NumericError extends SeqlabError {
  /** Always `'NumericError'`, so `error.name` survives minification. */
  override name = 'NumericError';
}

/**
 * A tensor was read after `dispose` or `tidy` disposed it: its storage may hold another tensor's
 * values by now, so every read of its data throws this instead.
 *
 * @example
 * ```ts
 * // DisposedError: Tensor.data: expected a tensor that was not disposed, got a float32 tensor of shape [32, 10] disposed by dispose() or tidy()
 * ```
 */
export class DisposedError extends SeqlabError {
  /** Always `'DisposedError'`, so `error.name` survives minification. */
  override name = 'DisposedError';
}

/**
 * A second copy of a seqlab package was loaded in the same JavaScript realm: two installed versions
 * (or paths) of `@seqlab/tensor`, or a bundle holding both its ES module and its CommonJS build.
 * Two copies would mean two `Tensor` classes, two backend registries and two default generators,
 * so the second copy refuses to load. `first` and `second` name each copy's version and location.
 *
 * @example
 * ```ts
 * // DuplicatePackageError: import @seqlab/tensor: expected one copy of @seqlab/tensor per realm,
 * // got a second one, 0.2.0 at /app/node_modules/x/node_modules/@seqlab/tensor/dist/index.cjs,
 * // beside 0.1.0 at /app/node_modules/@seqlab/tensor/dist/index.cjs. …
 * ```
 */
export class DuplicatePackageError extends SeqlabError {
  /** Always `'DuplicatePackageError'`, so `error.name` survives minification. */
  override name = 'DuplicatePackageError';
  /** The package loaded twice, e.g. `@seqlab/tensor`. */
  readonly packageName: string;
  /** The copy loaded first. */
  readonly first: PackageCopy;
  /** The copy that refused to load. */
  readonly second: PackageCopy;

  constructor(packageName: string, first: PackageCopy, second: PackageCopy) {
    super(
      `import ${packageName}`,
      `one copy of ${packageName} per realm`,
      `a second one, ${describeCopy(second)}, beside ${describeCopy(first)}`,
      `Install one version (\`npm ls ${packageName}\`: the other @seqlab packages take it as a peer ` +
        'dependency), and let a bundler include either its ES module or its CommonJS build, not both',
    );
    this.packageName = packageName;
    this.first = first;
    this.second = second;
  }
}

/** One loaded copy of a package: its version and where its code was loaded from. */
export interface PackageCopy {
  /** The package.json `version` of this copy. */
  readonly version: string;
  /** Where its code was loaded from: a file URL or path, as the runtime reports it. */
  readonly location: string;
}

function describeCopy(copy: PackageCopy): string {
  return `${copy.version} at ${copy.location}`;
}

/** Formats a shape the way every message writes it: `[5, 3, 12]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
