import { collate, TextClassifier } from '@seqlab/classifier';
import { GRU, LSTM, RNN, summary } from '@seqlab/layers';
import { parseTrainConfig } from '../../config';
import { given, readConfigFile } from '../../flags';
import { TRAIN_KEYS } from '../train/index';

/**
 * `seqlab summary`: the model's layers and parameters at the configured sizes, and the article's
 * comparison made concrete: recurrent parameters of RNN, GRU and LSTM at those sizes.
 */
export async function summaryCommand(flags: Record<string, unknown>): Promise<number> {
  const file = typeof flags.config === 'string' ? await readConfigFile(flags.config) : {};
  const config = parseTrainConfig({ ...file, ...given(flags, TRAIN_KEYS) });
  const vocab = typeof flags.vocab === 'number' ? flags.vocab : config.vocabSize;
  const model = new TextClassifier(config, vocab, 2);
  model.eval();
  // A sample batch of the configured shape (batchSize texts of maxLen tokens) runs once, so every
  // layer's output shape is shown; capped at 2^20 tokens, with fewer texts.
  const length = config.maxLen;
  const texts = Math.max(1, Math.min(config.batchSize, Math.floor(2 ** 20 / length)));
  const ids = Array.from({ length: texts }, (_, i) => ({
    ids: Array.from({ length }, (_, t) => 2 + ((i * 31 + t * 7) % Math.max(1, vocab - 2))),
    label: 0,
  }));
  const { packed, padded, lengths } = collate(model, ids);
  console.log(
    `${config.model.toUpperCase()} text classifier, vocabulary ${vocab.toLocaleString('en-US')}, 2 classes`,
  );
  console.log(
    `sample batch: ${texts} texts of ${length} tokens${model.mlp ? ' (padded [B, T])' : ` (packed: ${(texts * length).toLocaleString('en-US')} rows)`}\n`,
  );
  console.log(summary(model, { packed, padded, lengths }));
  const options = {
    inputSize: config.embed,
    hiddenSize: config.hidden,
    numLayers: config.layers,
    bidirectional: config.bidirectional,
  };
  const counts = {
    RNN: new RNN(options).numParameters(),
    GRU: new GRU(options).numParameters(),
    LSTM: new LSTM(options).numParameters(),
  };
  console.log(
    `\nRecurrent parameters at input ${config.embed}, hidden ${config.hidden}, ${config.layers} layer(s)${config.bidirectional ? ', bidirectional' : ''}:`,
  );
  for (const [name, n] of Object.entries(counts)) {
    const share = n / counts.LSTM;
    console.log(
      `  ${name.padEnd(5)} ${n.toLocaleString('en-US').padStart(12)}  (${share === 1 ? '1' : share === 0.75 ? '3/4' : share === 0.25 ? '1/4' : share.toFixed(2)} of LSTM: ${name === 'RNN' ? '1 gate' : name === 'GRU' ? '3 gates' : '4 gates'})`,
    );
  }
  return 0;
}
