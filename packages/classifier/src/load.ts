import { ConfigError, FileError, formatValue, ready } from '@seqlab/tensor';
import { Classifier } from './classifier';
import { parseLabelsFile } from './labels-file';
import { type ModelConfig, parseModelConfig } from './model-config';
import { CLASSIFIER_FILES, type ClassifierFile, parseRunJson } from './run-json';
import { loadTextEncoder } from './text-encoder';
import { loadClassifierWeights, type SafetensorsReader, safetensorsBytes } from './weights';

/** A file's content: bytes (a Uint8Array or an ArrayBuffer) or, for the JSON files, its text. */
export type RunFileContent = Uint8Array | ArrayBuffer | string;

/** The four files of a run, given by the caller (read from an upload, IndexedDB, a bundle, …). */
export interface RunFiles {
  /** config.json. */
  config: RunFileContent;
  /** tokenizer.json. */
  tokenizer: RunFileContent;
  /** labels.json. */
  labels: RunFileContent;
  /** model.safetensors. */
  model: Uint8Array | ArrayBuffer;
}

/**
 * Where a run is: the URL of its directory (the four files are fetched from it; a relative URL
 * resolves against the page), or the files themselves. `@seqlab/classifier/node` also takes a
 * directory path.
 */
export type ClassifierSource = string | URL | RunFiles;

/** Options of loadTextClassifier. */
export interface LoadTextClassifierOptions<C extends ModelConfig = ModelConfig> {
  /** The fetch to use (default: the global one); for headers or credentials, wrap it. */
  fetch?: (url: string) => Promise<Response>;
  /**
   * Validates config.json (already parsed; `file` names it for messages). The default,
   * `parseModelConfig`, checks the model's fields and ignores the training options; the `seqlab`
   * CLI passes its whole training schema.
   */
  parseConfig?: (raw: unknown, file: string) => C;
  /** The name errors start with (default `loadTextClassifier`; the CLI uses its option, `--run`). */
  op?: string;
}

/** How the loader gets each file: from disk, over fetch or from the caller's bytes. */
export interface RunReader {
  /** Where the file is (a path or a URL), for messages. */
  where(file: ClassifierFile): string;
  /** The parsed JSON of config.json, tokenizer.json or labels.json (see parseRunJson). */
  json(file: Exclude<ClassifierFile, 'model'>): Promise<unknown>;
  /** model.safetensors with its header validated and no tensor read yet. */
  weights(): Promise<SafetensorsReader>;
}

/**
 * Loads a trained run as a Classifier, the way tfjs's `loadLayersModel` loads a model: from the
 * URL of its directory (a static site holding the four files `seqlab train` wrote), or from the
 * files' bytes. Browser-safe: the only I/O is `fetch`.
 *
 * It awaits the backend's `ready()` while the files load, so a page that only loads a run gets the
 * wasm kernels (fetched and compiled asynchronously, as a page must) without calling `ready()`
 * itself; a backend chosen before (`setBackend`, `registerNative()`) stays.
 *
 * Every file is validated before the model is built, with errors naming the file (SECURITY.md):
 * JSON nested at most 128 deep, config.json's model fields, tokenizer.json (built-in patterns
 * only), labels.json (the map sends `names[i]` to `i`), and the weights file's header against the
 * model config.json implies, before anything of that size is allocated.
 *
 * @throws {ConfigError} for a source that is none of the above
 * @throws {FileError} for a file that cannot be fetched (its URL and the HTTP status)
 * @throws {FormatError} naming the file, for a file that `seqlab train` did not write
 * @throws {NumericError} for weights holding a NaN or an infinity
 *
 * @example
 * ```ts
 * const classifier = await loadTextClassifier(new URL('./runs/spam/', location.href));
 * classifier.predict(['win a free cruise', 'minutes of the meeting']); // ['spam', 'ham']
 * ```
 */
export async function loadTextClassifier<C extends ModelConfig = ModelConfig>(
  source: ClassifierSource,
  options: LoadTextClassifierOptions<C> = {},
): Promise<Classifier<C>> {
  const op = options.op ?? 'loadTextClassifier';
  return loadFrom(sourceReader(source, op, options.fetch), options);
}

