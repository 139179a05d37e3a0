// readRegularFile: readFile for files someone sent. A FIFO is refused at once (readFile would wait
// for a writer forever), and every failure is a FileError naming the path.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileError } from '../errors';
import { readRegularFile } from './regular-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seqlab-regular-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a file, empty or not', async () => {
    await writeFile(join(dir, 'a.json'), '{"a": 1}');
    await writeFile(join(dir, 'empty'), '');
    expect(new TextDecoder().decode(await readRegularFile('read', join(dir, 'a.json')))).toBe('{"a": 1}');
    expect(await readRegularFile('read', join(dir, 'empty'))).toEqual(new Uint8Array(0));
  });

  it.each([
    ['a missing file', async (p: string) => p, 'ENOENT', 'ENOENT: no such file or directory'],
    [
      'a directory',
      async (p: string) => {
        await mkdir(p);
        return p;
      },
      'EISDIR',
      'EISDIR: a directory',
    ],
  ])('%s is a FileError naming the path', async (_, make, code, text) => {
    const path = await make(join(dir, 'config.json'));
    const error = await readRegularFile('loadRun', path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code, path });
    expect((error as Error).message).toBe(`loadRun: expected a readable file, got ${path} (${text})`);
  });

  it.skipIf(process.platform === 'win32')('a FIFO is refused at once', async () => {
    const path = join(dir, 'config.json');
    execFileSync('mkfifo', [path]);
    await expect(readRegularFile('loadRun', path)).rejects.toThrow(
      `loadRun: expected a readable file (a regular file, not a FIFO, socket or device), got ${path} (not readable)`,
    );
  });
});
