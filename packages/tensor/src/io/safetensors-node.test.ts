// readSafetensorsFile / writeSafetensorsFile: round trips, the atomic writer's failure paths, and
// the errors for missing and corrupt files. Each test works in its own temporary directory.
//
// Run: npx vitest run --project tensor packages/tensor/src/io
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileError, FormatError, ShapeError } from '../errors';
import { type RawTensor, serializeSafetensors } from './safetensors';
import { openSafetensorsFile, readSafetensorsFile, writeSafetensorsFile } from './safetensors-node';

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
  it('a missing file is a FileError with code ENOENT and the path in the message', async () => {
    const path = join(dir, 'nope.safetensors');
    const error = await readSafetensorsFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect((error as Error).message).toBe(
      `readSafetensorsFile: expected a readable safetensors file, got ${path} (ENOENT: no such file or directory)`,
    );
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('a directory where the file should be is a FileError naming the path (EISDIR)', async () => {
    const path = join(dir, 'model.safetensors');
    await mkdir(path);
    for (const read of [readSafetensorsFile, openSafetensorsFile]) {
      const error = await read(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileError);
      expect(error).toMatchObject({ code: 'EISDIR', path });
      expect((error as Error).message).toContain(`${path} (EISDIR: a directory)`);
    }
  });

  it.skipIf(process.platform === 'win32')(
    'a FIFO where the file should be is refused at once, not waited on',
    async () => {
      const path = join(dir, 'model.safetensors');
      execFileSync('mkfifo', [path]);
      const error = await readSafetensorsFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileError);
      expect((error as Error).message).toBe(
        `readSafetensorsFile: expected a readable safetensors file (a regular file, not a FIFO, socket or device), got ${path} (not readable)`,
      );
    },
  );

  // Root reads any file whatever its mode, so this one needs an unprivileged user.
  it.skipIf(process.getuid?.() === 0)(
    'an unreadable file is a FileError naming the path (EACCES)',
    async () => {
      const path = join(dir, 'model.safetensors');
      await writeFile(path, serializeSafetensors(tensors), { mode: 0o000 });
      const error = await readSafetensorsFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileError);
      expect(error).toMatchObject({ code: 'EACCES', path });
      expect((error as Error).message).toContain(`${path} (EACCES: permission denied)`);
    },
  );

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

describe('openSafetensorsFile: the header first, then one tensor at a time', () => {
  it('gives names, dtypes and shapes from the header, then reads each tensor as readSafetensorsFile does', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, tensors, metadata);
    const whole = await readSafetensorsFile(path);
    const file = await openSafetensorsFile(path);
    try {
      expect([...file.tensors]).toEqual(
        [...whole.tensors].map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape }]),
      );
      expect(file.metadata).toEqual(metadata);
      expect(await file.read('embedding.weight')).toEqual(whole.tensors.get('embedding.weight'));
      await expect(file.read('nope')).rejects.toThrow(`"nope" in ${path}`);
    } finally {
      await file.close();
    }
    await expect(file.read('steps')).rejects.toThrow('an open file');
  });

  it('a corrupt header is a FormatError naming the file, before any tensor is read', async () => {
    const path = join(dir, 'model.safetensors');
    const bytes = serializeSafetensors(tensors);
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    const error = await openSafetensorsFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).message).toMatch(
      /^openSafetensorsFile: expected tensor ".*" data_offsets within/,
    );
    expect((error as FormatError).message).toContain(`in ${path}. The file is truncated`);
  });

  // A sparse file (no disk space, no writes beyond a few bytes) over Node's 2 GiB readFile limit,
  // with a valid header: a 2.25 GiB U8 tensor, then a small F32 tensor past the 2 GiB mark.
  it('reads a tensor beyond 2 GiB of a file over 2 GiB, without reading the rest', async () => {
    const path = join(dir, 'big.safetensors');
    const pad = 2 ** 31 + 2 ** 28;
    const tail = new Float32Array([1.5, -2, 3.25, 1e-3]);
    const header = new TextEncoder().encode(
      JSON.stringify({
        pad: { dtype: 'U8', shape: [pad], data_offsets: [0, pad] },
        tail: { dtype: 'F32', shape: [2, 2], data_offsets: [pad, pad + 16] },
      }).padEnd(184, ' '),
    );
    const prefix = new Uint8Array(8 + header.length);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
    prefix.set(header, 8);
    await writeFile(path, prefix);
    await truncate(path, prefix.length + pad + 16);
    const handle = await open(path, 'r+');
    await handle.write(new Uint8Array(tail.buffer), 0, 16, prefix.length + pad);
    await handle.close();
    expect((await stat(path)).size).toBeGreaterThan(2 ** 31);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });

    const rss = process.memoryUsage().rss;
    const file = await openSafetensorsFile(path);
    try {
      expect(file.tensors.get('pad')).toEqual({ dtype: 'U8', shape: [pad] });
      expect(await file.read('tail')).toEqual({ dtype: 'F32', shape: [2, 2], data: tail });
    } finally {
      await file.close();
    }
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
  });
});
