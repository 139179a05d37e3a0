import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../node';

const SENTIMENT = fileURLToPath(new URL('../../../../../shared/datasets/sentiment', import.meta.url));
const hasShared = existsSync(join(SENTIMENT, 'valid.jsonl'));
if (!hasShared) console.warn(`[data] skipping the JSONL tests on SST-2: ${SENTIMENT} is absent`);

const dir = mkdtempSync(join(tmpdir(), 'seqlab-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, ...parts: (string | number[])[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))),
  );
  return path;
}

const cols = { textColumn: 'text', labelColumn: 'label' } as const;

describe('readJsonl on real files', () => {
  it.skipIf(!hasShared)('reads all 872 SST-2 dev sentences with their labels', async () => {
    const source = readJsonl(join(SENTIMENT, 'valid.jsonl'), { ...cols, labels: 'integer' });
    const rows = await source.toArray();
    expect(rows.length).toBe(872);
    expect(rows.filter((r) => r.label === 1).length).toBe(444);
    expect(rows[0]).toEqual({
      text: 'one long string of cliches',
      label: 0,
      file: join(SENTIMENT, 'valid.jsonl'),
      line: 1,
    });
    expect(source.report).toMatchObject({ rows: 872, examples: 872, skipped: 0 });
  });

  it.skipIf(!hasShared)('reads the 6,911 training sentences exactly as JSON.parse of each line', async () => {
    const path = join(SENTIMENT, 'train.jsonl');
    const expected = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { text: string; label: number });
    const rows = await readJsonl(path, { ...cols, labels: 'integer' }).toArray();
    expect(rows.map((r) => [r.text, r.label])).toEqual(expected.map((e) => [e.text, e.label]));
  });
});

describe('readJsonl line handling', () => {
  it('keeps multi-byte characters that straddle read chunks (the file is split on raw bytes)', async () => {
    // ~300 KB of lines full of 2-, 3- and 4-byte characters: chunk edges (64 KiB) fall mid-character.
    const texts = Array.from(
      { length: 3000 },
      (_, i) => `${i} é€𝔘👍🏽 ${'ü'.repeat(i % 37)} ${'東'.repeat(i % 11)}`,
    );
    const path = file(
      'big.jsonl',
      texts.map((t, i) => `${JSON.stringify({ text: t, label: i % 3 })}\n`).join(''),
    );
    const rows = await readJsonl(path, { ...cols, labels: 'integer' }).toArray();
    expect(rows.map((r) => r.text)).toEqual(texts);
    expect(rows[2999].line).toBe(3000);
  });

  it('skips blank lines, accepts CRLF, a BOM and a last line without newline', async () => {
    const path = file(
      'crlf.jsonl',
      [0xef, 0xbb, 0xbf],
      '{"text":"a","label":"x"}\r\n\r\n  \n{"text":"b","label":"y"}',
    );
    const rows = await readJsonl(path, cols).toArray();
    expect(rows.map((r) => [r.text, r.label, r.line])).toEqual([
      ['a', 0, 1],
      ['b', 1, 4],
    ]);
  });

  it('takes string, number and boolean labels, and other key names', async () => {
    const path = file('keys.jsonl', '{"review":"ok","stars":true}\n{"review":"meh","stars":false}\n');
    const rows = await readJsonl(path, {
      textColumn: 'review',
      labelColumn: 'stars',
      labels: ['false', 'true'],
    }).toArray();
    expect(rows.map((r) => r.label)).toEqual([1, 0]);
  });

  it.skipIf(process.platform === 'win32')(
    'streams: yields a line as soon as it is complete (a FIFO)',
    async () => {
      const fifo = join(dir, 'pipe.jsonl');
      execFileSync('mkfifo', [fifo]);
      const writer = createWriteStream(fifo);
      writer.write('{"text":"first","label":0}\n');
      const it = readJsonl(fifo, { ...cols, labels: 'integer' })[Symbol.asyncIterator]();
      expect((await it.next()).value?.text).toBe('first');
      writer.end('{"text":"second","label":1}\n');
      expect((await it.next()).value?.text).toBe('second');
      expect((await it.next()).done).toBe(true);
    },
    10_000,
  );
});

