/**
 * Dropout (torch.nn.Dropout): the identity after eval(); in training it zeroes about p of the elements
 * and scales the rest by 1/(1 − p), from the seeded global generator, so a run repeats after manualSeed.
 * No PyTorch fixture: our masks never match torch's RNG, so these tests check the contract instead.
 */
import { Dropout, Linear, Sequential } from '@seqlab/layers';
import { ConfigError, manualSeed, randn, type Tensor, tensor } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

const N = 20_000;
const input = (): Tensor => {
  manualSeed(7);
  return randn([N]).add(3); // no zeros, so a zero in the output comes from the mask
};

describe('Dropout', () => {
  test('is the identity in eval mode', () => {
    const x = input();
    const layer = new Dropout(0.5).eval();
    expect(layer.training).toBe(false);
    const y = layer.forward(x);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });

  test.each([0.1, 0.3, 0.5, 0.8])(
    'p = %s zeroes about p of the elements and scales the rest by 1/(1 − p)',
    (p) => {
      const x = input();
      manualSeed(123);
      const y = new Dropout(p).forward(x);
      let zeros = 0;
      const kept: number[] = [];
      const expected: number[] = [];
      for (let i = 0; i < N; i++) {
        if (y.data[i] === 0) zeros++;
        else {
          kept.push(y.data[i]);
          expected.push(x.data[i] / (1 - p));
        }
      }
      // Binomial(N, p): 5 standard deviations is at most 0.018 for N = 20,000.
      expect(Math.abs(zeros / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      expectClose(kept, expected);
    },
  );

  test('is reproducible: the same seed gives the same mask, another seed another mask', () => {
    const x = input();
    const layer = new Dropout(0.3);
    manualSeed(42);
    const a = Array.from(layer.forward(x).data);
    manualSeed(42);
    const b = Array.from(layer.forward(x).data);
    manualSeed(43);
    const c = Array.from(layer.forward(x).data);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test('the gradient is the mask: 0 where dropped, 1/(1 − p) where kept', () => {
    const x = tensor(new Float32Array(1000).fill(2), { requiresGrad: true });
    manualSeed(5);
    const y = new Dropout(0.25).forward(x);
    y.sum().backward();
    for (let i = 0; i < 1000; i++) expect(x.grad!.data[i]).toBeCloseTo(y.data[i] / 2, 6);
    expect(Array.from(new Set(x.grad!.data)).sort()).toEqual([0, Math.fround(1 / 0.75)]);
  });

  test('p = 0 keeps everything and p = 1 drops everything in training', () => {
    const x = input();
    expect(Array.from(new Dropout(0).forward(x).data)).toEqual(Array.from(x.data));
    expect(new Dropout(1).forward(x).data.every((v) => v === 0)).toBe(true);
  });

  test('defaults to p = 0.5', () => {
    expect(new Dropout().p).toBe(0.5);
  });

  test.each([-0.1, 1.5, Number.NaN])('rejects p = %s', (p) => {
    const make = () => new Dropout(p);
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(`Dropout: expected a probability p in [0, 1], got ${p}`);
  });

  test('train() and eval() on a parent switch the dropout inside it', () => {
    const x = input().reshape([N / 4, 4]);
    const model = new Sequential(new Dropout(0.5), new Linear(4, 2));
    const eval1 = Array.from(model.eval().forward(x).data);
    const eval2 = Array.from(model.forward(x).data);
    expect(eval2).toEqual(eval1);
    manualSeed(1);
    const trained = Array.from(model.train().forward(x).data);
    expect(trained).not.toEqual(eval1);
  });
});
