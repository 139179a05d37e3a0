import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutDir, cleanTempFiles, clearOutDir, inspectOutDir } from './out-dir';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seqlab-out-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function files(names: string[]): Promise<void> {
  for (const name of names) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), 'x');
  }
}

const RUN = [
  'config.json',
  'tokenizer.json',
  'labels.json',
  'data.json',
  'model.safetensors',
  'metrics.json',
  'checkpoint/state.json',
  'checkpoint/model.0123abcd.safetensors',
];

describe('checkOutDir', () => {
  it('accepts a new or empty directory, or what a run that never started left', async () => {
    expect(await checkOutDir(join(dir, 'new'), false)).toBeNull();
    expect((await checkOutDir(dir, false))?.ours).toEqual([]);
    await files([
      'tokenizer.json',
      '.labels.json.0123456789ab.tmp',
      'checkpoint/.state.json.0123456789ab.tmp',
    ]);
    const c = await checkOutDir(dir, false);
    expect(c?.started).toBe(false);
    expect(c?.others).toEqual([]);
  });

  it('refuses a started run without --overwrite, saying whether it finished', async () => {
    await files(RUN.filter((f) => f !== 'metrics.json'));
    await expect(checkOutDir(dir, false)).rejects.toThrow(ConfigError);
    await expect(checkOutDir(dir, false)).rejects.toThrow(
      `train: expected a new or empty --out directory, got ${dir}, which holds an unfinished seqlab run. Continue it with seqlab train --resume ${dir}, or pass --overwrite to replace it`,
    );
    await files(['metrics.json']);
    await expect(checkOutDir(dir, false)).rejects.toThrow(
      'which holds a finished seqlab run. Pass --overwrite',
    );
    expect((await checkOutDir(dir, true))?.started).toBe(true);
  });

  it('refuses, even with --overwrite, a directory holding files seqlab did not write', async () => {
    await files([...RUN, 'notes.txt', 'checkpoint/mine.bin', '.config.json.tmp']);
    await expect(checkOutDir(dir, true)).rejects.toThrow(
      'which holds .config.json.tmp, checkpoint/mine.bin, notes.txt. seqlab never deletes files it did not write',
    );
  });
});

describe('clearOutDir and cleanTempFiles', () => {
  it("removes only the trainer's files", async () => {
    await files(RUN);
    const contents = await inspectOutDir(dir);
    if (!contents) throw new Error('expected contents');
    await files(['notes.txt']); // appeared after the check: kept
    await clearOutDir(dir, contents);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('removes temporary files of run files only', async () => {
    await files(['.model.safetensors.0123456789ab.tmp', '.notes.txt.0123456789ab.tmp', 'config.json']);
    await cleanTempFiles(dir);
    expect((await readdir(dir)).sort()).toEqual(['.notes.txt.0123456789ab.tmp', 'config.json']);
  });
});
