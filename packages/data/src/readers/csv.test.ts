import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabelMap } from '@seqlab/data';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, readJsonl, readTsv } from '../node';

const dir = mkdtempSync(join(tmpdir(), 'seqlab-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file (strings as UTF-8, numbers as raw bytes) and returns its path. */
function file(name: string, ...parts: (string | number[])[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))),
  );
  return path;
}

const cols = { textColumn: 'text', labelColumn: 'label' } as const;

describe('readCsv on well-formed files', () => {
  it('parses RFC 4180 quoting: delimiters, newlines and doubled quotes inside fields', async () => {
    const path = file(
      'quoted.csv',
      'id,text,label\n',
      '1,"Hello, world",pos\n',
      '2,"two\nlines",neg\n',
      '3,"she said ""hi""",pos\n',
      '\n',
      '4,plain,neg\n',
    );
    const source = readCsv(path, { ...cols, labels: ['neg', 'pos'] });
    const rows = await source.toArray();
    expect(rows.map((r) => [r.text, r.label, r.line])).toEqual([
      ['Hello, world', 1, 2],
      ['two\nlines', 0, 3],
      ['she said "hi"', 1, 5],
      ['plain', 0, 7],
    ]);
    expect(rows[0].file).toBe(path);
    expect(source.report).toMatchObject({ rows: 4, examples: 4, skipped: 0, errors: [] });
  });

  it('strips a BOM, accepts CRLF and keeps UTF-8 text intact', async () => {
    const path = file('bom.csv', [0xef, 0xbb, 0xbf], 'text,label\r\n"Crème brûlée 👍🏽",1\r\nnaïve,0\r\n');
    const rows = await readCsv(path, { ...cols, labels: 'integer' }).toArray();
    expect(rows.map((r) => [r.text, r.label])).toEqual([
      ['Crème brûlée 👍🏽', 1],
      ['naïve', 0],
    ]);
  });

  it.each([
    ['readCsv', readCsv, ','],
    ['readTsv', readTsv, '\t'],
  ] as const)(
    '%s: an LF header with CRLF rows (and mixed line ends) keeps no \\r, as readJsonl',
    async (_, read, sep) => {
      // csv-parse would take the record delimiter from the first line (LF) and keep the rows' \r.
      const rows = ['a', 'b', 'c'].map((t, i) => `${t}${sep}${i === 1 ? 'neg' : 'pos'}`);
      const path = file(
        `mixed-${sep === ',' ? 'c' : 't'}.sv`,
        `text${sep}label\n`,
        `${rows[0]}\r\n`,
        `${rows[1]}\r\n`,
        `"multi\nline"${sep}pos\r\n`,
        `${rows[2]}\r\n`,
      );
      const source = read(path, cols);
      const got = await source.toArray();
      expect(got.map((r) => [r.text, r.label, r.line])).toEqual([
        ['a', 0, 2],
        ['b', 1, 3],
        ['multi\nline', 0, 4], // inside quotes a line end is text
        ['c', 0, 6],
      ]);
      expect(source.labels.names).toEqual(['pos', 'neg']);
      const jsonl = file(
        'same.jsonl',
        ...[
          ['a', 'pos'],
          ['b', 'neg'],
        ].map(([t, l]) => `{"text":"${t}","label":"${l}"}\r\n`),
      );
      const fromJsonl = readJsonl(jsonl, cols);
      expect((await fromJsonl.toArray()).map((r) => r.label)).toEqual([0, 1]);
      expect(fromJsonl.labels.names).toEqual(['pos', 'neg']);
    },
  );

  it('a CRLF header with LF rows keeps no \\r either', async () => {
    const path = file('crlf-head.csv', 'text,label\r\n', 'a,pos\n', 'b,neg\r\n');
    const source = readCsv(path, cols);
    expect((await source.toArray()).map((r) => r.text)).toEqual(['a', 'b']);
    expect(source.labels.names).toEqual(['pos', 'neg']);
  });

  it('reads TSV with quoted tabs, and header-less files by column index', async () => {
    const tsv = file('data.tsv', 'label\ttext\n', 'pos\t"a\ttab"\n', 'neg\tno tab\n');
    expect((await readTsv(tsv, cols).toArray()).map((r) => r.text)).toEqual(['a\ttab', 'no tab']);
    const bare = file('bare.csv', 'great,1\nawful,0\n');
    const rows = await readCsv(bare, {
      textColumn: 0,
      labelColumn: 1,
      header: false,
      labels: 'integer',
    }).toArray();
    expect(rows.map((r) => [r.text, r.label, r.line])).toEqual([
      ['great', 1, 1],
      ['awful', 0, 2],
    ]);
  });

  it('builds labels by first appearance and shares a LabelMap across files', async () => {
    const labels = new LabelMap();
    const a = file('a.csv', 'text,label\nx,spam\ny,ham\n');
    const b = file('b.csv', 'text,label\nz,ham\nw,eggs\n');
    expect((await readCsv(a, { ...cols, labels }).toArray()).map((r) => r.label)).toEqual([0, 1]);
    expect((await readCsv(b, { ...cols, labels }).toArray()).map((r) => r.label)).toEqual([1, 2]);
    expect(labels.names).toEqual(['spam', 'ham', 'eggs']);
  });

  it('re-reads the file on every pass and stops early without leaking', async () => {
    const path = file('passes.csv', 'text,label\n', ...Array.from({ length: 50 }, (_, i) => `t${i},a\n`));
    const source = readCsv(path, cols);
    for await (const r of source) {
      expect(r.text).toBe('t0');
      break;
    }
    expect((await source.toArray()).length).toBe(50);
    expect((await source.toArray()).length).toBe(50);
  });

  it.skipIf(process.platform === 'win32')(
    'streams: yields the first row before the file ends (a FIFO)',
    async () => {
      const fifo = join(dir, 'pipe.csv');
      execFileSync('mkfifo', [fifo]);
      const writer = createWriteStream(fifo);
      // csv-parse emits a record once it sees the start of the next one (it looks ahead for \r\n).
      writer.write('text,label\nfirst,a\nsec');
      const it = readCsv(fifo, cols)[Symbol.asyncIterator]();
      // A reader that loaded the whole file would wait for the writer to close: it never does here.
      const first = await it.next();
      expect(first.value?.text).toBe('first');
      writer.end('ond,b\n');
      expect((await it.next()).value?.text).toBe('second');
      expect((await it.next()).done).toBe(true);
    },
    10_000,
  );
});

