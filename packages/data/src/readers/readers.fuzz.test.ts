// Fuzzing the CSV, TSV and JSONL readers (fast-check): a seeded 200-case sample per property in
// `pnpm test`, 10,000 cases each with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md).
// Files are built structure-aware — records of fields holding delimiters, quotes (doubled, stray or
// unclosed), CR, LF and CRLF, unicode and lone surrogates, invalid UTF-8, a BOM, blank lines, extra
// or missing fields; JSON lines with nested values, `__proto__` and `constructor` keys, huge
// numbers, wrong types, broken JSON — besides random bytes. Every read must end in examples or a
// FormatError naming file and line, with `onError: 'throw'` and `'skip'`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelSpec } from '@seqlab/data';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { type LocatedExample, readCsv, readJsonl, readTsv, type TextSource } from '../node';

const fuzz = fuzzSettings();

const dir = mkdtempSync(join(tmpdir(), 'seqlab-fuzz-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf8 = new TextEncoder();

/** Text pieces that stress a line-based, quoted format. */
const fieldText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  fc.constantFrom(
    '',
    ' ',
    'pos',
    'neg',
    '0',
    '1',
    '1e400',
    '-1',
    '"',
    '""',
    ',',
    '\t',
    '\r',
    '\n',
    '\r\n',
    'a"b',
    '__proto__',
    'constructor',
    '\ufeff',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({
    unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((u) => String.fromCharCode(u)),
    maxLength: 3,
  }),
);

/** One field as written: bare, properly quoted, or broken quoting. */
const field = fc
  .tuple(fieldText, fc.constantFrom('bare', 'bare', 'quoted', 'stray', 'unclosed'))
  .map(([text, style]) => {
    if (style === 'quoted') return `"${text.replaceAll('"', '""')}"`;
    if (style === 'stray') return `${text}"${text}`;
    if (style === 'unclosed') return `"${text}`;
    return text;
  });

const lineEnd = fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n', '\r\n\r\n', ' \n');

/** Non-blank text, and labels that some of the label specs below know. */
const goodText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('good movie', 'bad, "really"', 'line\nbreak', 'é 👍🏽'),
);
const goodLabel = fc.constantFrom('pos', 'neg', '0', '1');

/** A well-formed record (text, label), quoted whenever it must be. */
function goodRecord(delimiter: string): fc.Arbitrary<string[]> {
  const quote = (t: string) =>
    /["\r\n]/.test(t) || t.includes(delimiter) || t.trim() !== t ? `"${t.replaceAll('"', '""')}"` : t;
  return fc.tuple(goodText, goodLabel).map(([text, label]) => [quote(text), label]);
}

/** A delimited file: an optional header, records of 0–4 fields, mixed line ends, optional BOM and bad bytes. */
function delimited(delimiter: string): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(
        `text${delimiter}label`,
        `label${delimiter}text`,
        `text${delimiter}label${delimiter}extra`,
        'text',
        '',
      ),
      fc.array(
        fc.tuple(
          fc.oneof({ weight: 12, arbitrary: goodRecord(delimiter) }, fc.array(field, { maxLength: 4 })),
          lineEnd,
        ),
        { minLength: 1, maxLength: 8 },
      ),
      fc.boolean(),
      fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 3 }))),
    )
    .map(([header, records, bom, bad]) => {
      const body = `${header}\n${records.map(([fields, end]) => fields.join(delimiter) + end).join('')}`;
      return withBytes(utf8.encode(bom ? `\ufeff${body}` : body), bad);
    });
}

/** Inserts raw bytes (often invalid UTF-8) at a position. */
function withBytes(bytes: Uint8Array, bad: [number, Uint8Array] | null): Uint8Array {
  if (!bad) return bytes;
  const at = bad[0] % (bytes.length + 1);
  const out = new Uint8Array(bytes.length + bad[1].length);
  out.set(bytes.subarray(0, at));
  out.set(bad[1], at);
  out.set(bytes.subarray(at), at + bad[1].length);
  return out;
}

