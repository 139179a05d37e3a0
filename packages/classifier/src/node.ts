// @seqlab/classifier/node: run directories on disk. It imports the main entry by the package's
// name, so both entries share one Classifier and one TextClassifier class.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASSIFIER_FILES,
  type Classifier,
  type ClassifierSource,
  type LoadTextClassifierOptions,
  loadFrom,
  type ModelConfig,
  parseRunJson,
  type RunReader,
  type SafetensorsReader,
  sourceReader,
} from '@seqlab/classifier';
import { ConfigError, FileError } from '@seqlab/tensor';
import { openSafetensorsFile, readRegularFile } from '@seqlab/tensor/node';

/**
 * `loadTextClassifier` of the main entry, which also takes a run directory: a path (relative to
 * the working directory) or a `file:` URL. The files are read as SECURITY.md says: regular files
 * only (a FIFO is refused, not waited on), errors naming the path and its `code`; the weights
 * file's header first, then one tensor at a time (never the whole file in memory twice).
 *
 * @example
 * ```ts
 * import { loadTextClassifier } from '@seqlab/classifier/node';
 * const classifier = await loadTextClassifier('runs/spam');
 * classifier.predict(['win a free cruise']); // ['spam']
 * ```
 */
export async function loadTextClassifier<C extends ModelConfig = ModelConfig>(
  source: ClassifierSource,
  options: LoadTextClassifierOptions<C> = {},
): Promise<Classifier<C>> {
  const op = options.op ?? 'loadTextClassifier';
  const dir = directoryOf(source);
  const reader = dir === null ? sourceReader(source, op, options.fetch) : directoryReader(dir, op);
  return loadFrom(reader, options);
}

/** The directory a source names (a path or a `file:` URL), or null for http(s) URLs and bytes. */
function directoryOf(source: ClassifierSource): string | null {
  if (source instanceof URL) return source.protocol === 'file:' ? fileURLToPath(source) : null;
  if (typeof source !== 'string') return null;
  if (/^file:/i.test(source)) return fileURLToPath(source);
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(source) ? null : resolve(source);
}

/** The hint of a missing run file: the option (or op) that named the directory. */
function notARun(op: string): string {
  return op.startsWith('--')
    ? `Is ${op} a directory written by seqlab train?`
    : 'Is it a run directory written by seqlab train?';
}

function directoryReader(dir: string, op: string): RunReader {
  const where = (file: keyof typeof CLASSIFIER_FILES) => resolve(dir, CLASSIFIER_FILES[file]);
  return {
    where,
    json: (file) => readRunJson(where(file), op),
    weights: () => openRunWeights(where('model'), op),
  };
}

/**
 * Reads a JSON file of a run directory: a regular file (a FIFO planted in a shared run directory
 * would block a read forever), nested at most 128 deep, then parsed.
 *
 * @throws {ConfigError} `<op>: expected an existing run file, got <path> (missing | EISDIR | …)`
 * @throws {FormatError} for nesting over 128 levels or invalid JSON, naming the path
 */
export async function readRunJson(path: string, op: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(op, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      op,
      'an existing run file',
      `${path} (${code === 'ENOENT' ? 'missing' : (code ?? 'not a regular file')})`,
      notARun(op),
    );
  }
  return parseRunJson(bytes, path, op);
}

/**
 * Opens a run's weights file, reading and validating its header only (see openSafetensorsFile).
 *
 * @throws {ConfigError} when the file is missing (naming it and the op)
 * @throws {FileError} when it cannot be read (a directory, no permission, a FIFO)
 * @throws {FormatError} when its header is not valid safetensors
 */
export async function openRunWeights(path: string, op: string): Promise<SafetensorsReader> {
  try {
    return await openSafetensorsFile(path);
  } catch (error) {
    if (error instanceof FileError && error.code === 'ENOENT') {
      throw new ConfigError(op, 'an existing model file', `${path} (missing)`, notARun(op));
    }
    throw error;
  }
}
