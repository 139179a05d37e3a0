import type { LabelMap } from '@seqlab/data';
import { ConfigError, formatValue, NumericError, noGrad, softmax, tidy } from '@seqlab/tensor';
import { collate } from './collate';
import type { TextClassifier } from './model';
import type { ModelConfig } from './model-config';
import type { TextEncoder } from './text-encoder';

/** One text's prediction: the most likely class (the first on ties) and every class's probability. */
export interface Prediction {
  /** The class name, `labelNames[index]`. */
  label: string;
  index: number;
  /** Softmax probabilities in the order of `labelNames`. */
  probabilities: number[];
}

/** Texts per forward pass. */
const BATCH_SIZE = 64;

/**
 * A trained classifier with what it needs to read text: the network, the run's tokenizer and
 * vocabulary, and the class names. `loadTextClassifier` returns one.
 *
 * @example
 * ```ts
 * const classifier = await loadTextClassifier('https://example.com/runs/spam/');
 * classifier.predict(['win a free cruise']); // ['spam']
 * classifier.predictProba(['win a free cruise']); // [[0.02, 0.98]], in the order of labelNames
 * ```
 */
export class Classifier<C extends ModelConfig = ModelConfig> {
  /** config.json as the loader parsed it (its model fields, or the caller's whole schema). */
  readonly config: C;
  readonly encoder: TextEncoder;
  /** The label map of the run (raw label → class id). */
  readonly labels: LabelMap;
  /** The class names by id. */
  readonly labelNames: readonly string[];
  /** The network, in eval mode. */
  readonly model: TextClassifier;

  constructor(parts: {
    config: C;
    encoder: TextEncoder;
    labels: LabelMap;
    labelNames: readonly string[];
    model: TextClassifier;
  }) {
    this.config = parts.config;
    this.encoder = parts.encoder;
    this.labels = parts.labels;
    this.labelNames = parts.labelNames;
    this.model = parts.model;
  }

  /** The most likely class name of each text. */
  predict(texts: readonly string[]): string[] {
    return this.classify(texts).map((p) => p.label);
  }

  /** Each text's class probabilities [texts.length][labelNames.length], in the order of labelNames. */
  predictProba(texts: readonly string[]): number[][] {
    return this.classify(texts).map((p) => p.probabilities);
  }

  /**
   * Each text's label and probabilities, from one forward pass per 64 texts (without gradients, in
   * eval mode). The same texts give the same numbers in Node and in a browser.
   *
   * @throws {ConfigError} when `texts` is not an array of strings
   * @throws {NumericError} when a probability is NaN or infinite (weights too large to run)
   */
  classify(texts: readonly string[]): Prediction[] {
    const op = 'Classifier.classify';
    if (!Array.isArray(texts)) throw new ConfigError(op, 'an array of texts', formatValue(texts));
    const bad = texts.findIndex((t) => typeof t !== 'string');
    if (bad >= 0) throw new ConfigError(op, `texts[${bad}] to be a string`, formatValue(texts[bad]));
    const out: Prediction[] = [];
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      noGrad(() => {
        for (let i = 0; i < texts.length; i += BATCH_SIZE) {
          const chunk = texts
            .slice(i, i + BATCH_SIZE)
            .map((text) => ({ ids: this.encoder.encode(text), label: 0 }));
          // What each chunk made goes back to the storage pool for the next (NOTE(tidy)).
          tidy(() => {
            const probs = softmax(this.model.forward(collate(this.model, chunk)), 1);
            const C = probs.shape[1];
            for (let r = 0; r < chunk.length; r++) {
              const row = Array.from(probs.data.subarray(r * C, (r + 1) * C));
              const index = argmax(row, i + r, texts.length);
              out.push({ label: this.labelNames[index], index, probabilities: row });
            }
          });
        }
      });
    } finally {
      this.model.train(wasTraining);
    }
    return out;
  }
}

/**
 * The most likely class of one text's probabilities (the first on ties). A NaN or infinite
 * probability has no most likely class: a NumericError, never a made-up label.
 */
function argmax(row: readonly number[], index: number, count: number): number {
  let best = 0;
  for (let k = 0; k < row.length; k++) {
    if (!Number.isFinite(row[k])) {
      throw new NumericError(
        'Classifier.classify',
        'finite class probabilities',
        `${row[k]} for class ${k} of text ${index + 1} of ${count}`,
        "The model's output overflowed: its weights are too large (a run that diverged?)",
      );
    }
    if (row[k] > row[best]) best = k;
  }
  return best;
}