describe('readCsv on malformed rows', () => {
  const messy = () =>
    file(
      'messy.csv',
      'text,label\n',
      'good one,pos\n', // 2
      'short row\n', // 3: wrong field count
      'too,many,fields\n', // 4: wrong field count
      '"",pos\n', // 5: empty text
      'fine,meh\n', // 6: unknown label
      'bad ',
      [0xff, 0xfe],
      ' bytes,neg\n', // 7: invalid UTF-8
      'b"c,neg\n', // 8: a quote inside an unquoted field
      'good two,neg\n', // 9
      '"never closed,pos\n', // 10: quote not closed
    );

  it("skips and counts them with onError: 'skip', reporting file and line", async () => {
    const path = messy();
    const source = readCsv(path, { ...cols, labels: ['neg', 'pos'], onError: 'skip' });
    const rows = await source.toArray();
    expect(rows.map((r) => [r.text, r.line])).toEqual([
      ['good one', 2],
      ['good two', 9],
    ]);
    const { report } = source;
    expect(report).toMatchObject({ rows: 9, examples: 2, skipped: 7 });
    expect(report.skippedByReason).toEqual({
      'wrong field count': 2,
      'empty text': 1,
      'unknown label': 1,
      'invalid UTF-8': 1,
      'broken quoting': 2,
    });
    expect(report.errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'wrong field count'],
      [4, 'wrong field count'],
      [5, 'empty text'],
      [6, 'unknown label'],
      [7, 'invalid UTF-8'],
      [8, 'broken quoting'],
      [10, 'broken quoting'],
    ]);
    expect(report.errors[4].message).toBe(
      `readCsv: expected valid UTF-8 at ${path}:7, got byte 0xff at byte 4 of field 1`,
    );
    expect(report.errors[3].message).toBe(
      `readCsv: expected a label (one of "neg", "pos") at ${path}:6, got "meh"`,
    );
  });

  it('keeps only maxErrors messages but counts every row', async () => {
    const source = readCsv(messy(), { ...cols, labels: ['neg', 'pos'], onError: 'skip', maxErrors: 2 });
    await source.toArray();
    expect(source.report.errors.length).toBe(2);
    expect(source.report.skipped).toBe(7);
  });

  const single: [string, string | (string | number[])[], RegExp][] = [
    [
      'a wrong field count',
      'x\n',
      /expected 2 fields \(as the header\) at .*one\.csv:2, got 1\. Pass onError: 'skip'/,
    ],
    ['empty text', '"   ",a\n', /expected non-empty text at .*:2, got " {3}"/],
    [
      'invalid UTF-8',
      ['caf', [0xe9], ',a\n'],
      /expected valid UTF-8 at .*:2, got byte 0xe9 at byte 3 of field 1/,
    ],
    ['a stray quote', 'a"b,a\n', /expected RFC 4180 quoting at .*:2, got a quote inside an unquoted field/],
    ['a quote then text', '"a"b,a\n', /expected RFC 4180 quoting at .*:2, got a quote followed by more text/],
    [
      'an unclosed quote',
      '"abc,a\n',
      /expected RFC 4180 quoting at .*:2, got a quoted field that is never closed/,
    ],
  ];
  it.each(single)("fails the read on %s with onError: 'throw' (default)", async (_, row, message) => {
    const path = file('one.csv', 'text,label\n', ...(typeof row === 'string' ? [row] : row));
    await expect(readCsv(path, cols).toArray()).rejects.toThrow(FormatError);
    await expect(readCsv(path, cols).toArray()).rejects.toThrow(message);
  });

  it('reports a missing column in a header-less file', async () => {
    const path = file('bare-short.csv', 'only text\n');
    await expect(readCsv(path, { textColumn: 0, labelColumn: 1, header: false }).toArray()).rejects.toThrow(
      /readCsv: expected a column 2 at .*:1, got 1 field\./,
    );
  });

  it('always fails on a header without the named columns, even when skipping', async () => {
    const path = file('header.csv', 'body,label\nx,a\n');
    await expect(readCsv(path, { ...cols, onError: 'skip' }).toArray()).rejects.toThrow(
      /readCsv: expected a column "text" in the header of .*header\.csv, got \["body", "label"\]/,
    );
  });

  it('fails on a missing file', async () => {
    await expect(readCsv(join(dir, 'nope.csv'), cols).toArray()).rejects.toThrow(/ENOENT/);
  });
});

describe('readCsv options', () => {
  it('rejects bad options up front', () => {
    expect(() => readCsv('x.csv', { ...cols, delimiter: ';;' })).toThrow(ConfigError);
    expect(() => readCsv('x.csv', { ...cols, delimiter: ';;' })).toThrow(
      /readCsv: expected delimiter a single character, got ";;"/,
    );
    expect(() => readCsv('x.csv', { textColumn: 'text', labelColumn: 1, header: false })).toThrow(
      /expected textColumn a column index \(header: false\), got "text"/,
    );
    expect(() => readCsv('x.csv', { ...cols, onError: 'ignore' as 'skip' })).toThrow(
      /onError 'skip' or 'throw'/,
    );
    expect(() => readTsv('x.tsv', { ...cols, maxErrors: -1 })).toThrow(/readTsv: expected maxErrors/);
  });
});
