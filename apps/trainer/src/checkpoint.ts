import { randomBytes } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, saveSafetensors, type Tensor } from '@seqlab/tensor';
import { critical, removeFile, TEMP_FILE, writeFileAtomic } from './atomic-write';
import type { TrainConfig } from './config';
import { hashFile, sha256 } from './hash';
import { readJson } from './run-dir';
import { type CheckpointFiles, parseTrainState, type TrainState } from './train-state';

// NOTE(checkpoint-commit): a checkpoint is one atomic unit. Its weight files get fresh names
// (`model.<id>.safetensors`, `optimizer.<id>.safetensors`, and `best.<id>.safetensors` when the
// epoch improved), are written and fsynced first, and only then is checkpoint/state.json replaced
// (one atomic rename): state.json names the files of its checkpoint with their SHA-256. The files
// of the previous checkpoint are removed only after that rename. So whenever the process dies, the
// state.json on disk names complete files of one checkpoint, the old one or the new one; leftover
// files are removed at the next start of the run (`cleanCheckpointDir`), and a resume that finds a
// named file missing or changed refuses it.

/** The checkpoint directory of a run. */
export const CHECKPOINT_DIR = 'checkpoint';

const WEIGHT_FILE = /^(model|optimizer|best)\.[0-9a-f]{8}\.safetensors$/;
/** Names of the layout before NOTE(checkpoint-commit), removed with the rest by --overwrite. */
const LEGACY_FILES = new Set(['model.safetensors', 'optimizer.safetensors', 'best.safetensors']);

/** True for a name the trainer writes in checkpoint/ (state, weight files, their temporary files). */
export function isCheckpointEntry(name: string): boolean {
  const temp = TEMP_FILE.exec(name);
  const base = temp ? temp[1] : name;
  return base === 'state.json' || WEIGHT_FILE.test(base) || LEGACY_FILES.has(base);
}

/** What a checkpoint holds besides the names of its files. */
export type CheckpointState = Omit<TrainState, 'files'>;

/** The weights of one checkpoint. */
export interface CheckpointWeights {
  model: Map<string, Tensor>;
  /** The optimizer's buffers (see optimizer-state.ts). */
  optimizer: Map<string, Tensor>;
  /** The best weights when this epoch improved on the best, else null (the previous ones stay). */
  best: Map<string, Tensor> | null;
}

/**
 * Writes one checkpoint as an atomic unit (see NOTE(checkpoint-commit)) and returns the names of
 * its files, which the next checkpoint passes as `previous`. A second Ctrl-C or SIGTERM meanwhile
 * waits for it to finish (`critical`).
 */
export async function writeCheckpoint(
  runDir: string,
  weights: CheckpointWeights,
  state: CheckpointState,
  previous: CheckpointFiles | null,
): Promise<CheckpointFiles> {
  const dir = join(runDir, CHECKPOINT_DIR);
  return critical(async () => {
    const id = randomBytes(4).toString('hex');
    // The best weights are usually the model's own (an improved epoch): serialise and hash once.
    let last: { dict: Map<string, Tensor>; bytes: Uint8Array; sha256: string } | null = null;
    const write = async (kind: 'model' | 'optimizer' | 'best', dict: Map<string, Tensor>) => {
      if (last?.dict !== dict) {
        last = null; // the previous file's bytes can go before the next ones are built
        const bytes = saveSafetensors(dict, { metadata: { format: 'pt' } });
        last = { dict, bytes, sha256: sha256(bytes) };
      }
      const name = `${kind}.${id}.safetensors`;
      await writeFileAtomic(join(dir, name), last.bytes, `checkpoint/${kind}.<id>.safetensors`);
      return { name, bytes: last.bytes.length, sha256: last.sha256 };
    };
    const model = await write('model', weights.model);
    const best = weights.best ? await write('best', weights.best) : (previous?.best ?? null);
    const files: CheckpointFiles = { model, optimizer: await write('optimizer', weights.optimizer), best };
    const full: TrainState = { ...state, files };
    await writeFileAtomic(
      join(dir, 'state.json'),
      `${JSON.stringify(full, null, 2)}\n`,
      'checkpoint/state.json',
    );
    // Committed: the previous checkpoint's files are now garbage.
    const kept = new Set([files.model.name, files.optimizer.name, files.best?.name]);
    for (const kind of ['model', 'optimizer', 'best'] as const) {
      const old = previous?.[kind];
      if (old && !kept.has(old.name))
        await removeFile(join(dir, old.name), `checkpoint/${kind}.<id>.safetensors (previous)`);
    }
    return files;
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** A checkpoint file's absolute path. */
export function checkpointPath(runDir: string, name: string): string {
  return join(runDir, CHECKPOINT_DIR, name);
}

/**
 * Reads a run's checkpoint for `--resume`: null when the run has none yet (it stopped before its
 * first checkpoint), else its validated state, after checking that every file it names is there
 * with the recorded size and SHA-256. Anything inconsistent is a FormatError naming the file.
 */
export async function readCheckpoint(runDir: string, config: TrainConfig): Promise<TrainState | null> {
  const statePath = checkpointPath(runDir, 'state.json');
  if (!(await exists(statePath))) return null;
  const state = parseTrainState(await readJson(statePath, '--resume'), statePath, config);
  for (const kind of ['model', 'optimizer', 'best'] as const) {
    const ref = state.files[kind];
    if (!ref) continue;
    const path = checkpointPath(runDir, ref.name);
    let actual: { sha256: string; bytes: number };
    try {
      actual = await hashFile(path);
    } catch (error) {
      throw new FormatError(
        '--resume',
        `${path}, named by ${statePath}`,
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'no such file'
          : String((error as Error).message),
        'The checkpoint is incomplete; it cannot be resumed',
      );
    }
    if (actual.sha256 !== ref.sha256 || actual.bytes !== ref.bytes) {
      throw new FormatError(
        '--resume',
        `${path} as recorded in ${statePath} (${ref.bytes} bytes, SHA-256 ${ref.sha256.slice(0, 16)}…)`,
        `${actual.bytes} bytes, SHA-256 ${actual.sha256.slice(0, 16)}…`,
        'The file changed after its checkpoint was written; the checkpoint cannot be resumed',
      );
    }
  }
  return state;
}

/**
 * Removes what a killed process left in checkpoint/: temporary files, and weight files that the
 * committed state (`keep`, null when there is none) does not name. Files the trainer does not
 * write are left alone.
 */
export async function cleanCheckpointDir(runDir: string, keep: CheckpointFiles | null): Promise<void> {
  const dir = join(runDir, CHECKPOINT_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const named = new Set([keep?.model.name, keep?.optimizer.name, keep?.best?.name]);
  for (const name of names) {
    const leftover = TEMP_FILE.test(name)
      ? isCheckpointEntry(name)
      : WEIGHT_FILE.test(name) && !named.has(name);
    if (leftover) await removeFile(join(dir, name), 'checkpoint leftover');
  }
}
