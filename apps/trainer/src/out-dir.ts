import { lstat, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { removeFile, TEMP_FILE } from './atomic-write';
import { CHECKPOINT_DIR, isCheckpointEntry } from './checkpoint';
import { RUN_FILES } from './run-dir';

// `--out DIR` of a new run: a run never starts on top of another one. A directory that holds a
// started run (config.json) is refused unless --overwrite is given, and even then only the files
// the trainer writes are removed: a directory that also holds anything else is always refused.

/** Top-level names the trainer writes in a run directory. */
const RUN_ENTRIES = new Set([...Object.values(RUN_FILES).map((f) => f.split('/')[0]), CHECKPOINT_DIR]);

/** True for a top-level name the trainer writes (a run file, checkpoint/, or a temporary file of one). */
function isRunEntry(name: string): boolean {
  const temp = TEMP_FILE.exec(name);
  return RUN_ENTRIES.has(temp ? temp[1] : name) && !(temp && temp[1] === CHECKPOINT_DIR);
}

/** What an existing --out directory holds. */
export interface OutDirContents {
  /** The trainer's entries (top level and in checkpoint/), as paths relative to the directory. */
  ours: string[];
  /** Everything else, relative paths. */
  others: string[];
  /** config.json is there: the directory holds a started run. */
  started: boolean;
  /** metrics.json is there: that run finished. */
  finished: boolean;
}

async function list(dir: string): Promise<string[] | null> {
  try {
    return await readdir(dir);
  } catch (error) {
    // Missing, or not a directory: nothing to protect (creating the run directory then says why).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** Lists the trainer's files and the others in `dir` (null when it does not exist). */
export async function inspectOutDir(dir: string): Promise<OutDirContents | null> {
  const names = await list(dir);
  if (names === null) return null;
  const contents: OutDirContents = { ours: [], others: [], started: false, finished: false };
  for (const name of names.sort()) {
    if (!isRunEntry(name)) {
      contents.others.push(name);
    } else if (name === CHECKPOINT_DIR) {
      const stat = await lstat(join(dir, name));
      const inner = stat.isDirectory() ? ((await list(join(dir, name))) ?? []) : null;
      if (inner === null) {
        contents.others.push(name);
        continue;
      }
      for (const entry of inner.sort())
        (isCheckpointEntry(entry) ? contents.ours : contents.others).push(`${name}/${entry}`);
      contents.ours.push(name);
    } else {
      contents.ours.push(name);
    }
  }
  contents.started = contents.ours.includes(RUN_FILES.config);
  contents.finished = contents.ours.includes(RUN_FILES.metrics);
  return contents;
}

const listed = (names: readonly string[]) =>
  names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;

/**
 * Checks that a new run may use `dir` (before any work): it is new, empty, holds only what a run
 * that never started left (no config.json), or holds a run and `overwrite` is set. Throws a
 * ConfigError saying what is there and what to do otherwise.
 */
export async function checkOutDir(dir: string, overwrite: boolean): Promise<OutDirContents | null> {
  const contents = await inspectOutDir(dir);
  if (contents === null) return null;
  if (contents.others.length > 0) {
    throw new ConfigError(
      'train',
      `a new or empty --out directory${contents.ours.length > 0 ? ', or one holding only a seqlab run' : ''}`,
      `${dir}, which holds ${listed(contents.others)}`,
      'seqlab never deletes files it did not write: choose another --out',
    );
  }
  if (contents.started && !overwrite) {
    throw new ConfigError(
      'train',
      'a new or empty --out directory',
      `${dir}, which holds ${contents.finished ? 'a finished' : 'an unfinished'} seqlab run`,
      contents.finished
        ? 'Pass --overwrite to replace it'
        : `Continue it with seqlab train --resume ${dir}, or pass --overwrite to replace it`,
    );
  }
  return contents;
}

/**
 * Removes the trainer's files listed in `contents` from `dir`: config.json first, so that a crash
 * half-way leaves a directory that holds no started run, then the rest, then an empty checkpoint/.
 */
export async function clearOutDir(dir: string, contents: OutDirContents): Promise<void> {
  const files = contents.ours.filter((name) => name !== CHECKPOINT_DIR);
  files.sort((a, b) => Number(b === RUN_FILES.config) - Number(a === RUN_FILES.config));
  for (const name of files) await removeFile(join(dir, name), 'previous run file');
  if (contents.ours.includes(CHECKPOINT_DIR)) await rmdir(join(dir, CHECKPOINT_DIR));
}

/** Removes temporary files that a killed process left at the top of a run directory. */
export async function cleanTempFiles(dir: string): Promise<void> {
  for (const name of (await list(dir)) ?? []) {
    if (TEMP_FILE.test(name) && isRunEntry(name)) await removeFile(join(dir, name), 'temporary file');
  }
}
