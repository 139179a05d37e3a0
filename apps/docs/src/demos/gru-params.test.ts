import { GRU, LSTM, RNN } from '@seqlab/layers';
import { describe, expect, it } from 'vitest';
import { countParameters, PARAM_SIZES, parameterTable } from './gru-params';

describe('countParameters (guide 5: GRU and the parameter comparison)', () => {
  it("gives the guide's table", () => {
    expect(parameterTable().map((r) => [r.rnn, r.gru, r.lstm])).toEqual([
      [416, 1_248, 1_664],
      [29_440, 88_320, 117_760],
      [274_432, 823_296, 1_097_728],
      [679_936, 2_039_808, 2_719_744],
    ]);
  });

  it('RNN = 1/4 and GRU = 3/4 of the LSTM at every size, stacked and bidirectional too', () => {
    for (const row of parameterTable([
      ...PARAM_SIZES,
      { inputSize: 3, hiddenSize: 5, numLayers: 3, bidirectional: true },
    ])) {
      expect(row.rnnRatio).toBe(0.25);
      expect(row.gruRatio).toBe(0.75);
    }
  });

  it("counts what the layers' state dicts hold: G·(H·I + H·H + 2H) for one layer", () => {
    const { rnn, gru, lstm } = countParameters({ inputSize: 10, hiddenSize: 20 });
    const block = 20 * 10 + 20 * 20 + 2 * 20;
    expect([rnn, gru, lstm]).toEqual([block, 3 * block, 4 * block]);
    const stateDictSize = (m: RNN | GRU | LSTM) =>
      [...m.stateDict().values()].reduce((s, t) => s + t.data.length, 0);
    const opts = { inputSize: 10, hiddenSize: 20 };
    expect([new RNN(opts), new GRU(opts), new LSTM(opts)].map(stateDictSize)).toEqual([rnn, gru, lstm]);
  });

  it('rejects a size the layers reject, with their message', () => {
    expect(() => countParameters({ inputSize: 0, hiddenSize: 4 })).toThrow(
      /RNN: expected a positive integer inputSize, got 0/,
    );
  });
});
