import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault-injection';

// Every file the trainer writes goes through here: atomically (temporary file, fsync, rename,
// directory fsync), and inside a critical section that a second Ctrl-C or SIGTERM waits for
// (see `exitAfterWrites`), so no signal ever stops a write half-way.

let inProgress = 0;
let pendingExit: number | null = null;

/** Runs `write` as one uninterruptible unit: an exit asked for meanwhile happens after it. */
export async function critical<T>(write: () => Promise<T>): Promise<T> {
  inProgress++;
  try {
    return await write();
  } finally {
    inProgress--;
    if (inProgress === 0 && pendingExit !== null) {
      const code = pendingExit;
      pendingExit = null;
      process.exit(code);
    }
  }
}

/** True while a write (or a critical section) is running. */
export function writing(): boolean {
  return inProgress > 0;
}

/** Exits with `code` now, or as soon as the writes in progress have finished. */
export function exitAfterWrites(code: number): void {
  if (inProgress === 0) process.exit(code);
  pendingExit = code;
}

/** The name `writeFileAtomic` gives its temporary files: `.<name>.<12 hex digits>.tmp`. */
export const TEMP_FILE = /^\.(.+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes `bytes` to `path` atomically, as @seqlab/tensor/node's writeFileAtomic does: a temporary
 * file beside it (`.name.<hex>.tmp`), fsynced and renamed over `path`, then the directory fsynced.
 * A crash leaves the old file or the new one, and at worst a temporary file, which the next start
 * of the run removes. `label` names the steps for the test hook (fault-injection.ts).
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string,
  label: string = basename(path),
): Promise<void> {
  await critical(async () => {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: FileHandle | undefined;
    let created = false;
    try {
      handle = await open(temp, 'wx'); // 'x': never reuse (or later delete) a file we did not create
      created = true;
      await handle.writeFile(bytes);
      await faultPoint(`${label} written`);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await faultPoint(`${label} synced`);
      await rename(temp, path);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if (created) await unlink(temp).catch(() => undefined);
      throw error;
    }
    await faultPoint(`${label} renamed`);
    await syncDirectory(dirname(path));
    await faultPoint(`${label} committed`);
  });
}

/** Removes a file (if present) and flushes its directory entry. */
export async function removeFile(path: string, label: string = basename(path)): Promise<void> {
  await critical(async () => {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return;
    }
    await faultPoint(`${label} removed`);
    await syncDirectory(dirname(path));
  });
}

/**
 * Flushes a directory entry so a rename or unlink survives a crash. Best effort: some platforms
 * (Windows) cannot open a directory, and by then the file itself is complete either way.
 */
export async function syncDirectory(directory: string): Promise<void> {
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
