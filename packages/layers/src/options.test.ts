// PyTorch habits in the constructors either work or fail loudly: unknown option keys (snake_case,
// typos) throw a ConfigError naming the right key, PyTorch's positional sizes build the same
// module as the options form, and dropout with one layer warns as PyTorch does.
import {
  BCEWithLogitsLoss,
  bceWithLogits,
  CrossEntropyLoss,
  crossEntropy,
  Dropout,
  Embedding,
  GRU,
  GRUCell,
  LayerNorm,
  Linear,
  LSTM,
  LSTMCell,
  MSELoss,
  mseLoss,
  NLLLoss,
  nllLoss,
  RNN,
  RNNCell,
  Sequential,
} from '@seqlab/layers';
import { ConfigError, manualSeed, randn, tensor } from '@seqlab/tensor';
import { afterEach, describe, expect, test, vi } from 'vitest';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('unknown option keys throw, naming the camelCase option or the nearest key', () => {
  test("the issue's LSTM: batch_first and num_layers do not build a 1-layer time-major LSTM", () => {
    const make = () =>
      new LSTM({
        inputSize: 100,
        hiddenSize: 256,
        bidirectional: true,
        batch_first: true,
        num_layers: 2,
      } as never);
    expect(messageOf(make)).toBe(
      'LSTM: expected options among inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, ' +
        "projSize, forgetBias, got unknown option 'batch_first'. " +
        'Use batchFirst: seqlab spells options in camelCase and accepts no snake_case alias',
    );
  });

  const logits = randn([4, 3]);
  const labels = tensor([0, 2, 1, 1], { dtype: 'int32' });
  test.each<[string, () => unknown, string]>([
    ['LSTM', () => new LSTM({ inputSize: 2, hiddenSize: 3, droput: 0.1 } as never), 'Did you mean dropout?'],
    ['GRU', () => new GRU({ inputSize: 2, hiddenSize: 3, num_layers: 2 } as never), 'Use numLayers'],
    [
      'RNN',
      () => new RNN({ inputSize: 2, hiddenSize: 3, nonlinearty: 'relu' } as never),
      'Did you mean nonlinearity?',
    ],
    ['LSTM', () => new LSTM(2, 3, { proj_size: 2 } as never), 'Use projSize'],
    ['LSTMCell', () => new LSTMCell({ input_size: 2, hiddenSize: 3 } as never), 'Use inputSize'],
    ['GRUCell', () => new GRUCell(2, 3, { biass: false } as never), 'Did you mean bias?'],
    ['RNNCell', () => new RNNCell(2, 3, { num_layers: 2 } as never), "unknown option 'num_layers'"],
    ['Embedding', () => new Embedding(10, 4, { padding_idx: 0 } as never), 'Use paddingIdx'],
    ['Linear', () => new Linear(4, 2, { bais: false } as never), 'Did you mean bias?'],
    ['LayerNorm', () => new LayerNorm(4, { elementwise_affine: false } as never), 'Use elementwiseAffine'],
    [
      'crossEntropy',
      () => crossEntropy(logits, labels, { label_smoothing: 0.1 } as never),
      'Use labelSmoothing',
    ],
    ['nllLoss', () => nllLoss(logits, labels, { ignore_index: 0 } as never), 'Use ignoreIndex'],
    [
      'nllLoss',
      () => nllLoss(logits, labels, { labelSmoothing: 0.1 } as never),
      "unknown option 'labelSmoothing'",
    ],
    ['mseLoss', () => mseLoss(logits, logits, { reduce: 'sum' } as never), "unknown option 'reduce'"],
    ['bceWithLogits', () => bceWithLogits(logits, logits, { pos_weight: logits } as never), 'Use posWeight'],
    ['CrossEntropyLoss', () => new CrossEntropyLoss({ ignore_index: 0 } as never), 'Use ignoreIndex'],
    ['NLLLoss', () => new NLLLoss({ weights: logits } as never), 'Did you mean weight?'],
    ['MSELoss', () => new MSELoss({ size_average: true } as never), "unknown option 'size_average'"],
    ['BCEWithLogitsLoss', () => new BCEWithLogitsLoss({ pos_weight: logits } as never), 'Use posWeight'],
    [
      'Dropout',
      () => new Dropout({ p: 0.5 } as never),
      'got a plain object with keys p. Pass p itself: new Dropout(0.5)',
    ],
    [
      'Sequential',
      () => new Sequential([new Linear(2, 3)] as never),
      'got an Array of 1 Linear. Pass the modules as arguments',
    ],
    [
      'Sequential',
      () => new Sequential({ fc: new Linear(2, 3) } as never),
      'got a plain object with keys fc. Pass the modules as arguments',
    ],
    [
      'Linear.loadStateDict',
      () => new Linear(4, 2).loadStateDict(new Map(), false as never),
      'got the boolean false',
    ],
  ])('%s', (op, fn, hint) => {
    const message = messageOf(fn);
    expect(message.startsWith(`${op}: expected`)).toBe(true);
    expect(message).toContain(hint);
  });

  test('valid options still work, crossEntropy with label smoothing included', () => {
    expect(new Embedding(10, 4, { paddingIdx: 0 }).paddingIdx).toBe(0);
    expect(new Linear(4, 2, { bias: false }).bias).toBeNull();
    expect(crossEntropy(logits, labels, { labelSmoothing: 0.1, reduction: 'sum' }).shape).toEqual([]);
    expect(new CrossEntropyLoss({ ignoreIndex: 0 }).forward(logits, labels).shape).toEqual([]);
  });
});

