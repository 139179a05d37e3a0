/**
 * Guide 7's live demo: train a small LSTM sentiment classifier on a few hundred sentences, then
 * classify what the reader types. Plain TypeScript on the public packages: the page runs it in a
 * Web Worker (`train-classifier.worker.ts`) so the page stays responsive, and
 * `train-classifier.test.ts` runs it in Node. The training loop awaits `pause()` between batches,
 * which is where a worker reads its messages (the stop button) and reports progress.
 */
import { DataLoader, type EncodedExample, packCollate, Vocab, WordTokenizer } from '@seqlab/data';
import { crossEntropy, Embedding, Linear, LSTM, Module, ReLU, Sequential } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  manualSeed,
  noGrad,
  type PackedSequence,
  packSequence,
  padPackedSequence,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import type { Review } from './reviews';

/** Sizes and training options of the demo. */
export interface DemoOptions {
  /** `lstm` reads the words in order; `mean` averages their embeddings (order-blind). */
  model: 'lstm' | 'mean';
  embed: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/** Small enough to train in a few seconds on the wasm backend, big enough to learn "not" and "but". */
export const DEMO_DEFAULTS: DemoOptions = {
  model: 'lstm',
  embed: 16,
  hidden: 32,
  epochs: 6,
  batchSize: 16,
  lr: 0.01,
  seed: 0,
};

/**
 * Embedding → LSTM (packed) → the final hidden state → Linear: the article's SentimentLSTM, small.
 * With `mean`: Embedding → the mean over each sentence's tokens → Linear → ReLU → Linear, the
 * order-blind baseline.
 */
export class TinyClassifier extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM | null;
  readonly mlp: Sequential | null;
  readonly fc: Linear;

  constructor(
    model: DemoOptions['model'],
    vocabSize: number,
    embed: number,
    hidden: number,
    classes: number,
  ) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { paddingIdx: 0 }));
    this.lstm =
      model === 'lstm'
        ? this.registerModule('lstm', new LSTM({ inputSize: embed, hiddenSize: hidden, batchFirst: true }))
        : null;
    this.mlp =
      model === 'mean'
        ? this.registerModule('mlp', new Sequential(new Linear(embed, hidden), new ReLU()))
        : null;
    this.fc = this.registerModule('fc', new Linear(hidden, classes));
  }

  /** Packed ids [N] → logits [B, classes], in the batch's own order. */
  forward(ids: PackedSequence): Tensor {
    const embedded = ids.withData(this.embedding.forward(ids.data));
    if (this.lstm) return this.fc.forward(this.lstm.forward(embedded).hN.select(0, 0));
    // [B, T, E] padded with zeros → Σ_t / length → [B, E]
    const [padded, lengths] = padPackedSequence(embedded, { batchFirst: true });
    const mean = padded.sum(1).div(lengths.float().unsqueeze(1));
    return this.fc.forward((this.mlp as Sequential).forward(mean));
  }
}

/** After each epoch: mean training loss and accuracy on the held-out sentences. */
export interface EpochReport {
  epoch: number;
  loss: number;
  accuracy: number;
}

/** Reported after every batch (the progress bar) and every epoch. */
export interface TrainProgress {
  batchesDone: number;
  batchesTotal: number;
  epochs: EpochReport[];
}

/** What `trainClassifier` may be told while it runs. */
export interface TrainHooks {
  onProgress?: (progress: TrainProgress) => void;
  /** Awaited between batches; a worker lets its message queue run here. */
  pause?: () => Promise<void>;
  /** Read between batches: true stops the run after the current batch. */
  shouldStop?: () => boolean;
}

/** A trained classifier and how its training went. */
export interface TrainedClassifier {
  epochs: EpochReport[];
  /** Accuracy on the held-out sentences after the last epoch run (or after the stop). */
  accuracy: number;
  stopped: boolean;
  /** Class probabilities of each text, in the order of `labels`. */
  classify: (text: string) => { tokens: string[]; known: boolean[]; probabilities: number[] };
}

const tokenizer = new WordTokenizer();

/** Sentences → token ids (an unknown word is `<unk>`, an empty text the single token `<unk>`). */
function encode(vocab: Vocab, rows: readonly Review[]): EncodedExample[] {
  return rows.map((r) => ({
    ids: vocab.encode(tokenizer.tokenize(r.text), { emptyAsUnk: true }),
    label: r.label,
  }));
}

function accuracy(model: TinyClassifier, examples: readonly EncodedExample[]): number {
  model.eval();
  let correct = 0;
  noGrad(() => {
    for (const batch of new DataLoader(examples, { batchSize: 100, collate: packCollate() })) {
      const predicted = model.forward(batch.input).argmax(1);
      for (let i = 0; i < predicted.numel; i++) if (predicted.data[i] === batch.labels.data[i]) correct++;
    }
  });
  return correct / examples.length;
}

/**
 * Trains `TinyClassifier` on `train` with Adam and gradient clipping at 1, one shuffled epoch after
 * another, and measures accuracy on `test` after each. Deterministic for a seed and a backend.
 */
export async function trainClassifier(
  train: readonly Review[],
  test: readonly Review[],
  options: Partial<DemoOptions> = {},
  hooks: TrainHooks = {},
): Promise<TrainedClassifier> {
  const o = { ...DEMO_DEFAULTS, ...options };
  manualSeed(o.seed);
  const vocab = Vocab.build(train.map((r) => tokenizer.tokenize(r.text)));
  const trainIds = encode(vocab, train);
  const testIds = encode(vocab, test);
  const model = new TinyClassifier(o.model, vocab.size, o.embed, o.hidden, 2);
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const perEpoch = Math.ceil(train.length / o.batchSize);
  const progress: TrainProgress = { batchesDone: 0, batchesTotal: perEpoch * o.epochs, epochs: [] };
  let stopped = false;
  for (let epoch = 1; epoch <= o.epochs && !stopped; epoch++) {
    model.train();
    let lossSum = 0;
    let batches = 0;
    const loader = new DataLoader(trainIds, {
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed + epoch,
      collate: packCollate(),
    });
    for (const batch of loader) {
      const loss = crossEntropy(model.forward(batch.input), batch.labels);
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      optimizer.step();
      lossSum += loss.item();
      batches++;
      progress.batchesDone++;
      hooks.onProgress?.(progress);
      await hooks.pause?.();
      if (hooks.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
    if (stopped && batches < perEpoch) break; // a partial epoch is not reported as one
    progress.epochs.push({ epoch, loss: lossSum / batches, accuracy: accuracy(model, testIds) });
    hooks.onProgress?.(progress);
  }
  model.eval();
  const classify = (text: string) => {
    const tokens = tokenizer.tokenize(text);
    const ids = vocab.encode(tokens, { emptyAsUnk: true });
    const probabilities = noGrad(() =>
      Array.from(model.forward(packSequence([tensor(ids, { dtype: 'int32' })])).softmax(1).data),
    );
    return { tokens, known: tokens.map((t) => vocab.has(t)), probabilities };
  };
  return { epochs: progress.epochs, accuracy: accuracy(model, testIds), stopped, classify };
}
