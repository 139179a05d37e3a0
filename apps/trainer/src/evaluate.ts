import { collate, type TextClassifier, type TextEncoder } from '@seqlab/classifier';
import type { EncodedExample, TextExample } from '@seqlab/data';
import { crossEntropy } from '@seqlab/layers';
import { accuracyScore, confusionMatrix, f1Score } from '@seqlab/metrics';
import { NumericError, noGrad, softmax, tidy } from '@seqlab/tensor';

/** Encodes examples (ids + label). */
export function encodeAll(encoder: TextEncoder, examples: readonly TextExample[]): EncodedExample[] {
  return examples.map((e) => ({ ids: encoder.encode(e.text), label: e.label }));
}

/** Loss, accuracy, macro-F1 and the confusion matrix of a model on examples. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  macroF1: number;
  confusion: number[][];
  predictions: number[];
  probabilities: number[][];
}

/**
 * The most likely class of one example's probabilities (the first on ties). A NaN or infinite
 * probability is a NumericError: it has no most likely class, and dropping it (the index -1 that
 * `indexOf(Math.max(...row))` gives) would leave it out of the confusion matrix unnoticed.
 */
function argmax(row: readonly number[], index: number, count: number): number {
  let best = 0;
  for (let k = 0; k < row.length; k++) {
    if (!Number.isFinite(row[k])) {
      throw new NumericError(
        'evaluate',
        'finite class probabilities',
        `${row[k]} for class ${k} of example ${index + 1} of ${count}`,
        "The model's output overflowed: its weights are too large (a run that diverged?)",
      );
    }
    if (row[k] > row[best]) best = k;
  }
  return best;
}

/** Runs the model in eval mode without gradients over `examples` in batches. */
export function evaluate(
  model: TextClassifier,
  examples: readonly EncodedExample[],
  numClasses: number,
  batchSize = 64,
): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  const predictions: number[] = [];
  const probabilities: number[][] = [];
  const truth: number[] = [];
  noGrad(() => {
    for (let i = 0; i < examples.length; i += batchSize) {
      const chunk = examples.slice(i, i + batchSize);
      // What each batch made goes back to the storage pool for the next (NOTE(tidy)).
      tidy(() => {
        const batch = collate(model, chunk);
        const logits = model.forward(batch);
        lossSum += crossEntropy(logits, batch.labels, { reduction: 'sum' }).item();
        const probs = softmax(logits, 1);
        const C = probs.shape[1];
        for (let r = 0; r < chunk.length; r++) {
          const row = Array.from(probs.data.subarray(r * C, (r + 1) * C));
          probabilities.push(row);
          predictions.push(argmax(row, i + r, examples.length));
          truth.push(chunk[r].label);
        }
      });
    }
  });
  model.train(wasTraining);
  const labels = Array.from({ length: numClasses }, (_, k) => k);
  return {
    loss: lossSum / Math.max(1, examples.length),
    accuracy: accuracyScore(truth, predictions),
    macroF1: f1Score(truth, predictions, { average: 'macro', labels }),
    confusion: confusionMatrix(truth, predictions, { labels }),
    predictions,
    probabilities,
  };
}
