import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { ConfigError, checkOptions, FormatError, optionKeys } from '@seqlab/tensor';
import { type CsvError, type Info, type InfoRecord, type Options, parse } from 'csv-parse';
import {
  type ColumnReaderOptions,
  formatNames,
  type LocatedExample,
  READER_KEYS,
  type RowSink,
  TextSource,
} from './source';
import { decodeUtf8 } from './utf8';

/** Options of `readCsv` and `readTsv`. */
export interface CsvReaderOptions extends ColumnReaderOptions {
  /** Field delimiter (one character). Default `,` (`readTsv`: a tab). */
  delimiter?: string;
  /** Quote character. Default `"`; inside a quoted field it is written twice (RFC 4180). */
  quote?: string;
  /** The first record names the columns (default true). Without one, columns are 0-based indices. */
  header?: boolean;
}

const QUOTING: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'a quote followed by more text in a quoted field (write "" for a quote)',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field that is never closed',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
};

/**
 * Streams a CSV file (RFC 4180: quoted fields may hold delimiters, newlines and doubled quotes),
 * parsed by csv-parse's streaming parser on raw bytes, so the file is never loaded whole and
 * invalid UTF-8 is caught field by field. Yields `{ text, label, file, line }`.
 *
 * Malformed rows — broken quoting, a field count different from the header's, a missing column,
 * invalid UTF-8, empty text, an unknown label — fail the read with a FormatError naming file and
 * line (`onError: 'throw'`, default) or are skipped and counted in `report` (`onError: 'skip'`).
 * Records end at CRLF or LF, mixed freely (as `readJsonl`'s lines). Blank lines are ignored. A
 * header without the named columns always throws. Broken quoting is ambiguous by nature: after a
 * stray quote csv-parse may stay inside a quoted field and absorb the next lines into the rejected
 * record until a quote closes it (they are counted as one bad row).
 *
 * @example
 * ```ts
 * const source = readCsv('reviews.csv', { textColumn: 'review', labelColumn: 'sentiment', labels: ['negative', 'positive'], onError: 'skip' });
 * for await (const { text, label } of source) { … }
 * source.report.skipped; // rows skipped
 * ```
 */
export function readCsv(path: string, options: CsvReaderOptions): TextSource {
  return csvSource('readCsv', path, options, ',');
}

/** `readCsv` with a tab delimiter (quoting still per RFC 4180). */
export function readTsv(path: string, options: CsvReaderOptions): TextSource {
  return csvSource('readTsv', path, options, '\t');
}

const CSV_KEYS = optionKeys<CsvReaderOptions>({
  ...READER_KEYS,
  textColumn: true,
  labelColumn: true,
  delimiter: true,
  quote: true,
  header: true,
});

function csvSource(op: string, path: string, options: CsvReaderOptions, delimiter: string): TextSource {
  checkOptions(op, options, CSV_KEYS);
  const config = {
    delimiter: options.delimiter ?? delimiter,
    quote: options.quote ?? '"',
    header: options.header ?? true,
  };
  for (const name of ['delimiter', 'quote'] as const) {
    if (typeof config[name] !== 'string' || config[name].length !== 1) {
      throw new ConfigError(op, `${name} a single character`, JSON.stringify(config[name]));
    }
  }
  for (const name of ['textColumn', 'labelColumn'] as const) {
    const column = options[name];
    const ok = config.header ? typeof column === 'string' || isIndex(column) : isIndex(column);
    if (!ok) {
      throw new ConfigError(
        op,
        `${name} a column ${config.header ? 'name or ' : ''}index (header: ${config.header})`,
        JSON.stringify(column),
      );
    }
  }
  return new TextSource(op, path, options, (sink) => csvRows(path, options, config, sink));
}

/** A parsed record, or a rejected one, with the line it starts on. */
interface Parsed {
  line: number;
  fields: Buffer[] | null;
  error: CsvError | null;
}