describe('readJsonl on malformed lines', () => {
  const messy = () =>
    file(
      'messy.jsonl',
      '{"text":"good","label":1}\n', // 1
      '{"text":"bad ',
      [0xc3, 0x28],
      '","label":0}\n', // 2: invalid UTF-8 (0xc3 then a non-continuation byte)
      '{"text":"unterminated\n', // 3: invalid JSON
      '[1, 2]\n', // 4: not an object
      '{"label":1}\n', // 5: no text
      '{"text":"no label"}\n', // 6: no label
      '{"text":42,"label":1}\n', // 7: text not a string
      '{"text":" ","label":1}\n', // 8: empty text
      '{"text":"x","label":7}\n', // 9: unknown label
      '{"text":"x","label":null}\n', // 10: unknown label
      '{"text":"good too","label":0}\n', // 11
    );

  it("skips and counts them with onError: 'skip'", async () => {
    const path = messy();
    const source = readJsonl(path, { ...cols, labels: ['0', '1'], onError: 'skip' });
    const rows = await source.toArray();
    expect(rows.map((r) => [r.text, r.line])).toEqual([
      ['good', 1],
      ['good too', 11],
    ]);
    expect(source.report).toMatchObject({ rows: 11, examples: 2, skipped: 9 });
    expect(source.report.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'invalid UTF-8'],
      [3, 'invalid JSON'],
      [4, 'invalid JSON'],
      [5, 'missing column'],
      [6, 'missing column'],
      [7, 'missing column'],
      [8, 'empty text'],
      [9, 'unknown label'],
      [10, 'unknown label'],
    ]);
    expect(source.report.errors[0].message).toBe(
      `readJsonl: expected valid UTF-8 at ${path}:2, got byte 0xc3 at byte 13 of the line`,
    );
    expect(source.report.errors[3].message).toBe(
      `readJsonl: expected a "text" key at ${path}:5, got keys [label]`,
    );
  });

  it('looks columns up among the keys of the line, never on Object.prototype', async () => {
    // Found by readers.fuzz.test.ts: `'constructor' in row` is true for every object, so a line
    // without the key was read as having the text Object (and `toString` as a label).
    const path = file(
      'proto.jsonl',
      '{"label":"a"}\n',
      '{"constructor":"x"}\n',
      '{"__proto__":"x","label":"a"}\n',
    );
    const source = readJsonl(path, { textColumn: 'constructor', labelColumn: 'toString', onError: 'skip' });
    expect(await source.toArray()).toEqual([]);
    expect(source.report.errors.map((e) => e.message)).toEqual([
      `readJsonl: expected a "constructor" key at ${path}:1, got keys [label]`,
      `readJsonl: expected a "toString" key at ${path}:2, got keys [constructor]`,
      `readJsonl: expected a "constructor" key at ${path}:3, got keys [__proto__, label]`,
    ]);
    const own = readJsonl(path, { textColumn: '__proto__', labelColumn: 'label', onError: 'skip' });
    expect((await own.toArray()).map((r) => [r.text, r.line])).toEqual([['x', 3]]);
  });

  it('detects invalid UTF-8 on the raw bytes, before any U+FFFD replacement', async () => {
    // A naive reader (readline, toString) would yield "caf\uFFFD" here without complaint.
    const path = file('latin1.jsonl', '{"text":"caf', [0xe9], '","label":1}\n');
    await expect(readJsonl(path, { ...cols, labels: 'integer' }).toArray()).rejects.toThrow(
      /readJsonl: expected valid UTF-8 at .*latin1\.jsonl:1, got byte 0xe9 at byte 12 of the line\. Pass onError: 'skip'/,
    );
  });

  it('fails at the first malformed line by default', async () => {
    const path = messy();
    const source = readJsonl(path, { ...cols, labels: 'integer' });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const r of source) seen.push(r.text);
      })(),
    ).rejects.toThrow(FormatError);
    expect(seen).toEqual(['good']);
  });

  it('rejects non-string column names', () => {
    expect(() => readJsonl('x.jsonl', { textColumn: 0 as unknown as string, labelColumn: 'label' })).toThrow(
      ConfigError,
    );
    expect(() => readJsonl('x.jsonl', { textColumn: 0 as unknown as string, labelColumn: 'label' })).toThrow(
      /readJsonl: expected textColumn a key name, got 0/,
    );
  });
});
