/** One labelled text: what the readers and the built-in datasets produce. */
export interface TextExample {
  /** The text. */
  text: string;
  /** Class id, 0-based (see the source's label map for the names). */
  label: number;
}

/** One labelled sequence of token ids: what `padCollate` and `packCollate` batch. */
export interface EncodedExample {
  /** Token ids (`Vocab.encode`, `BPETokenizer.encode`). */
  ids: readonly number[] | Int32Array;
  /** Class id, 0-based. */
  label: number;
}

/**
 * What a `DataLoader` reads: an array (random access: full shuffles, `length`), or any iterable or
 * async iterable (streamed: shuffled and bucketed chunk by chunk).
 */
export type DataSource<T> = readonly T[] | Iterable<T> | AsyncIterable<T>;
