import { type EncodedExample, packCollate, padCollate } from '@seqlab/data';
import type { Tensor } from '@seqlab/tensor';
import type { ClassifierBatch, TextClassifier } from './model';

/** A batch for the classifier plus its labels and token count. */
export interface LabeledBatch extends ClassifierBatch {
  labels: Tensor;
  tokens: number;
}

const pack = packCollate();
const pad = padCollate({ batchFirst: true });

/** Collates encoded examples the way the model reads them (packed ids, or padded for `bag`). */
export function collate(model: TextClassifier, examples: readonly EncodedExample[]): LabeledBatch {
  if (model.mlp) {
    const b = pad(examples);
    return { packed: null, padded: b.input, lengths: b.lengths, labels: b.labels, tokens: b.numTokens };
  }
  const b = pack(examples);
  return { packed: b.input, padded: null, lengths: b.lengths, labels: b.labels, tokens: b.numTokens };
}
