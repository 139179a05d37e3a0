import { describeValue } from './describe-value';
import { ConfigError } from './errors';

/**
 * The one run-time check of an options object, shared by every public constructor and function of
 * seqlab that takes one (layers, losses, data loaders, tokenizers, metrics, optimizers, creation
 * functions). TypeScript catches a wrong key at compile time; this catches it in plain JavaScript,
 * under `tsx`, or behind a cast, where a PyTorch habit such as `batch_first: true` would otherwise
 * vanish and build a different model without a word.
 *
 * - `undefined` passes (the caller's defaults apply).
 * - Anything but a plain object (a number, a string, an Array, a Tensor, a Map, null) is a
 *   `ConfigError` that says what was given.
 * - A key that is not one of `known` is a `ConfigError` naming the key, with a hint: the camelCase
 *   option when the key is its snake_case (or differently cased) spelling (`batch_first` →
 *   `batchFirst`), else a known key it begins (`train` → `training`) or the nearest known key by edit
 *   distance (`droput` → `dropout`); the message
 *   always lists the known keys.
 *
 * Decision: snake_case aliases are NOT accepted. Each option has one spelling, PyTorch's keyword
 * camelCased; accepting both would let two spellings of one option disagree in one object and make
 * every reader learn two names. The error names the right spelling instead.
 *
 * Values are not checked here; each op checks its own values as before. The check is a loop over
 * the given keys, cheap enough for the constructors and creation functions on hot paths.
 *
 * @example
 * ```ts
 * const LSTM_KEYS = optionKeys<LSTMOptions>({ inputSize: true, hiddenSize: true, batchFirst: true });
 * checkOptions('LSTM', { inputSize: 100, hiddenSize: 256, batch_first: true }, LSTM_KEYS);
 * // ConfigError: LSTM: expected options among inputSize, hiddenSize, batchFirst, got unknown option
 * // 'batch_first'. Use batchFirst: seqlab spells options in camelCase and accepts no snake_case alias
 * ```
 */
export function checkOptions(op: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) {
    throw new ConfigError(op, `an options object { ${known.join(', ')} }`, describeValue(options));
  }
  for (const key in options) {
    if (!Object.hasOwn(options, key) || known.includes(key)) continue;
    throw new ConfigError(
      op,
      known.length === 0 ? 'no options' : `options among ${known.join(', ')}`,
      `unknown option '${key}'`,
      suggestOption(key, known),
    );
  }
}

/**
 * The keys of an options interface as a list for `checkOptions`. Taking a record of every key makes
 * the typecheck fail when the interface gains or loses an option and the list does not.
 *
 * A list made at module scope is a call a bundler keeps unless the call is marked pure, and a
 * package's dist is one file of many modules: unmarked, every op's list would land in every
 * bundle, used or not. So the module-scope calls carry a `@__PURE__` comment, as in this package.
 */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/** True for `{}` literals and `Object.create(null)` objects (from any realm). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

/** The hint for an unknown key: its camelCase spelling, or the nearest known key, or nothing. */
function suggestOption(key: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.replace(/[_-]/g, '').toLowerCase();
  const same = known.find((k) => squash(k) === squash(key));
  if (same !== undefined) {
    return `Use ${same}: seqlab spells options in camelCase and accepts no snake_case alias`;
  }
  const lower = key.toLowerCase();
  const extended = key.length >= 4 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
  if (extended !== undefined) return `Did you mean ${extended}?`;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined ? undefined : `Did you mean ${best}?`;
}

/** Levenshtein distance, with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}