/** The reader of a URL or of bytes; anything else is a ConfigError. */
export function sourceReader(
  source: ClassifierSource,
  op: string,
  fetchFn?: (url: string) => Promise<Response>,
): RunReader {
  if (typeof source === 'string' || source instanceof URL) return urlReader(runUrl(source, op), op, fetchFn);
  if (source && typeof source === 'object') return bytesReader(source, op);
  throw new ConfigError(op, 'the URL of a run directory, or its files as bytes', formatValue(source));
}

/**
 * Loads the four files through `reader` (the loader of both entries; another reader, over a zip
 * or a cache, can use it too): the three JSON files validated in order, then the weights' header
 * against the model, then the model.
 */
export async function loadFrom<C extends ModelConfig>(
  reader: RunReader,
  options: LoadTextClassifierOptions<C>,
): Promise<Classifier<C>> {
  const op = options.op ?? 'loadTextClassifier';
  const parseConfig =
    options.parseConfig ?? ((raw: unknown, file: string) => parseModelConfig(raw, file, op) as C);
  // The backend gets ready (a page compiles the wasm kernels asynchronously) while the files load.
  const backend = ready();
  // The three JSON files are read (fetched) at once and validated in order; the weights only after.
  const json = (['config', 'tokenizer', 'labels'] as const).map((file) => reader.json(file));
  for (const pending of [backend, ...json]) pending.catch(() => undefined); // the first error is the one thrown
  const config = parseConfig(await json[0], reader.where('config'));
  const encoder = loadTextEncoder(await json[1], reader.where('tokenizer'));
  const { names, labels } = parseLabelsFile(await json[2], reader.where('labels'), op);
  const weights = await reader.weights();
  try {
    await backend;
    const model = await loadClassifierWeights(config, encoder.vocabSize, names.length, weights, op);
    model.eval();
    return new Classifier({ config, encoder, labels, labelNames: names, model });
  } finally {
    await weights.close();
  }
}

/** The directory URL of a run: relative URLs resolve against the page, a trailing `/` is added. */
function runUrl(source: string | URL, op: string): URL {
  let url: URL;
  try {
    url = new URL(source, (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new ConfigError(
      op,
      'an absolute URL of a run directory (a relative one needs a page to resolve against; a directory path needs @seqlab/classifier/node)',
      formatValue(String(source)),
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function urlReader(base: URL, op: string, fetchFn = (url: string) => fetch(url)): RunReader {
  const where = (file: ClassifierFile) => new URL(CLASSIFIER_FILES[file], base).href;
  async function get(file: ClassifierFile): Promise<Uint8Array> {
    const url = where(file);
    let response: Response;
    try {
      response = await fetchFn(url);
    } catch (error) {
      throw new FileError(op, 'a run file to fetch', url, `fetch failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      throw new FileError(
        op,
        'a run file to fetch',
        url,
        `HTTP ${response.status} ${response.statusText}`.trim(),
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }
  return {
    where,
    json: async (file) => parseRunJson(await get(file), where(file), op),
    weights: async () => safetensorsBytes(await get('model'), where('model'), op),
  };
}

function bytesReader(files: RunFiles, op: string): RunReader {
  const where = (file: ClassifierFile) => CLASSIFIER_FILES[file];
  const content = (file: ClassifierFile): Uint8Array | string => {
    const value: unknown = files[file];
    if (typeof value === 'string' && file !== 'model') return value;
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    throw new ConfigError(
      op,
      `${file}: the bytes of ${CLASSIFIER_FILES[file]} (a Uint8Array or an ArrayBuffer${file === 'model' ? '' : ', or its text'})`,
      formatValue(value),
    );
  };
  return {
    where,
    json: async (file) => parseRunJson(content(file), where(file), op),
    weights: async () => {
      const bytes = content('model');
      return safetensorsBytes(bytes as Uint8Array, where('model'), op);
    },
  };
}