describe("PyTorch's positional sizes build the same module as the options form", () => {
  test.each([
    [
      'LSTM',
      () => new LSTM(5, 4, { numLayers: 2, bidirectional: true }),
      () => new LSTM({ inputSize: 5, hiddenSize: 4, numLayers: 2, bidirectional: true }),
    ],
    [
      'GRU',
      () => new GRU(5, 4, { numLayers: 2 }),
      () => new GRU({ inputSize: 5, hiddenSize: 4, numLayers: 2 }),
    ],
    [
      'RNN',
      () => new RNN(5, 4, { nonlinearity: 'relu' }),
      () => new RNN({ inputSize: 5, hiddenSize: 4, nonlinearity: 'relu' }),
    ],
    ['LSTM without options', () => new LSTM(5, 4), () => new LSTM({ inputSize: 5, hiddenSize: 4 })],
    ['LSTMCell', () => new LSTMCell(5, 4), () => new LSTMCell({ inputSize: 5, hiddenSize: 4 })],
    [
      'GRUCell',
      () => new GRUCell(5, 4, { bias: false }),
      () => new GRUCell({ inputSize: 5, hiddenSize: 4, bias: false }),
    ],
    [
      'RNNCell',
      () => new RNNCell(5, 4, { nonlinearity: 'relu' }),
      () => new RNNCell({ inputSize: 5, hiddenSize: 4, nonlinearity: 'relu' }),
    ],
  ] as const)('%s', (_name, positional, named) => {
    manualSeed(1);
    const a = positional();
    manualSeed(1);
    const b = named();
    const sa = a.stateDict();
    const sb = b.stateDict();
    expect([...sa.keys()]).toEqual([...sb.keys()]);
    for (const [k, v] of sa) expect(Array.from(v.data)).toEqual(Array.from((sb.get(k) as typeof v).data));
    expect(a).toMatchObject({ inputSize: 5, hiddenSize: 4 });
  });

  test.each<[string, () => unknown, string]>([
    [
      'a positional numLayers',
      () => new LSTM(10, 20, 2 as never),
      "LSTM: expected an options object { numLayers, bias, batchFirst, dropout, bidirectional, projSize, forgetBias } after the sizes, got the number 2. PyTorch's further positional arguments are options here: new LSTM(10, 20, { numLayers: … })",
    ],
    [
      'a size given twice',
      () => new GRU(10, 20, { inputSize: 10 } as never),
      'GRU: expected inputSize given once, got a positional inputSize and an option inputSize. Use new GRU({ inputSize, hiddenSize, ... }) or new GRU(inputSize, hiddenSize, { ... })',
    ],
    [
      'no arguments',
      () => new (LSTM as unknown as new () => LSTM)(),
      'LSTM: expected new LSTM({ inputSize, hiddenSize, ... }) or new LSTM(inputSize, hiddenSize, { ... }), got no arguments',
    ],
    [
      'a string',
      () => new RNNCell('10' as never, 20),
      'RNNCell: expected new RNNCell({ inputSize, hiddenSize, ... }) or new RNNCell(inputSize, hiddenSize, { ... }), got the string "10"',
    ],
    [
      'options followed by more arguments',
      () => Reflect.construct(LSTMCell, [{ inputSize: 10, hiddenSize: 20 }, 20]),
      'LSTMCell: expected new LSTMCell({ inputSize, hiddenSize, ... }) or new LSTMCell(inputSize, hiddenSize, { ... }), got an options object followed by more arguments',
    ],
    [
      'a missing hidden size',
      () => new LSTM(10 as never),
      'LSTM: expected a positive integer hiddenSize, got undefined',
    ],
  ])('%s is refused with the forms', (_name, fn, message) => {
    expect(messageOf(fn)).toBe(message);
  });
});

describe('dropout with one layer warns, as PyTorch', () => {
  afterEach(() => vi.restoreAllMocks());

  test('once per construction, through process.emitWarning', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    new LSTM({ inputSize: 2, hiddenSize: 3, dropout: 0.5 });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith(
      'LSTM: dropout adds dropout after all but the last recurrent layer, so dropout > 0 expects numLayers > 1, got dropout=0.5 and numLayers=1',
      'UserWarning',
    );
    new GRU(2, 3, { dropout: 0.2 });
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[1][0]).toMatch(/^GRU: dropout adds dropout/);
  });

  test('not with two layers or without dropout', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    new LSTM({ inputSize: 2, hiddenSize: 3, dropout: 0.5, numLayers: 2 });
    new RNN({ inputSize: 2, hiddenSize: 3 });
    new GRU({ inputSize: 2, hiddenSize: 3, dropout: 0 });
    expect(spy).not.toHaveBeenCalled();
  });

  test('console.warn where there is no process.emitWarning (browsers)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const original = process.emitWarning;
    (process as { emitWarning: unknown }).emitWarning = undefined;
    try {
      new RNN({ inputSize: 2, hiddenSize: 3, dropout: 0.1 });
    } finally {
      process.emitWarning = original;
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/^UserWarning: RNN: dropout adds dropout/);
  });
});
