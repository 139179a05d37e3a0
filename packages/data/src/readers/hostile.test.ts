// Files someone sent: deeply nested JSON lines, huge values in messages, a directory or a missing
// file where a data file should be, and a field longer than a JavaScript string. Each is a typed
// error naming the file (and line), never a RangeError, a TypeError or a misleading message.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError, FormatError, MAX_JSON_DEPTH } from '@seqlab/tensor';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCsv, readFolder, readJsonl } from '../node';
import { decodeUtf8 } from './utf8';

const dir = mkdtempSync(join(tmpdir(), 'seqlab-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const cols = { textColumn: 'text', labelColumn: 'label' } as const;
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

async function errorOf(read: () => Promise<unknown>): Promise<Error> {
  const error = await read().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('readJsonl: deeply nested lines', () => {
  it('a line nested 5,000 deep is a FormatError naming the line and the limit', async () => {
    const path = file('deep.jsonl', `{"text": "ok", "label": 1}\n{"text": ${nested(5000)}, "label": 1}\n`);
    const error = await errorOf(() => readJsonl(path, cols).toArray());
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toContain(
      `readJsonl: expected a JSON object nested at most ${MAX_JSON_DEPTH} deep at ${path}:2`,
    );
  });

  it("is skipped and counted as invalid JSON with onError: 'skip'", async () => {
    const path = file(
      'deep-skip.jsonl',
      `{"label": ${nested(5000)}, "text": "x"}\n{"text": "ok", "label": 1}\n`,
    );
    const source = readJsonl(path, { ...cols, onError: 'skip' });
    expect(await source.toArray()).toHaveLength(1);
    expect(source.report.skippedByReason).toEqual({ 'invalid JSON': 1 });
  });

  it('values within the limit but huge or deep are shown briefly in messages', async () => {
    const label = nested(MAX_JSON_DEPTH - 1); // the row object is one more level
    const path = file(
      'big-values.jsonl',
      `{"text": "ok", "label": ${label}}\n{"text": ${label}, "label": 1}\n`,
    );
    const error = await errorOf(() => readJsonl(path, cols).toArray());
    expect(error.message).toContain(`at ${path}:1, got [[[[…]]]]`);
    const long = file('long-label.jsonl', `{"text": "ok", "label": {"x": "${'y'.repeat(1_000_000)}"}}\n`);
    const longError = await errorOf(() => readJsonl(long, cols).toArray());
    expect(longError.message.length).toBeLessThan(400);
  });
});

describe('a CSV header of a million columns is listed briefly', () => {
  it('names 20 columns and the count', async () => {
    const header = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',');
    const path = file('wide.csv', `${header}\n`);
    const error = await errorOf(() => readCsv(path, cols).toArray());
    expect(error.message).toContain('"c19", … (20000 in all)]');
    expect(error.message.length).toBeLessThan(500);
  });
});

describe('a path that is not a readable file is a FileError naming it', () => {
  const folder = join(dir, 'a-directory.csv');
  mkdirSync(folder, { recursive: true });

  it.each([
    ['readCsv', () => readCsv(folder, cols).toArray()],
    ['readJsonl', () => readJsonl(folder, cols).toArray()],
  ])('%s on a directory (EISDIR)', async (op, read) => {
    const error = await errorOf(read);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code: 'EISDIR', path: folder });
    expect(error.message).toBe(`${op}: expected a readable file, got ${folder} (EISDIR: a directory)`);
  });

  it.each([
    ['readCsv', () => readCsv(join(dir, 'nope.csv'), cols).toArray(), join(dir, 'nope.csv')],
    ['readJsonl', () => readJsonl(join(dir, 'nope.jsonl'), cols).toArray(), join(dir, 'nope.jsonl')],
    ['readFolder', () => readFolder(join(dir, 'nope')).toArray(), join(dir, 'nope')],
  ])('%s on a missing path (ENOENT)', async (op, read, path) => {
    const error = await errorOf(read);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect(error.message).toBe(
      `${op}: expected a readable file, got ${path} (ENOENT: no such file or directory)`,
    );
  });

  it('readFolder on a file (ENOTDIR)', async () => {
    const path = file('not-a-folder.txt', 'text');
    const error = await errorOf(() => readFolder(path).toArray());
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code: 'ENOTDIR', path });
    expect(error.message).toContain(path);
  });
});

describe('a field longer than a JavaScript string is not "invalid UTF-8"', () => {
  // A stand-in for V8's limit (2^29 - 24 units, 512 MiB): the same error Node throws past it.
  const tooLong = Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), {
    code: 'ERR_STRING_TOO_LONG',
  });

  it('decodeUtf8 reports invalid bytes, and throws the too-long error as it is', () => {
    expect(decodeUtf8(Uint8Array.of(0x61, 0xff))).toEqual({ offset: 1, byte: 0xff });
    expect(() =>
      decodeUtf8(Uint8Array.of(0x61), () => {
        throw tooLong;
      }),
    ).toThrow(tooLong);
  });

  it('a reader reports it as a FormatError naming the file and the limit', async () => {
    const path = file('long.csv', 'text,label\nhello,pos\n');
    const utf8 = await import('./utf8');
    const spy = vi.spyOn(utf8, 'decodeUtf8').mockImplementation((bytes) => {
      if (new TextDecoder().decode(bytes) === 'hello') throw tooLong;
      return new TextDecoder().decode(bytes);
    });
    try {
      const error = await errorOf(() => readCsv(path, cols).toArray());
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toContain(
        `readCsv: expected text fields of at most 2^29 - 24 characters (the longest JavaScript string) in ${path}, got a longer one`,
      );
      expect(error.message).not.toContain('UTF-8');
    } finally {
      spy.mockRestore();
    }
  });
});
