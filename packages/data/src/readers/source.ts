import { LabelMap, type LabelSpec, type TextExample } from '@seqlab/data';
import { ConfigError, FileError, FormatError, formatValue, SeqlabError } from '@seqlab/tensor';
import { isStringTooLong } from './utf8';

/** Why a row was rejected. */
export type RowErrorReason =
  | 'invalid UTF-8'
  | 'invalid JSON'
  | 'broken quoting'
  | 'malformed CSV'
  | 'wrong field count'
  | 'missing column'
  | 'empty text'
  | 'unknown label';

/** A rejected row: where it is, why, and the message a `throw` would have carried. */
export interface RowError {
  /** The file, as the caller named it. */
  file: string;
  /** 1-based line where the row starts. */
  line: number;
  /** Why it was rejected. */
  reason: RowErrorReason;
  /** The FormatError message, e.g. `readCsv: expected valid UTF-8 at a.csv:7, got byte 0xff …`. */
  message: string;
}

/** What the last pass over a source read. */
export interface ReadReport {
  /** Rows (CSV records, non-blank JSONL lines, files) seen, header excluded. */
  rows: number;
  /** Examples produced. */
  examples: number;
  /** Rows rejected (always 0 with `onError: 'throw'`, which stops at the first). */
  skipped: number;
  /** Skipped rows by reason. */
  skippedByReason: Partial<Record<RowErrorReason, number>>;
  /** The first `maxErrors` rejected rows. */
  errors: RowError[];
}

/** An example with the place it was read from. */
export interface LocatedExample extends TextExample {
  /** The file, as the caller named it. */
  file: string;
  /** 1-based line where its row starts (1 for a folder's files). */
  line: number;
}

/** Options shared by every reader. */
export interface ReaderOptions {
  /**
   * How labels become ids: a `LabelSpec` (default `'build'`: first appearance), or a `LabelMap` to
   * share one mapping between files (build it on train, reuse it on valid and test).
   */
  labels?: LabelSpec | LabelMap;
  /** `'throw'` (default): the first malformed row fails the read. `'skip'`: skip and count it. */
  onError?: 'skip' | 'throw';
  /** How many rejected rows the report keeps in `errors` (all are counted). Default 100. */
  maxErrors?: number;
}

/** Options of the column-based readers (CSV, TSV, JSONL). */
export interface ColumnReaderOptions extends ReaderOptions {
  /** The text column: a header name (or JSON key), or a 0-based index for header-less CSV. */
  textColumn: string | number;
  /** The label column, likewise. */
  labelColumn: string | number;
}

/** Every key of `ReaderOptions`, for the readers' run-time option checks. */
export const READER_KEYS: { [K in keyof Required<ReaderOptions>]: true } = {
  labels: true,
  onError: true,
  maxErrors: true,
};
/**
 * Names from a file (column names, JSON keys) as a message lists them: at most 20, each cut at 40
 * characters, JSON-quoted when `quoted`, so a hostile header cannot make a message megabytes long.
 */
export function formatNames(names: readonly string[], quoted: boolean): string {
  const shown = names
    .slice(0, 20)
    .map((n) => (quoted ? formatValue(n, 40) : n.length > 40 ? `${n.slice(0, 39)}…` : n));
  return `[${shown.join(', ')}${names.length > 20 ? `, … (${names.length} in all)` : ''}]`;
}

/** Handed to a reader's row loop: turns rows into examples and rejects bad ones per `onError`. */
export class RowSink {
  readonly report: ReadReport = { rows: 0, examples: 0, skipped: 0, skippedByReason: {}, errors: [] };

  constructor(
    readonly op: string,
    readonly file: string,
    readonly labels: LabelMap,
    readonly onError: 'skip' | 'throw',
    readonly maxErrors: number,
  ) {}

  /** Rejects a row: throws a FormatError (`'throw'`) or records it and returns null (`'skip'`). */
  reject(line: number, reason: RowErrorReason, expected: string, actual: string, file = this.file): null {
    const error = new FormatError(
      this.op,
      `${expected} at ${file}:${line}`,
      actual,
      this.onError === 'throw' ? "Pass onError: 'skip' to skip and count malformed rows" : undefined,
    );
    if (this.onError === 'throw') throw error;
    const r = this.report;
    r.skipped++;
    r.skippedByReason[reason] = (r.skippedByReason[reason] ?? 0) + 1;
    if (r.errors.length < this.maxErrors) r.errors.push({ file, line, reason, message: error.message });
    return null;
  }

