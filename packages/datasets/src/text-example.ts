/**
 * One labelled text, the shape of `TextExample` in `@seqlab/data` (the types are structural, so a
 * dataset feeds `stratifiedSplit`, `Vocab.build` and the `DataLoader` as it is). Declared here so
 * `@seqlab/datasets` needs only `@seqlab/tensor`.
 */
export interface TextExample {
  /** The text. */
  text: string;
  /** Class id, 0-based (see the dataset's `*_LABELS` for the names). */
  label: number;
}
