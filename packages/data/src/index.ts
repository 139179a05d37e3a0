// @seqlab/data: text → tokens → ids → padded or packed batches. Node-only file readers live in
// `@seqlab/data/node`; this entry is browser-safe. Built-in datasets are in `@seqlab/datasets`.

// Tokenizers
export type {
  NormalizationForm,
  NormalizeOptions,
  Tokenizer,
} from './tokenize/tokenizer';
export { DEFAULT_WORD_PATTERN, WordTokenizer } from './tokenize/word';
export type { WordTokenizerOptions } from './tokenize/word';
export { CharTokenizer } from './tokenize/char';
export type { CharTokenizerOptions } from './tokenize/char';
export { BPE_PATTERNS, BPETokenizer, DEFAULT_BPE_PATTERN } from './tokenize/bpe';
export type {
  BPEDecodeOptions,
  BPEFromJSONOptions,
  BPEOptions,
  BPETokenizerJSON,
  BPETrainOptions,
} from './tokenize/bpe';

// Vocabulary
export { BOS_TOKEN, EOS_TOKEN, PAD_TOKEN, UNK_TOKEN, Vocab } from './vocab';
export type { VocabBuildOptions, VocabEncodeOptions, VocabJSON } from './vocab';

// Labels
export { LabelMap } from './labels';
export type { LabelMapJSON, LabelSpec } from './labels';

// Examples and splits
export type { DataSource, EncodedExample, TextExample } from './dataset';
export { stratifiedSplit } from './split';
export type { SplitRatios, Splits, StratifiedSplitOptions } from './split';

// Padding and packing (from @seqlab/tensor, re-exported so the input pipeline is in one place)
export {
  PackedSequence,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
} from '@seqlab/tensor';
export type { Lengths, PackOptions, PadPackedOptions, PadSequenceOptions } from '@seqlab/tensor';

// Collate: padded or packed batches
export { packCollate, padCollate } from './collate';
export type { PackedBatch, PaddedBatch, PaddingStats, PadCollateOptions } from './collate';

// Data loader
export { DataLoader } from './data-loader';
export type { BucketingOptions, DataLoaderOptions, EpochStats } from './data-loader';

// Synthetic long-range tasks
export { addingProblem, copyTask } from './synthetic';
export type { AddingProblemBatch, CopyTaskBatch, CopyTaskOptions, SyntheticOptions } from './synthetic';
