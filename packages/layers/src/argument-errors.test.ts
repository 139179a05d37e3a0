// Layer forwards and losses given a plain array (or nothing) instead of a Tensor: a ConfigError that
// names the op, says a Tensor was expected, names what was given and how to make one.
import {
  bceWithLogits,
  CrossEntropyLoss,
  crossEntropy,
  Dropout,
  Embedding,
  GRU,
  LayerNorm,
  Linear,
  LSTM,
  LSTMCell,
  mseLoss,
  nllLoss,
  ReLU,
  RNNCell,
  Sequential,
} from '@seqlab/layers';
import { ConfigError, randn, type Tensor, tensor } from '@seqlab/tensor';
import { expect, test } from 'vitest';

const bad = <T>(v: unknown): T => v as T;
const logits = randn([3, 2]);

test.each([
  [
    'crossEntropy target',
    () => crossEntropy(logits, bad([0, 1, 1])),
    "crossEntropy: expected target to be a Tensor, got an Array of 3 numbers. Make integer indices with tensor([0, 1, 1], { dtype: 'int32' })",
  ],
  [
    'crossEntropy input',
    () => crossEntropy(bad([[0.1, 0.9]]), bad([1])),
    'crossEntropy: expected input to be a Tensor, got an Array of 1 Array. Make one with tensor([[0.1, 0.9]])',
  ],
  [
    'CrossEntropyLoss module',
    () => new CrossEntropyLoss().forward(logits, bad(undefined)),
    'crossEntropy: expected target to be a Tensor, got undefined',
  ],
  [
    'nllLoss',
    () => nllLoss(bad(undefined), bad([1])),
    'nllLoss: expected input to be a Tensor, got undefined',
  ],
  [
    'mseLoss',
    () => mseLoss(logits, bad([1, 2])),
    'mseLoss: expected target to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
  ],
  [
    'bceWithLogits',
    () => bceWithLogits(logits, bad(0.5)),
    'bceWithLogits: expected target to be a Tensor, got the number 0.5',
  ],
  [
    'Linear.forward',
    () => new Linear(2, 3).forward(bad([1, 2])),
    'Linear.forward: expected input to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
  ],
  [
    'Embedding.forward',
    () => new Embedding(10, 3).forward(bad([[4, 9, 1]])),
    "Embedding.forward: expected ids to be a Tensor, got an Array of 1 Array. Make integer indices with tensor([[4, 9, 1]], { dtype: 'int32' })",
  ],
  [
    'Dropout.forward',
    () => new Dropout(0.1).forward(bad(undefined)),
    'Dropout.forward: expected input to be a Tensor, got undefined',
  ],
  [
    'LayerNorm.forward',
    () => new LayerNorm(2).forward(bad([1, 2])),
    'LayerNorm.forward: expected input to be a Tensor',
  ],
  [
    'ReLU in Sequential',
    () => new Sequential(new ReLU()).forward(bad([1])),
    'ReLU.forward: expected input to be a Tensor',
  ],
  [
    'LSTM.forward',
    () => new LSTM({ inputSize: 2, hiddenSize: 3 }).forward(bad([[[1, 2]]])),
    'LSTM.forward: expected input (or a PackedSequence) to be a Tensor, got an Array of 1 Array. Make one with tensor([[[1, 2]]])',
  ],
  [
    'LSTM.forward, a look-alike of a PackedSequence',
    () =>
      new LSTM({ inputSize: 1, hiddenSize: 3 }).forward(
        bad({ data: tensor([[1], [2]]), batchSizes: new Int32Array([1, 1]) }),
      ),
    'LSTM.forward: expected input (or a PackedSequence) to be a Tensor, got a plain object with keys data, batchSizes',
  ],
  [
    'GRU.forward',
    () => new GRU({ inputSize: 2, hiddenSize: 3 }).forward(bad(undefined)),
    'GRU.forward: expected input (or a PackedSequence) to be a Tensor, got undefined',
  ],
  [
    'LSTMCell.forward',
    () => new LSTMCell({ inputSize: 2, hiddenSize: 3 }).forward(bad([1, 2])),
    'LSTMCell.forward: expected input to be a Tensor',
  ],
  [
    'RNNCell.forward',
    () => new RNNCell({ inputSize: 2, hiddenSize: 3 }).forward(bad({ x: 1 })),
    'RNNCell.forward: expected input to be a Tensor, got a plain object with keys x',
  ],
])('%s', (_, call: () => Tensor | object, message) => {
  expect(call).toThrow(ConfigError);
  expect(call).toThrow(message);
});
