// readSafetensorsFile / writeSafetensorsFile: round trips, the atomic writer's failure paths, and
// the errors for missing and corrupt files. Each test works in its own temporary directory.
//
// Run: cd /work/main && npx vitest run --project tensor packages/tensor/src/io
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FormatError, ShapeError } from '../errors';
import { type RawTensor, serializeSafetensors } from './safetensors';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors-node';

// Lets one test make FileHandle.sync() fail, to simulate a disk error in the middle of a write.
// Every other call goes to the real node:fs/promises.
const inject = vi.hoisted(() => ({ syncError: undefined as Error | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    const error = inject.syncError;
    if (error) handle.sync = () => Promise.reject(error);
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

const tensors: Record<string, RawTensor> = {
  'lstm.weight_ih_l0': {
    dtype: 'F32',
    shape: [8, 2],
    data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)),
  },
  'embedding.weight': { dtype: 'F16', shape: [3, 2], data: new Float32Array([0, 1, -2, 0.5, 65504, -0.25]) },
  steps: { dtype: 'I64', shape: [], data: new Int32Array([1000]) },
};
const metadata = { format: 'pt', epoch: '3' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seqlab-safetensors-'));
});
afterEach(async () => {
  inject.syncError = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('writeSafetensorsFile then readSafetensorsFile', () => {
  it('round-trips tensors and metadata, writing exactly serializeSafetensors bytes', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, tensors, metadata);
    expect(new Uint8Array(await readFile(path))).toEqual(serializeSafetensors(tensors, metadata));
    const read = await readSafetensorsFile(path);
    expect(read.metadata).toEqual(metadata);
    expect(Object.fromEntries(read.tensors)).toEqual(tensors);
    expect(await readdir(dir)).toEqual(['model.safetensors']); // no temporary file left
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, 'old contents');
    await writeSafetensorsFile(
      path,
      new Map([['x', { dtype: 'U8', shape: [2], data: new Uint8Array([4, 2]) }]]),
    );
    const { tensors: read } = await readSafetensorsFile(path);
    expect(Array.from((read.get('x') as RawTensor).data)).toEqual([4, 2]);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('accepts file: URLs', async () => {
    const url = pathToFileURL(join(dir, 'url.safetensors'));
    await writeSafetensorsFile(url, tensors);
    expect((await readSafetensorsFile(url)).tensors.size).toBe(3);
  });
});

describe('writeSafetensorsFile is atomic', () => {
  const original = 'the original file';

  it('leaves the original intact and no temporary file when fsync fails mid-write', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, original);
    inject.syncError = Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' });
    await expect(writeSafetensorsFile(path, tensors)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readFile(path, 'utf8')).toBe(original);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('rejects with ENOENT and creates nothing when the directory does not exist', async () => {
    const path = join(dir, 'missing', 'model.safetensors');
    await expect(writeSafetensorsFile(path, tensors)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temporary file when the final rename fails', async () => {
    const path = join(dir, 'model.safetensors');
    await mkdir(path); // a directory in the way: rename(file, dir) fails
    await writeFile(join(path, 'keep'), original);
    await expect(writeSafetensorsFile(path, tensors)).rejects.toMatchObject({
      code: expect.stringMatching(/^E/),
    });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe(original);
  });

  it('validates the tensors before touching the disk', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, original);
    const bad: RawTensor = { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) };
    const error = await writeSafetensorsFile(path, { w: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as ShapeError).message).toBe(
      'serializeSafetensors: expected tensor "w" data of length 6 for shape [2, 3], got 5',
    );
    expect(await readFile(path, 'utf8')).toBe(original);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });
});

describe('readSafetensorsFile errors', () => {
  it('rethrows ENOENT for a missing file, with the path in the message', async () => {
    const path = join(dir, 'nope.safetensors');
    const error = await readSafetensorsFile(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect((error as Error).message).toContain(path);
    expect(error).not.toBeInstanceOf(FormatError);
  });

  it('names the file in the FormatError of a corrupt file', async () => {
    const path = join(dir, 'corrupt.safetensors');
    await writeFile(path, serializeSafetensors(tensors).subarray(0, 100));
    const error = await readSafetensorsFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    const { op, message, cause } = error as FormatError;
    expect(op).toBe('readSafetensorsFile');
    expect(message).toMatch(
      /^readSafetensorsFile: expected a header length within the 100-byte file \(at most 92\), got \d+ in /,
    );
    expect(message).toContain(`in ${path}. The file is truncated`);
    expect(cause).toBeInstanceOf(FormatError);
    expect((cause as FormatError).op).toBe('parseSafetensors');
  });

  it('reads an empty file as a FormatError, not a crash', async () => {
    const path = join(dir, 'empty.safetensors');
    await writeFile(path, '');
    await expect(readSafetensorsFile(path)).rejects.toThrow(
      `readSafetensorsFile: expected at least 8 bytes (the header length), got a 0-byte file in ${path}`,
    );
  });
});