const labelValue = fc.oneof(
  fc.constantFrom(0, 1, 2, -1, 1.5, 1e300, 2 ** 53, 'pos', 'neg', '1', true, null, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One JSONL line: an object with text and label (keys in any order, extras, wrong types) or not. */
const jsonLine = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .tuple(goodText, fc.constantFrom<unknown>(0, 1, 'pos', 'neg'))
      .map(([text, label]) => JSON.stringify({ text, label })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.oneof(fieldText, fc.jsonValue({ maxDepth: 2 })),
        labelValue,
        fc.dictionary(
          fc.oneof(fieldText, fc.constantFrom('__proto__', 'constructor', 'text', 'label')),
          fc.jsonValue({ maxDepth: 4 }),
          { maxKeys: 3 },
        ),
        fc.boolean(),
      )
      .map(([text, label, extra, labelFirst]) => {
        const pairs: [string, unknown][] = [...Object.entries(extra), ['text', text], ['label', label]];
        if (labelFirst) pairs.reverse();
        return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
      }),
  },
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom(
    '{"text": "a", "label": 1',
    '{"text": "a" "label": 1}',
    '{',
    '}',
    '[',
    'null',
    '"x"',
    '{"__proto__": {"text": "x", "label": 1}}',
    '{"text": "a", "label": 1, "text": 2}',
    '{"text":"\\ud800","label":0}',
  ),
  fc.string({ maxLength: 12 }),
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: 1_000, max: 6_000 })
      .map((n) => `{"text":"a","label":${'['.repeat(n)}${']'.repeat(n)}}`),
  },
);

const jsonl = fc
  .tuple(
    fc.array(fc.tuple(jsonLine, lineEnd), { minLength: 1, maxLength: 8 }),
    fc.boolean(),
    fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 3 }))),
  )
  .map(([lines, bom, bad]) => {
    const body = lines.map(([line, end]) => line + end).join('');
    return withBytes(utf8.encode(bom ? `\ufeff${body}` : body), bad);
  });

const anyBytes = fc.uint8Array({ maxLength: 128 });

/** How the file is read: which labels, whether malformed rows throw or are skipped. */
const readOptions = fc.record({
  labels: fc.constantFrom<LabelSpec>('build', 'build', 'integer', ['neg', 'pos'], { neg: 0, pos: 1 }),
  onError: fc.constantFrom<'throw' | 'skip'>('throw', 'skip', 'skip'),
  maxErrors: fc.constantFrom(0, 1, 100),
});

let fileNumber = 0;

/** Writes the bytes to a fresh file, reads it whole, checks the case. */
async function readCase(bytes: Uint8Array, open: (path: string) => TextSource): Promise<void> {
  const path = join(dir, `case-${fileNumber++ % 4}`);
  writeFileSync(path, bytes);
  await checkCaseAsync(fuzz, () => open(path).toArray(), {
    inputSize: bytes.length,
    // Every example's text comes out of the file: together they are never longer than it.
    resultBytes: (examples: LocatedExample[]) => examples.reduce((n, e) => n + e.text.length, 0),
    maxResultBytes: bytes.length,
  });
}

describe('fuzzing the readers', () => {
  test('readCsv: examples or a FormatError, text no longer than the file, Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 5, arbitrary: delimited(',') }, anyBytes),
        readOptions,
        fc.boolean(),
        async (bytes, options, header) => {
          const columns = header
            ? { textColumn: 'text', labelColumn: 'label' }
            : { textColumn: 0, labelColumn: 1 };
          await readCase(bytes, (path) => readCsv(path, { ...options, ...columns, header }));
        },
      ),
      fuzz.params,
    );
  });

  test('readTsv: likewise', { timeout: fuzz.testTimeout }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 5, arbitrary: delimited('\t') }, anyBytes),
        readOptions,
        async (bytes, options) => {
          await readCase(bytes, (path) =>
            readTsv(path, { ...options, textColumn: 'text', labelColumn: 'label' }),
          );
        },
      ),
      fuzz.params,
    );
  });

  test('readJsonl: likewise, whatever the column names (constructor, __proto__)', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 5, arbitrary: jsonl }, anyBytes),
        readOptions,
        fc.constantFrom('text', 'constructor', '__proto__', 'toString'),
        async (bytes, options, textColumn) => {
          await readCase(bytes, (path) => readJsonl(path, { ...options, textColumn, labelColumn: 'label' }));
        },
      ),
      fuzz.params,
    );
  });
});
