import { createReadStream } from 'node:fs';
import {
  ConfigError,
  checkOptions,
  formatValue,
  jsonDepth,
  MAX_JSON_DEPTH,
  optionKeys,
} from '@seqlab/tensor';
import {
  type ColumnReaderOptions,
  formatNames,
  type LocatedExample,
  READER_KEYS,
  type RowSink,
  TextSource,
} from './source';
import { decodeUtf8 } from './utf8';

/** Options of `readJsonl`: `textColumn` and `labelColumn` name keys of each object. */
export interface JsonlReaderOptions extends ColumnReaderOptions {
  textColumn: string;
  labelColumn: string;
}

/**
 * Streams a JSON Lines file: one JSON object per line (`{"text": "…", "label": 1}`), read in chunks
 * and split into lines on raw bytes, so the file is never loaded whole and each line's UTF-8 is
 * checked before decoding. Blank lines are ignored (as the PyTorch reference's reader does), `\r\n`
 * line ends are accepted. Labels may be strings, numbers or booleans (compared as `String(value)`;
 * use `labels: 'integer'` for 0/1 labels so 1 stays 1).
 *
 * Malformed lines — invalid UTF-8, invalid JSON or not an object, a missing or non-string text,
 * empty text, a missing or unknown label — fail the read with a FormatError naming file and line
 * (`onError: 'throw'`, default) or are skipped and counted in `report` (`onError: 'skip'`).
 *
 * @example
 * ```ts
 * const valid = readJsonl('valid.jsonl', { textColumn: 'text', labelColumn: 'label', labels: 'integer' });
 * for await (const { text, label, line } of valid) { … }
 * ```
 */
export function readJsonl(path: string, options: JsonlReaderOptions): TextSource {
  const op = 'readJsonl';
  checkOptions(
    op,
    options,
    optionKeys<JsonlReaderOptions>({ ...READER_KEYS, textColumn: true, labelColumn: true }),
  );
  for (const name of ['textColumn', 'labelColumn'] as const) {
    if (typeof options[name] !== 'string') {
      throw new ConfigError(op, `${name} a key name`, JSON.stringify(options[name]));
    }
  }
  return new TextSource(op, path, options, (sink) => jsonlRows(path, options, sink));
}

async function* jsonlRows(
  path: string,
  options: JsonlReaderOptions,
  sink: RowSink,
): AsyncGenerator<LocatedExample> {
  const stream = createReadStream(path);
  let carry: Uint8Array[] = [];
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        carry.push(chunk.subarray(start, nl));
        start = nl + 1;
        const bytes = carry.length === 1 ? carry[0] : Buffer.concat(carry);
        carry = [];
        const example = parseLine(sink, options, bytes, ++line);
        if (example) yield example;
      }
      if (start < chunk.length) carry.push(chunk.subarray(start));
    }
    if (carry.length > 0) {
      const example = parseLine(sink, options, Buffer.concat(carry), ++line);
      if (example) yield example;
    }
  } finally {
    stream.destroy();
  }
}

function parseLine(
  sink: RowSink,
  options: JsonlReaderOptions,
  raw: Uint8Array,
  line: number,
): LocatedExample | null {
  let bytes = raw;
  if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) return null; // a blank line
  sink.report.rows++;
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') {
    const byte = text.byte.toString(16).padStart(2, '0');
    return sink.reject(
      line,
      'invalid UTF-8',
      'valid UTF-8',
      `byte 0x${byte} at byte ${text.offset} of the line`,
    );
  }
  // Before JSON.parse: messages and checks below walk the value (see checkJsonDepth).
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    return sink.reject(
      line,
      'invalid JSON',
      `a JSON object nested at most ${MAX_JSON_DEPTH} deep`,
      `more than ${MAX_JSON_DEPTH} levels of arrays or objects`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return sink.reject(line, 'invalid JSON', 'a JSON object', (err as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return sink.reject(
      line,
      'invalid JSON',
      'a JSON object',
      value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value,
    );
  }
  const row = value as Record<string, unknown>;
  const keys = `keys ${formatNames(Object.keys(row), false)}`;
  if (!Object.hasOwn(row, options.textColumn)) {
    return sink.reject(line, 'missing column', `a ${JSON.stringify(options.textColumn)} key`, keys);
  }
  if (!Object.hasOwn(row, options.labelColumn)) {
    return sink.reject(line, 'missing column', `a ${JSON.stringify(options.labelColumn)} key`, keys);
  }
  const body = row[options.textColumn];
  if (typeof body !== 'string') {
    return sink.reject(
      line,
      'missing column',
      `a string ${JSON.stringify(options.textColumn)}`,
      formatValue(body),
    );
  }
  return sink.accept(line, body, row[options.labelColumn]);
}
