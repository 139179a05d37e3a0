// The second bundle budget (tools/pack-smoke/browser-bundle.slow.test.ts): a training pipeline with
// @seqlab/tensor, @seqlab/layers, @seqlab/optim and @seqlab/data, ≤ 50 KB gzip. Text -> tokens ->
// ids -> packed batches -> Embedding -> LSTM -> Linear; cross-entropy, Adam, gradient clipping.
import { DataLoader, packCollate, Vocab, WordTokenizer } from '@seqlab/data';
import { crossEntropy, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { manualSeed, ready } from '@seqlab/tensor';

const ROWS = [
  ['a great match for the home team', 0],
  ['the team won the final in extra time', 0],
  ['our striker scored twice tonight', 0],
  ['the coach praised the young players', 0],
  ['rain and wind expected all weekend', 1],
  ['a sunny morning then heavy showers', 1],
  ['cold nights with frost in the valleys', 1],
  ['storm warnings for the whole coast', 1],
];

class Classifier extends Module {
  constructor(vocabSize) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, 8, { paddingIdx: 0 }));
    this.lstm = this.registerModule('lstm', new LSTM({ inputSize: 8, hiddenSize: 12, batchFirst: true }));
    this.fc = this.registerModule('fc', new Linear(12, 2));
  }

  forward(ids) {
    // packed ids [N] -> embeddings [N, 8] -> hN [1, B, 12] -> logits [B, 2]
    const { hN } = this.lstm.forward(ids.withData(this.embedding.forward(ids.data)));
    return this.fc.forward(hN.select(0, 0));
  }
}

/**
 * Trains for `epochs` and returns the mean loss of each; with a `job` (@seqlab/tensor/worker), it
 * posts each epoch's loss and stops when the page asks.
 */
export async function train({ epochs }, job) {
  const backend = await ready();
  manualSeed(0);
  const tokenizer = new WordTokenizer({ lowercase: true });
  const vocab = Vocab.build(ROWS.map(([text]) => tokenizer.tokenize(text)));
  const examples = ROWS.map(([text, label]) => ({ ids: vocab.encode(tokenizer.tokenize(text)), label }));
  const model = new Classifier(vocab.size);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const collate = packCollate();
  const losses = [];
  for (let epoch = 1; epoch <= epochs && !job?.signal.aborted; epoch++) {
    let sum = 0;
    let batches = 0;
    for (const batch of new DataLoader(examples, { batchSize: 4, shuffle: true, seed: epoch, collate })) {
      const loss = crossEntropy(model.forward(batch.input), batch.labels);
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 5);
      optimizer.step();
      sum += loss.item();
      batches++;
    }
    losses.push(sum / batches);
    await job?.progress({ epoch, loss: sum / batches });
  }
  return { backend, losses };
}
