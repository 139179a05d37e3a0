// Adagrad's options, eager state and steps worked by hand; parity with PyTorch is in
// optimizers.golden.test.ts.
import { ConfigError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { Adagrad, optimizerStateToJson } from './index';

const param = (values: number[]): Tensor => tensor(values, { requiresGrad: true });
const step = (opt: Adagrad, p: Tensor, grad: number[]): number[] => {
  p.grad = tensor(grad);
  opt.step();
  return Array.from(p.data);
};

describe('Adagrad', () => {
  test('θ ← θ − η·g/(√s + ε), with η decaying as lr/(1 + (t − 1)·δ)', () => {
    const p = param([1]);
    const opt = new Adagrad([p], { lr: 0.1, lrDecay: 1 });
    expect(step(opt, p, [2])[0]).toBeCloseTo(0.9, 6); // s = 4
    expect(step(opt, p, [2])[0]).toBeCloseTo(0.9 - (0.05 * 2) / Math.sqrt(8), 6); // s = 8, η = 0.05
  });

  test('state exists from construction (step 0, sum = initialAccumulatorValue), also for added groups', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new Adagrad([a], { initialAccumulatorValue: 0.25 });
    expect(optimizerStateToJson(opt.stateDict()).state).toEqual({ '0': { step: 0, sum: [0.25, 0.25] } });
    opt.addParamGroup({ params: [b], initialAccumulatorValue: 1 });
    expect(optimizerStateToJson(opt.stateDict()).state['1']).toEqual({ step: 0, sum: [1] });
  });

  test.each([
    [{ lr: 0 }, 'Adagrad: expected paramGroups[0].lr > 0, got 0'],
    [{ lrDecay: -0.1 }, 'Adagrad: expected lrDecay ≥ 0, got -0.1'],
    [{ weightDecay: -0.1 }, 'Adagrad: expected weightDecay ≥ 0, got -0.1'],
    [{ initialAccumulatorValue: -1 }, 'Adagrad: expected initialAccumulatorValue ≥ 0, got -1'],
    [{ eps: -1 }, 'Adagrad: expected eps ≥ 0, got -1'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new Adagrad([param([1])], options)).toThrow(ConfigError);
    expect(() => new Adagrad([param([1])], options)).toThrow(message);
  });
});
