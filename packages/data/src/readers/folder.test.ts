import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFolder } from '../node';

// Directory listings come back reversed, so these tests prove that the reader sorts them itself
// (file systems list entries in no promised order; many happen to list them sorted).
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = async (...args: unknown[]) =>
    ((await (fs.readdir as (...a: unknown[]) => Promise<unknown[]>)(...args)) as unknown[]).reverse();
  return { ...fs, readdir };
});

const root = mkdtempSync(join(tmpdir(), 'seqlab-folder-'));
const train = join(root, 'aclImdb', 'train');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, content: string | Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

beforeAll(() => {
  // The IMDB layout: aclImdb/train/{pos,neg}/<id>_<stars>.txt, plus things to ignore.
  put(join(train, 'pos', '10_9.txt'), 'Loved it.<br /><br />Would watch again.');
  put(join(train, 'pos', '2_8.txt'), 'Great fun.');
  put(join(train, 'neg', '0_3.txt'), 'Dull.');
  put(join(train, 'neg', '1_1.txt'), '\uFEFFAwful, with a BOM.');
  put(join(train, 'neg', 'notes.md'), 'not a review');
  put(join(train, 'urls_pos.txt'), 'a file at the top level is not a class');
  put(join(root, 'bad', 'neg', 'ok.txt'), 'fine');
  put(
    join(root, 'bad', 'neg', 'latin1.txt'),
    Buffer.concat([Buffer.from('line one\ncaf'), Buffer.from([0xe9])]),
  );
  put(join(root, 'bad', 'pos', 'empty.txt'), '  \n');
  put(join(root, 'bad', 'pos', 'ok.txt'), 'also fine');
  mkdirSync(join(root, 'none'));
});

describe('readFolder', () => {
  it('reads class folders in sorted order (neg = 0, pos = 1), files by name, lazily', async () => {
    const source = readFolder(train);
    const rows = await source.toArray();
    expect(rows.map((r) => [r.file.slice(train.length + 1), r.label])).toEqual([
      ['neg/0_3.txt', 0],
      ['neg/1_1.txt', 0],
      ['pos/10_9.txt', 1],
      ['pos/2_8.txt', 1],
    ]);
    expect(rows[1].text).toBe('Awful, with a BOM.');
    expect(rows[2].text).toBe('Loved it.<br /><br />Would watch again.');
    expect(source.labels.names).toEqual(['neg', 'pos']);
    expect(source.report).toMatchObject({ rows: 4, examples: 4, skipped: 0 });
  });

  it('takes the classes (and their ids) and extensions given', async () => {
    const rows = await readFolder(train, { classes: ['pos', 'neg'], extensions: ['.txt', '.md'] }).toArray();
    expect(rows.map((r) => [r.file.slice(train.length + 1), r.label])).toEqual([
      ['pos/10_9.txt', 0],
      ['pos/2_8.txt', 0],
      ['neg/0_3.txt', 1],
      ['neg/1_1.txt', 1],
      ['neg/notes.md', 1],
    ]);
  });

  it("skips and counts invalid UTF-8 and empty files with onError: 'skip', naming file and line", async () => {
    const source = readFolder(join(root, 'bad'), { onError: 'skip' });
    const rows = await source.toArray();
    expect(rows.map((r) => r.text)).toEqual(['fine', 'also fine']);
    expect(source.report).toMatchObject({ rows: 4, examples: 2, skipped: 2 });
    const latin1 = join(root, 'bad', 'neg', 'latin1.txt');
    expect(source.report.errors).toEqual([
      {
        file: latin1,
        line: 2,
        reason: 'invalid UTF-8',
        message: `readFolder: expected valid UTF-8 at ${latin1}:2, got byte 0xe9 at byte 3 of the line`,
      },
      expect.objectContaining({ file: join(root, 'bad', 'pos', 'empty.txt'), reason: 'empty text' }),
    ]);
  });

  it('fails on the first bad file by default', async () => {
    await expect(readFolder(join(root, 'bad')).toArray()).rejects.toThrow(FormatError);
    await expect(readFolder(join(root, 'bad')).toArray()).rejects.toThrow(/latin1\.txt:2, got byte 0xe9/);
  });

  it('fails on a root without class folders, and on bad options', async () => {
    await expect(readFolder(join(root, 'none')).toArray()).rejects.toThrow(
      /readFolder: expected class sub-folders in .*none, got none/,
    );
    await expect(readFolder(join(root, 'missing')).toArray()).rejects.toThrow(/ENOENT/);
    expect(() => readFolder(train, { extensions: ['txt'] })).toThrow(ConfigError);
    expect(() => readFolder(train, { classes: [] })).toThrow(/expected classes a non-empty list/);
  });
});
