import { TextClassifier } from '@seqlab/classifier';
import { GRU, LSTM, RNN } from '@seqlab/layers';
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
  console.log(
    `${config.model.toUpperCase()} text classifier, vocabulary ${vocab.toLocaleString('en-US')}, 2 classes\n`,
  );
  console.log(model.summary());
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
