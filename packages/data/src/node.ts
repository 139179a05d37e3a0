// @seqlab/data/node: the parts that need Node (file system, crypto). They import shared classes
// from '@seqlab/data' by name, so both entries use one LabelMap.

export type {
  SpamAssassinExample,
  SpamAssassinOptions,
  SpamAssassinSplitName,
} from './datasets/spam-assassin';
// Datasets
export { emailBody, SPAM_ASSASSIN_LABELS, spamAssassin, spamAssassinSplit } from './datasets/spam-assassin';
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
