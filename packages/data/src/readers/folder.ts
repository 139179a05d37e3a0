import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ConfigError, checkOptions, FormatError, optionKeys } from '@seqlab/tensor';
import { type LocatedExample, READER_KEYS, type ReaderOptions, type RowSink, TextSource } from './source';
import { decodeUtf8, lineOf } from './utf8';

/** Options of `readFolder`. */
export interface FolderReaderOptions extends Omit<ReaderOptions, 'labels'> {
  /**
   * The class folders to read, in label-id order. Default: every sub-folder, sorted by name
   * (torchvision's `ImageFolder` rule: `neg` = 0, `pos` = 1 for IMDB).
   */
  classes?: readonly string[];
  /** File extensions to read (with the dot). Default `['.txt']`. */
  extensions?: readonly string[];
}

/**
 * Reads a folder-per-class corpus: `root/<class>/<file>.txt`, one example per file, label = the
 * class folder's position in `classes` — the IMDB layout `aclImdb/train/{neg,pos}/*.txt`
 * (`readFolder('aclImdb/train')`). Files are listed up front (names only) and read one at a time as
 * the iteration reaches them, class by class, in name order; texts are returned as stored (IMDB's
 * `<br />` included). A leading BOM is dropped.
 *
 * A file that is not valid UTF-8 or is empty (whitespace only) fails the read with a FormatError
 * naming the file and line (`onError: 'throw'`, default) or is skipped and counted in `report`.
 *
 * @example
 * ```ts
 * const train = readFolder('aclImdb/train', { classes: ['neg', 'pos'] });
 * for await (const { text, label, file } of train) { … }
 * ```
 */
export function readFolder(root: string, options: FolderReaderOptions = {}): TextSource {
  const op = 'readFolder';
  const { labels: _, ...readerKeys } = READER_KEYS;
  checkOptions(
    op,
    options,
    optionKeys<FolderReaderOptions>({ ...readerKeys, classes: true, extensions: true }),
  );
  const extensions = options.extensions ?? ['.txt'];
  if (!Array.isArray(extensions) || extensions.some((e) => typeof e !== 'string' || !e.startsWith('.'))) {
    throw new ConfigError(op, "extensions like ['.txt']", JSON.stringify(extensions));
  }
  if (options.classes !== undefined && (!Array.isArray(options.classes) || options.classes.length === 0)) {
    throw new ConfigError(op, 'classes a non-empty list of folder names', JSON.stringify(options.classes));
  }
  const classes = options.classes ? [...options.classes] : null;
  return new TextSource(op, root, { ...options, labels: classes ?? 'build' }, (sink) =>
    folderRows(root, classes, extensions, sink),
  );
}

async function* folderRows(
  root: string,
  given: string[] | null,
  extensions: readonly string[],
  sink: RowSink,
): AsyncGenerator<LocatedExample> {
  let classes = given;
  if (!classes) {
    const entries = await readdir(root, { withFileTypes: true });
    classes = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(byCodeUnit);
    if (classes.length === 0) {
      throw new FormatError(
        sink.op,
        `class sub-folders in ${root}`,
        'none',
        'Expected root/<class>/<file>.txt',
      );
    }
    // Register every class up front, so ids follow the sorted names even if a folder is empty.
    for (const name of classes) sink.labels.encode(name);
  }
  for (const name of classes) {
    const dir = join(root, name);
    const files = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && extensions.includes(extname(e.name)))
      .map((e) => e.name)
      .sort(byCodeUnit);
    for (const fileName of files) {
      const file = join(dir, fileName);
      sink.report.rows++;
      const bytes = await readFile(file);
      const decoded = decodeUtf8(bytes);
      if (typeof decoded !== 'string') {
        const { line, column } = lineOf(bytes, decoded.offset);
        const byte = decoded.byte.toString(16).padStart(2, '0');
        sink.reject(
          line,
          'invalid UTF-8',
          'valid UTF-8',
          `byte 0x${byte} at byte ${column} of the line`,
          file,
        );
        continue;
      }
      const text = decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded;
      const example = sink.accept(1, text, name, file);
      if (example) yield example;
    }
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
