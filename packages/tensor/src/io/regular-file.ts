/**
 * Reading files someone sent (Node.js): only regular files are read, so a FIFO planted where a file
 * should be is refused at once instead of blocking the reader forever, and every failure is a
 * FileError naming the path. Large files are read in parts, so no single read hits Node's limits.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// Through the package entry, so the built `node` bundle shares the error classes with it.
import { FileError, FormatError } from '@seqlab/tensor';

/** A file opened for reading, and its size. */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
  /** The path, as messages write it. */
  path: string;
}

/**
 * Opens a regular file for reading. O_NONBLOCK makes opening a FIFO return at once instead of
 * waiting for a writer (it has no effect on regular files); the FIFO is then refused.
 *
 * @param op the reading function, for messages
 * @param expected what the caller reads, for messages (`a readable safetensors file`)
 * @throws {FileError} naming the path: missing (ENOENT), a directory (EISDIR), no permission
 *   (EACCES), or not a regular file
 */
export async function openRegularFile(op: string, path: string | URL, expected: string): Promise<OpenedFile> {
  const where = typeof path === 'string' ? path : fileURLToPath(path);
  const handle = await open(where, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0)).catch((error) => {
    throw fileError(op, error, where, expected);
  });
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new FileError(op, expected, where, 'EISDIR');
    if (!stats.isFile())
      throw new FileError(op, `${expected} (a regular file, not a FIFO, socket or device)`, where, undefined);
    return { handle, size: stats.size, path: where };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw fileError(op, error, where, expected);
  }
}

/** Node's reads move at most ~2 GiB per call; larger ranges are read in parts. */
const READ_CHUNK = 1 << 30;

/**
 * Reads bytes [position, position + length) of an open file into a fresh Uint8Array (its own
 * buffer, offset 0, so typed-array views on it are aligned).
 *
 * @throws {FileError} when a read fails; {FormatError} when the file ends early (it shrank)
 */
export async function readRange(
  op: string,
  file: OpenedFile,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(READ_CHUNK, length - done);
    const { bytesRead } = await file.handle.read(out, done, want, position + done).catch((error: unknown) => {
      throw fileError(op, error, file.path, 'a readable file');
    });
    if (bytesRead === 0) {
      throw new FormatError(
        op,
        `${length} bytes at offset ${position}`,
        `the end of the file after ${done} in ${file.path}`,
        'The file was truncated while it was read',
      );
    }
    done += bytesRead;
  }
  return out;
}

/**
 * Reads a whole regular file (see openRegularFile): what `readFile` does, without blocking on a FIFO
 * and with a FileError naming the path on every failure.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(await readRegularFile('loadRun', 'runs/a/config.json'));
 * ```
 */
export async function readRegularFile(
  op: string,
  path: string | URL,
  expected = 'a readable file',
): Promise<Uint8Array> {
  const file = await openRegularFile(op, path, expected);
  try {
    return await readRange(op, file, 0, file.size);
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** A Node.js error of reading `where` as a FileError naming the path (the original as `cause`). */
export function fileError(op: string, error: unknown, where: string, expected: string): unknown {
  if (error instanceof FileError || error instanceof FormatError) return error;
  const code = (error as { code?: unknown })?.code;
  const wrapped = new FileError(op, expected, where, typeof code === 'string' ? code : undefined);
  wrapped.cause = error;
  return wrapped;
}
