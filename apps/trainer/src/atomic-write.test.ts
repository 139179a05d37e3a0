import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { critical, exitAfterWrites, removeFile, TEMP_FILE, writeFileAtomic, writing } from './atomic-write';

afterEach(() => vi.restoreAllMocks());

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file; removeFile tolerates a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seqlab-atomic-'));
    try {
      const path = join(dir, 'state.json');
      await writeFileAtomic(path, 'old');
      await writeFileAtomic(path, new TextEncoder().encode('new'));
      expect(await readFile(path, 'utf8')).toBe('new');
      expect(await readdir(dir)).toEqual(['state.json']);
      await removeFile(path);
      await removeFile(path);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names temporary files as TEMP_FILE expects', () => {
    expect(TEMP_FILE.exec('.model.safetensors.0123456789ab.tmp')?.[1]).toBe('model.safetensors');
    expect(TEMP_FILE.test('.model.safetensors.tmp')).toBe(false);
    expect(TEMP_FILE.test('model.safetensors.0123456789ab.tmp')).toBe(false);
  });
});

describe('exitAfterWrites', () => {
  it('exits at once when nothing is being written', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    exitAfterWrites(130);
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('waits for the critical section in progress (nested too) to finish', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const steps: string[] = [];
    await critical(async () => {
      await critical(async () => {
        exitAfterWrites(143);
        expect(writing()).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 10));
        steps.push('inner written');
      });
      expect(exit).not.toHaveBeenCalled();
      steps.push('outer written');
    });
    expect(steps).toEqual(['inner written', 'outer written']);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(143);
    expect(writing()).toBe(false);
  });
});
