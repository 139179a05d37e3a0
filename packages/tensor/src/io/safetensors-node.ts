/**
 * Reading and writing safetensors files on Node.js. The format itself lives in safetensors.ts, which
 * stays browser-safe; this file is the only one in io/ that imports node: modules.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Through the package entry, so the built `node` bundle shares the error classes with it.
import {
  FormatError,
  type ParsedSafetensors,
  parseSafetensors,
  type RawTensor,
  serializeSafetensors,
} from '@seqlab/tensor';

/**
 * Reads and parses a safetensors file (see {@link parseSafetensors} for what is validated and
 * what comes back).
 *
 * @param path a file path or a `file:` URL
 * @returns the tensors, in the order of their data in the file, and the metadata (`{}` if none)
 * @throws the Node.js error, unchanged, when the file cannot be read: `code` is `ENOENT`,
 *   `EACCES`, `EISDIR`, … and the message names the path (`ENOENT: no such file or directory,
 *   open '/models/lstm.safetensors'`). A missing file is not a format problem, so it is not a
 *   FormatError.
 * @throws {FormatError} when the bytes are not a valid safetensors file: the error of
 *   parseSafetensors with op `readSafetensorsFile` and the path appended to `actual`
 *   (`readSafetensorsFile: expected …, got … in /models/lstm.safetensors`); `cause` holds the
 *   original error.
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensorsFile('checkpoints/lstm.safetensors');
 * ```
 */
export async function readSafetensorsFile(path: string | URL): Promise<ParsedSafetensors> {
  const bytes = await readFile(path);
  try {
    return parseSafetensors(bytes);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    const where = typeof path === 'string' ? path : fileURLToPath(path);
    const wrapped = new FormatError(
      'readSafetensorsFile',
      error.expected,
      `${error.actual} in ${where}`,
      error.hint,
    );
    wrapped.cause = error;
    throw wrapped;
  }
}

/**
 * Serializes tensors (see {@link serializeSafetensors}) and writes them to `path` atomically:
 * the bytes go to a temporary file in the same directory, which is flushed to disk (fsync) and
 * then renamed over `path`. Readers see either the old file or the complete new one, never a
 * partial write, and a failure at any step leaves `path` as it was and removes the temporary file.
 *
 * The tensors are validated before anything touches the disk. The new file gets default
 * permissions (0o666 minus the umask), not those of the file it replaces.
 *
 * @param path a file path or a `file:` URL; its directory must exist
 * @param tensors name → tensor; a Map or a plain object
 * @param metadata optional string → string map, stored under `__metadata__`
 * @throws {ConfigError | DTypeError | ShapeError} from serializeSafetensors, before any I/O
 * @throws the Node.js error of the step that failed (`ENOENT` for a missing directory, `EISDIR`
 *   when `path` is a directory, `ENOSPC`, …)
 *
 * @example
 * ```ts
 * await writeSafetensorsFile('checkpoints/lstm.safetensors', model.stateDict(), { format: 'pt' });
 * ```
 */
export async function writeSafetensorsFile(
  path: string | URL,
  tensors: Record<string, RawTensor> | Map<string, RawTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory is written, flushed
 * to disk (fsync) and renamed over `path`, then the directory entry is flushed. Readers see the old
 * file or the complete new one, never a partial write; on failure `path` is untouched and the
 * temporary file is removed. Checkpoints, configs and vocabularies are all written through it.
 *
 * @throws the Node.js error of the step that failed (`ENOENT` for a missing directory, …)
 */
export async function writeFileAtomic(path: string | URL, bytes: Uint8Array | string): Promise<void> {
  const target = typeof path === 'string' ? path : fileURLToPath(path);
  // Same directory, so the rename stays on one file system and is atomic.
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(temp, 'wx'); // 'x': never reuse (or later delete) a file we did not create
    created = true;
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (created) await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(target));
}

/**
 * Flushes a directory entry so the rename itself survives a crash. Best effort: some platforms
 * (Windows) cannot open a directory, and by now the new file is complete either way.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // not supported here; the data itself was already fsynced
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
