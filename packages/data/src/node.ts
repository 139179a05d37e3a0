// @seqlab/data/node: the parts that need Node (the file system). They import shared classes from
// '@seqlab/data' by name, so both entries use one LabelMap. The SpamAssassin corpus is in
// `@seqlab/datasets/node`.

export type { CsvReaderOptions } from './readers/csv';
// Readers (streaming)
export { readCsv, readTsv } from './readers/csv';
export type { FolderReaderOptions } from './readers/folder';
export { readFolder } from './readers/folder';
export type { JsonlReaderOptions } from './readers/jsonl';
export { readJsonl } from './readers/jsonl';
export type {
  ColumnReaderOptions,
  LocatedExample,
  ReaderOptions,
  ReadReport,
  RowError,
  RowErrorReason,
} from './readers/source';
export { TextSource } from './readers/source';
