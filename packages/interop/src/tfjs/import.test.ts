/**
 * TF.js layers models built and saved by @tensorflow/tfjs (pure-JS cpu backend), imported with
 * `importTfjsLayersModel`: the seqlab model's forward equals TF.js's `predict` within 1e-5 on
 * batches of 3 sequences of 5 steps. Weights are seeded U(−0.5, 0.5), biases included.
 */
import { importTfjsLayersModel, KerasRecurrent } from '@seqlab/interop';
import { LSTM, RNN } from '@seqlab/layers';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  expectSameOutput,
  inputs,
  predict,
  randomizeWeights,
  save,
  seqlabInput,
  tf,
  useCpu,
} from '../../test/tfjs-models';

beforeAll(useCpu);

const B = 3;
const T = 5;
const F = 4;
const sigmoid = { recurrentActivation: 'sigmoid' } as const;

interface Case {
  name: string;
  build: () => tf.LayersModel;
  /** Vocabulary size when the model reads ids. */
  vocab?: number;
}

const seq = (...layers: tf.layers.Layer[]) => {
  const model = tf.sequential();
  for (const layer of layers) model.add(layer);
  return model;
};
const inputShape = [T, F];

const CASES: Case[] = [
  {
    name: 'SimpleRNN (tanh), return_sequences',
    build: () => seq(tf.layers.simpleRNN({ units: 6, returnSequences: true, inputShape })),
  },
  {
    name: 'SimpleRNN (relu), last step, go_backwards',
    build: () => seq(tf.layers.simpleRNN({ units: 6, activation: 'relu', goBackwards: true, inputShape })),
  },
  {
    name: 'LSTM, last step',
    build: () => seq(tf.layers.lstm({ units: 7, ...sigmoid, inputShape })),
  },
  {
    name: 'LSTM, return_sequences, go_backwards',
    build: () =>
      seq(tf.layers.lstm({ units: 7, ...sigmoid, returnSequences: true, goBackwards: true, inputShape })),
  },
  {
    name: 'LSTM without bias',
    build: () =>
      seq(tf.layers.lstm({ units: 5, ...sigmoid, useBias: false, returnSequences: true, inputShape })),
  },
  {
    name: 'Bidirectional LSTM, return_sequences',
    build: () =>
      seq(
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 4, ...sigmoid, returnSequences: true }),
          inputShape,
        }),
      ),
  },
  {
    name: 'Bidirectional SimpleRNN, last step',
    build: () =>
      seq(tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4 }) as tf.RNN, inputShape })),
  },
  {
    name: 'stacked: Bidirectional LSTM -> LSTM go_backwards -> SimpleRNN -> Dense',
    build: () =>
      seq(
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 4, ...sigmoid, returnSequences: true }),
          inputShape,
        }),
        tf.layers.lstm({ units: 5, ...sigmoid, returnSequences: true, goBackwards: true }),
        tf.layers.simpleRNN({ units: 3 }),
        tf.layers.dense({ units: 2 }),
      ),
  },
  {
    name: 'LSTM sequence -> Dense per step (tanh) -> Activation (sigmoid) -> Dense (relu)',
    build: () =>
      seq(
        tf.layers.lstm({ units: 6, ...sigmoid, returnSequences: true, inputShape }),
        tf.layers.dense({ units: 4, activation: 'tanh' }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.dense({ units: 3, activation: 'relu', useBias: false }),
      ),
  },
  {
    name: 'text classifier: Embedding -> Bidirectional LSTM -> Dropout -> Dense softmax',
    vocab: 20,
    build: () =>
      seq(
        tf.layers.embedding({ inputDim: 20, outputDim: 8, inputLength: T }),
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 6, ...sigmoid }) as tf.RNN }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ),
  },
  {
    name: 'functional chain: Input -> LSTM -> Dense softmax',
    build: () => {
      const input = tf.input({ shape: inputShape });
      const h = tf.layers.lstm({ units: 5, ...sigmoid }).apply(input) as tf.SymbolicTensor;
      const y = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: y });
    },
  },
];

describe('importTfjsLayersModel gives TF.js predict', () => {
  test.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const model = c.build();
    randomizeWeights(model, 100 * i);
    const saved = await save(model);
    const shape = c.vocab ? [B, T] : [B, T, F];
    const x = inputs(shape, i + 1, c.vocab);
    const expected = predict(model, x, shape);
    const imported = importTfjsLayersModel(JSON.stringify(saved.modelJson), { 'weights.bin': saved.weights });
    expectSameOutput(imported.forward(seqlabInput(x, shape, c.vocab !== undefined)), expected);
    model.dispose();
  });
});

test('recurrent layers become seqlab RNN/LSTM/GRU modules with PyTorch state-dict names', async () => {
  const model = seq(
    tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 4, ...sigmoid, returnSequences: true }),
      inputShape,
    }),
    tf.layers.simpleRNN({ units: 3 }),
  );
  const saved = await save(model);
  const imported = importTfjsLayersModel(saved.modelJson, saved.weights);
  expect(imported.layers[0]).toBeInstanceOf(KerasRecurrent);
  expect((imported.layers[0] as KerasRecurrent).rnn).toBeInstanceOf(LSTM);
  expect((imported.layers[1] as KerasRecurrent).rnn).toBeInstanceOf(RNN);
  expect([...imported.stateDict().keys()]).toEqual([
    '0.rnn.weight_ih_l0',
    '0.rnn.weight_hh_l0',
    '0.rnn.bias_ih_l0',
    '0.rnn.bias_hh_l0',
    '0.rnn.weight_ih_l0_reverse',
    '0.rnn.weight_hh_l0_reverse',
    '0.rnn.bias_ih_l0_reverse',
    '0.rnn.bias_hh_l0_reverse',
    '1.rnn.weight_ih_l0',
    '1.rnn.weight_hh_l0',
    '1.rnn.bias_ih_l0',
    '1.rnn.bias_hh_l0',
  ]);
  expect(imported.training).toBe(false);
  model.dispose();
});
