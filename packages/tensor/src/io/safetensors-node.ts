/**
 * Reading and writing safetensors files on Node.js. The format itself lives in safetensors.ts, which
 * stays browser-safe; this file is the only one in io/ that imports node: modules.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Through the package entry, so the built `node` bundle shares the error classes with it.
import {
  ConfigError,
  decodeSafetensorsTensor,
  FormatError,
  formatValue,
  type ParsedSafetensors,
  parseSafetensorsHeader,
  type RawTensor,
  type SafetensorsDType,
  safetensorsHeaderLength,
  serializeSafetensors,
} from '@seqlab/tensor';
import { openRegularFile, readRange } from './regular-file';

/** A safetensors file opened for reading: its header is read and validated, its data is not. */
export interface SafetensorsFile {
  /** The file, as a path. */
  readonly path: string;
  /** Each tensor's dtype and shape, in the order of their data in the file. */
  readonly tensors: ReadonlyMap<
    string,
    {
      /** The stored dtype. */
      dtype: SafetensorsDType;
      /** Size of each dimension (`[]` for a scalar). */
      shape: readonly number[];
    }
  >;
  /** The string metadata (`{}` if none). */
  readonly metadata: Record<string, string>;
  /** Reads one tensor's bytes (and only those) from the file and decodes them (see parseSafetensors). */
  read(name: string): Promise<RawTensor>;
  /** Closes the file; `read` fails after. */
  close(): Promise<void>;
}

/**
 * Opens a safetensors file and reads its header only (PyTorch's `safetensors.safe_open`): the
 * names, dtypes and shapes are known before any tensor data is read, so a caller can check them
 * (against a model it is about to build, say) and then read the tensors one at a time. The header
 * is validated as by parseSafetensors, against the file's size.
 *
 * @param path a file path or a `file:` URL
 * @throws {FileError} when the file cannot be opened or read (`code` ENOENT, EISDIR, EACCES, …),
 *   naming the path
 * @throws {FormatError} when the header is not valid: the error of parseSafetensors with op
 *   `openSafetensorsFile` and the path appended to `actual`; `cause` holds the original error
 *
 * @example
 * ```ts
 * const file = await openSafetensorsFile('runs/a/model.safetensors');
 * try {
 *   file.tensors.get('fc.weight')?.shape; // [3, 64], read from the header alone
 *   const w = await file.read('fc.weight');
 * } finally {
 *   await file.close();
 * }
 * ```
 */
export async function openSafetensorsFile(path: string | URL): Promise<SafetensorsFile> {
  return openAs('openSafetensorsFile', path);
}

/**
 * Reads and parses a safetensors file (see {@link @seqlab/tensor!parseSafetensors | parseSafetensors} for what is validated and
 * what comes back). The header is read first, then each tensor's byte range into its own typed
 * array, so the file is never held in memory twice and its size is limited by memory only (not by
 * Node's 2 GiB `readFile` limit).
 *
 * @param path a file path or a `file:` URL
 * @returns the tensors, in the order of their data in the file, and the metadata (`{}` if none)
 * @throws {FileError} when the file cannot be read: `code` is `ENOENT`, `EACCES`, `EISDIR`, … and
 *   the message names the path (`readSafetensorsFile: expected a readable safetensors file, got
 *   /models/lstm.safetensors (ENOENT: no such file or directory)`); `cause` holds the Node.js error.
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
  const file = await openAs('readSafetensorsFile', path);
  try {
    const tensors = new Map<string, RawTensor>();
    for (const name of file.tensors.keys()) tensors.set(name, await file.read(name));
    return { tensors, metadata: file.metadata };
  } finally {
    await file.close();
  }
}

async function openAs(op: string, path: string | URL): Promise<SafetensorsFile> {
  const file = await openRegularFile(op, path, 'a readable safetensors file');
  const where = file.path;
  try {
    const prefix = await readRange(op, file, 0, Math.min(8, file.size));
    const headerLength = safetensorsHeaderLength(prefix, file.size);
    const header = parseSafetensorsHeader(await readRange(op, file, 0, 8 + headerLength), file.size);
    const entries = new Map(header.entries.map((e) => [e.name, e]));
    let closed = false;
    return {
      path: where,
      tensors: new Map(header.entries.map(({ name, dtype, shape }) => [name, { dtype, shape }])),
      metadata: header.metadata,
      async read(name) {
        const entry = entries.get(name);
        if (entry === undefined) {
          throw new ConfigError(
            `${op}.read`,
            `one of the file's tensors`,
            `${formatValue(name)} in ${where}`,
          );
        }
        if (closed) throw new ConfigError(`${op}.read`, 'an open file', `${where}, closed`);
        const raw = await readRange(op, file, header.dataStart + entry.begin, entry.end - entry.begin);
        try {
          return decodeSafetensorsTensor(entry, raw);
        } catch (error) {
          throw inFile(op, error, where);
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await file.handle.close();
      },
    };
  } catch (error) {
    await file.handle.close().catch(() => undefined);
    throw inFile(op, error, where);
  }
}

/** parseSafetensors' FormatError with this op and the path appended to `actual`; others unchanged. */
function inFile(op: string, error: unknown, where: string): unknown {
  if (!(error instanceof FormatError) || error.op === op) return error;
  const wrapped = new FormatError(op, error.expected, `${error.actual} in ${where}`, error.hint);
  wrapped.cause = error;
  return wrapped;
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
