// skipInit: parameters are zeros (plus the deterministic parts of init), the global generator is not
// advanced, and a state dict loads into the result exactly as into an initialised module.
import { defaultGenerator, Generator, manualSeed, randn } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, it } from 'vitest';
import { Embedding, Linear, LSTM, skipInit } from './index';

describe('skipInit', () => {
  it('builds with zero parameters, keeping the deterministic parts of init', () => {
    const lstm = skipInit(
      () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, forgetBias: 1 }),
    );
    const dict = lstm.stateDict();
    expect([...dict.keys()]).toEqual([
      ...new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true }).stateDict().keys(),
    ]);
    expect([...dict.get('weight_ih_l1_reverse')!.data].every((v) => v === 0)).toBe(true);
    // the forget gate (rows H..2H) of bias_ih gets +1; everything else stays 0
    expect([...dict.get('bias_ih_l0')!.data]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const embedding = skipInit(() => new Embedding(5, 2, { paddingIdx: 0 }));
    expect([...embedding.weight.data]).toEqual(new Array(10).fill(0));
  });

  it('does not advance the global generator, and restores it after a throw', () => {
    manualSeed(7);
    const expected = randn([3]);
    manualSeed(7);
    const before = defaultGenerator();
    skipInit(() => new Linear(100, 100));
    expect(defaultGenerator()).toBe(before);
    expectClose(randn([3]), expected);
    expect(() =>
      skipInit(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(defaultGenerator()).toBe(before);
  });

  it('loads a state dict into the skipped module exactly', () => {
    const source = new LSTM({ inputSize: 3, hiddenSize: 4 });
    const target = skipInit(() => new LSTM({ inputSize: 3, hiddenSize: 4 }));
    target.loadStateDict(source.stateDict());
    for (const [name, t] of source.stateDict())
      expect([...target.stateDict().get(name)!.data]).toEqual([...t.data]);
  });

  it('an explicit generator still draws (only the default one is skipped)', () => {
    const t = skipInit(() => randn([4], { generator: new Generator(1) }));
    expect([...t.data].some((v) => v !== 0)).toBe(true);
  });
});
