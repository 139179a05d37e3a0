import { LabelMap, type LabelSpec, type TextExample } from '@seqlab/data';
import { ConfigError, FormatError } from '@seqlab/tensor';

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
    if (text.trim() === '')
      return this.reject(line, 'empty text', 'non-empty text', JSON.stringify(text), file);
    const label =
      typeof rawLabel === 'string' || typeof rawLabel === 'number' || typeof rawLabel === 'boolean'
        ? this.labels.encode(rawLabel)
        : undefined;
    if (label === undefined) {
      const actual = JSON.stringify(rawLabel) ?? 'undefined';
      return this.reject(line, 'unknown label', `a label (${this.labels.describe()})`, actual, file);
    }
    this.report.examples++;
    return { text, label, file, line };
  }
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

  /** One pass over the file. */
  async *[Symbol.asyncIterator](): AsyncGenerator<LocatedExample> {
    const sink = new RowSink(this.#op, this.#file, this.labels, this.#onError, this.#maxErrors);
    this.report = sink.report;
    yield* this.#rows(sink);
  }

  /** Reads every example into an array. */
  async toArray(): Promise<LocatedExample[]> {
    const out: LocatedExample[] = [];
    for await (const example of this) out.push(example);
    return out;
  }
}