  /** Checks a row's text and label; returns the example, or null when the row was skipped. */
  accept(line: number, text: string, rawLabel: unknown, file = this.file): LocatedExample | null {
    if (text.trim() === '') return this.reject(line, 'empty text', 'non-empty text', formatValue(text), file);
    const label =
      typeof rawLabel === 'string' || typeof rawLabel === 'number' || typeof rawLabel === 'boolean'
        ? this.labels.encode(rawLabel)
        : undefined;
    if (label === undefined) {
      const actual = formatValue(rawLabel);
      return this.reject(line, 'unknown label', `a label (${this.labels.describe()})`, actual, file);
    }
    this.report.examples++;
    return { text, label, file, line };
  }
}

/** A Node.js error of a read as a typed error naming the file; other errors unchanged. */
function readError(op: string, file: string, error: unknown): unknown {
  if (error instanceof SeqlabError) return error;
  const e = error as { code?: unknown; path?: unknown } | null;
  let typed: SeqlabError;
  if (isStringTooLong(error)) {
    typed = new FormatError(
      op,
      `text fields of at most 2^29 - 24 characters (the longest JavaScript string) in ${file}`,
      'a longer one',
      'Split the text, or drop the row',
    );
  } else if (typeof e?.code === 'string' && e.code.startsWith('E')) {
    typed = new FileError(op, 'a readable file', typeof e.path === 'string' ? e.path : file, e.code);
  } else {
    return error;
  }
  typed.cause = error;
  return typed;
}

/**
 * A file (or folder) read lazily, one pass per iteration: `for await (const ex of source)`. Each
 * pass re-reads from disk and refreshes `report`; the label map persists across passes.
 *
 * @example
 * ```ts
 * const train = readJsonl('train.jsonl', { textColumn: 'text', labelColumn: 'label', labels: 'integer' });
 * const examples = await train.toArray();
 * train.report; // { rows: 6911, examples: 6911, skipped: 0, … }
 * ```
 */
export class TextSource implements AsyncIterable<LocatedExample> {
  /** The label mapping (built ones grow as the file is read). */
  readonly labels: LabelMap;
  /** The last (or current) pass's counts. */
  report: ReadReport;
  #op: string;
  #file: string;
  #onError: 'skip' | 'throw';
  #maxErrors: number;
  #rows: (sink: RowSink) => AsyncGenerator<LocatedExample>;

  /** @internal Readers make these; use `readCsv`, `readTsv`, `readJsonl` or `readFolder`. */
  constructor(
    op: string,
    file: string,
    options: ReaderOptions,
    rows: (sink: RowSink) => AsyncGenerator<LocatedExample>,
  ) {
    const onError = options.onError ?? 'throw';
    if (onError !== 'skip' && onError !== 'throw') {
      throw new ConfigError(op, "onError 'skip' or 'throw'", JSON.stringify(onError));
    }
    const maxErrors = options.maxErrors ?? 100;
    if (!Number.isInteger(maxErrors) || maxErrors < 0) {
      throw new ConfigError(op, 'maxErrors a non-negative integer', `${maxErrors}`);
    }
    this.labels =
      options.labels instanceof LabelMap ? options.labels : new LabelMap(options.labels ?? 'build');
    this.#op = op;
    this.#file = file;
    this.#onError = onError;
    this.#maxErrors = maxErrors;
    this.#rows = rows;
    this.report = new RowSink(op, file, this.labels, onError, maxErrors).report;
  }

  /**
   * One pass over the file. A file that cannot be read is a FileError naming it (Node's own error
   * for a directory, `EISDIR`, leaves the path out); a field too long for a JavaScript string is a
   * FormatError saying so.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<LocatedExample> {
    const sink = new RowSink(this.#op, this.#file, this.labels, this.#onError, this.#maxErrors);
    this.report = sink.report;
    try {
      yield* this.#rows(sink);
    } catch (error) {
      throw readError(this.#op, this.#file, error);
    }
  }

  /** Reads every example into an array. */
  async toArray(): Promise<LocatedExample[]> {
    const out: LocatedExample[] = [];
    for await (const example of this) out.push(example);
    return out;
  }
}
