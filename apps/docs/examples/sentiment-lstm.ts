/**
 * The article's SentimentLSTM, end to end with the seqlab packages: text -> tokens -> ids ->
 * packed batches -> Embedding -> 2-layer bidirectional LSTM (dropout 0.3) -> the last layer's final
 * states (forward ‖ backward) -> Linear; cross-entropy, Adam, gradient clipping at 5, early
 * stopping on validation accuracy. The same model as the PyTorch reference
 * (../shared/bench/reference/train_reference.py), at smaller sizes by default so it runs in seconds.
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/sentiment-lstm.ts` (needs
 * ../shared/datasets/sentiment, the SST-2 sentences).
 */
import { readFileSync } from 'node:fs';
import { DataLoader, type EncodedExample, packCollate, Vocab, WordTokenizer } from '@seqlab/data';
import { crossEntropy, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import { EarlyStopping } from '@seqlab/metrics';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { cat, manualSeed, noGrad, type PackedSequence, type Tensor } from '@seqlab/tensor';

/** Sizes and training options. */
export interface SentimentOptions {
  embed?: number;
  hidden?: number;
  maxLen?: number;
  epochs?: number;
  batchSize?: number;
  trainLimit?: number;
  lr?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** The article's model: the state dict has PyTorch's names (embedding.*, lstm.*, fc.*). */
export class SentimentLSTM extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(vocabSize: number, embed: number, hidden: number) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { paddingIdx: 0 }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({
        inputSize: embed,
        hiddenSize: hidden,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        dropout: 0.3,
      }),
    );
    this.fc = this.registerModule('fc', new Linear(2 * hidden, 2));
  }

  forward(ids: PackedSequence): Tensor {
    // packed ids [N] -> embeddings [N, E] -> LSTM -> hN [4, B, H] -> [B, 2H] -> logits [B, 2]
    const { hN } = this.lstm.forward(ids.withData(this.embedding.forward(ids.data)));
    return this.fc.forward(cat([hN.select(0, 2), hN.select(0, 3)], 1));
  }
}

function readJsonl(path: string): { text: string; label: number }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { text: string; label: number });
}

/** Trains on ../shared/datasets/sentiment and returns the validation accuracy of every epoch. */
export function trainSentiment(dataDir: string, options: SentimentOptions = {}): number[] {
  const {
    embed = 32,
    hidden = 32,
    maxLen = 50,
    epochs = 3,
    batchSize = 32,
    lr = 1e-3,
    trainLimit = Infinity,
    seed = 0,
    log,
  } = options;
  manualSeed(seed);
  const tokenizer = new WordTokenizer({
    pattern: "[a-z0-9']+",
    lowercase: true,
    normalize: false,
    maxLength: maxLen,
  });
  const trainRows = readJsonl(`${dataDir}/train.jsonl`).slice(0, trainLimit);
  const validRows = readJsonl(`${dataDir}/valid.jsonl`);
  const vocab = Vocab.build(
    trainRows.map((r) => tokenizer.tokenize(r.text)),
    { maxSize: 10000 },
  );
  const encode = (rows: typeof trainRows): EncodedExample[] =>
    rows.map((r) => ({
      ids: vocab.encode(tokenizer.tokenize(r.text), { emptyAsUnk: true }),
      label: r.label,
    }));
  const train = encode(trainRows);
  const valid = encode(validRows);

  const model = new SentimentLSTM(vocab.size, embed, hidden);
  const optimizer = new Adam(model.parameters(), { lr });
  const early = new EarlyStopping({ patience: 2, mode: 'max' });
  const collate = packCollate();
  const accuracies: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    for (const batch of new DataLoader(train, { batchSize, shuffle: true, seed: seed + epoch, collate })) {
      const loss = crossEntropy(model.forward(batch.input), batch.labels);
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 5);
      optimizer.step();
    }
    model.eval();
    let correct = 0;
    noGrad(() => {
      for (const batch of new DataLoader(valid, { batchSize: 128, collate })) {
        const predicted = model.forward(batch.input).argmax(1);
        for (let i = 0; i < predicted.numel; i++) if (predicted.data[i] === batch.labels.data[i]) correct++;
      }
    });
    accuracies.push(correct / valid.length);
    log?.(`epoch ${epoch + 1}: valid accuracy ${(correct / valid.length).toFixed(4)}`);
    if (early.step(correct / valid.length)) break;
  }
  return accuracies;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  trainSentiment(new URL('../../../../shared/datasets/sentiment', import.meta.url).pathname, {
    log: console.log,
  });
}
