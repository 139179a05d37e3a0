// A model written the PyTorch way, with plain property assignment, trains end to end: Adam updates
// every layer (the fc included) and eval() turns its Dropout off.
import { crossEntropy, Dropout, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import { Adam } from '@seqlab/optim';
import { manualSeed, type Tensor, tensor } from '@seqlab/tensor';
import { expect, test } from 'vitest';

class SentimentLSTM extends Module {
  embedding: Embedding;
  lstm: LSTM;
  dropout: Dropout;
  fc: Linear;

  constructor(vocabSize: number, embed: number, hidden: number, classes: number) {
    super();
    this.embedding = new Embedding(vocabSize, embed, { paddingIdx: 0 });
    this.lstm = new LSTM({ inputSize: embed, hiddenSize: hidden, batchFirst: true });
    this.dropout = new Dropout(0.5);
    this.fc = new Linear(hidden, classes);
  }

  forward(ids: Tensor): Tensor {
    const { output } = this.lstm.forward(this.embedding.forward(ids)); // [B, T, H]
    return this.fc.forward(this.dropout.forward(output.select(1, -1))); // [B, C]
  }
}

test('Adam updates every parameter of a property-assigned model, the fc included, and the loss falls', () => {
  manualSeed(0);
  const model = new SentimentLSTM(12, 6, 8, 2);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const ids = tensor(
    [
      [1, 2, 3, 4],
      [5, 6, 7, 0],
      [8, 9, 10, 11],
      [2, 4, 6, 8],
    ],
    { dtype: 'int32' },
  );
  const labels = tensor([0, 1, 1, 0], { dtype: 'int32' });
  const before = new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()]));
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(ids), labels);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  for (const [key, value] of model.stateDict()) {
    expect(Array.from(value.data), key).not.toEqual(Array.from(before.get(key)!.data));
  }
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 5);

  model.eval();
  expect(model.dropout.training).toBe(false);
  expect(Array.from(model.forward(ids).data)).toEqual(Array.from(model.forward(ids).data));
});