async function* csvRows(
  path: string,
  options: CsvReaderOptions,
  config: { delimiter: string; quote: string; header: boolean },
  sink: RowSink,
): AsyncGenerator<LocatedExample> {
  // Start lines are counted in parse order, inside the parser's callbacks: a record starts after
  // the previous record (kept or skipped) and the blank lines skipped since.
  let lastLine = 0;
  let lastEmpty = 0;
  const startLine = (lines: number, emptyLines: number): number => {
    const line = lastLine + 1 + (emptyLines - lastEmpty);
    lastLine = lines;
    lastEmpty = emptyLines;
    return line;
  };
  // Rejected records are queued in parse order and handed over with the next good record.
  let skipped: Parsed[] = [];
  const parserOptions: Options<Parsed[], Buffer[]> = {
    encoding: null, // fields arrive as raw bytes: UTF-8 is checked here, not silently replaced
    bom: false, // stripped below: csv-parse's BOM detection would switch it back to strings
    delimiter: config.delimiter,
    quote: config.quote,
    escape: config.quote,
    // Any mix of CRLF and LF ends a record, as in readJsonl. Left to itself csv-parse takes the
    // delimiter from the first line: after an LF header, CRLF rows would keep a \r in their last
    // field (a label "pos\r"); after a CRLF header, LF rows would run together.
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      if (err) {
        const info = err as unknown as Info;
        skipped.push({ line: startLine(info.lines, info.empty_lines), fields: null, error: err });
      }
      return undefined;
    },
    on_record: (record: Buffer[], context: InfoRecord) => {
      const parsed: Parsed[] = [
        ...skipped,
        { line: startLine(context.lines, context.empty_lines), fields: record, error: null },
      ];
      skipped = [];
      return parsed;
    },
  };
  // csv-parse types `on_record` records as strings; with `encoding: null` they are Buffers.
  const parser = parse(parserOptions as unknown as Options);
  const file = createReadStream(path);
  pipeline(file, stripBom, parser, () => {}); // errors reach the loop below through the parser
  let width = -1;
  let textIndex = isIndex(options.textColumn) ? options.textColumn : -1;
  let labelIndex = isIndex(options.labelColumn) ? options.labelColumn : -1;
  const handle = (item: Parsed): LocatedExample | null => {
    const { line, fields: record, error } = item;
    const isHeader = config.header && width < 0;
    if (!isHeader) sink.report.rows++;
    if (error || !record) {
      const code = error?.code ?? '';
      const quoting = QUOTING[code];
      if (isHeader)
        throw new FormatError(sink.op, `a well-formed header at ${sink.file}:${line}`, quoting ?? code);
      if (quoting) return sink.reject(line, 'broken quoting', 'RFC 4180 quoting', quoting);
      return sink.reject(line, 'malformed CSV', 'a well-formed CSV record', `${code}: ${error?.message}`);
    }
    const fields: string[] = [];
    for (const [i, bytes] of record.entries()) {
      const decoded = decodeUtf8(bytes);
      if (typeof decoded !== 'string') {
        const where = `byte 0x${decoded.byte.toString(16).padStart(2, '0')} at byte ${decoded.offset} of field ${i + 1}`;
        if (isHeader) throw new FormatError(sink.op, `a valid UTF-8 header at ${sink.file}:${line}`, where);
        return sink.reject(line, 'invalid UTF-8', 'valid UTF-8', where);
      }
      fields.push(decoded);
    }
    if (isHeader) {
      width = fields.length;
      textIndex = columnIndex(sink, fields, options.textColumn);
      labelIndex = columnIndex(sink, fields, options.labelColumn);
      return null;
    }
    if (config.header && fields.length !== width) {
      return sink.reject(line, 'wrong field count', `${width} fields (as the header)`, `${fields.length}`);
    }
    const needed = Math.max(textIndex, labelIndex);
    if (fields.length <= needed) {
      const got = `${fields.length} field${fields.length === 1 ? '' : 's'}`;
      return sink.reject(line, 'missing column', `a column ${needed + 1}`, got);
    }
    return sink.accept(line, fields[textIndex], fields[labelIndex]);
  };
  try {
    for await (const items of parser as AsyncIterable<Parsed[]>) {
      for (const item of items) {
        const example = handle(item);
        if (example) yield example;
      }
    }
    for (const item of skipped) handle(item);
  } finally {
    file.destroy();
    parser.destroy();
  }
}

/** Drops a UTF-8 byte order mark at the start of the byte stream. */
async function* stripBom(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let started = false;
  for await (const chunk of source) {
    if (started) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && head.every((b, i) => b === BOM[i])) continue;
    started = true;
    yield BOM.every((b, i) => head[i] === b) ? head.subarray(3) : head;
  }
  if (!started && head.length > 0) yield head; // a partial BOM is just bytes
}

const BOM = [0xef, 0xbb, 0xbf];

function columnIndex(sink: RowSink, header: string[], column: string | number): number {
  const index = typeof column === 'number' ? column : header.indexOf(column);
  if (index < 0 || index >= header.length) {
    throw new FormatError(
      sink.op,
      `a column ${JSON.stringify(column)} in the header of ${sink.file}`,
      formatNames(header, true),
    );
  }
  return index;
}

function isIndex(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}
