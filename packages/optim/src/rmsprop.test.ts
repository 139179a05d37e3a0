// RMSprop's options, state and first step worked by hand; parity with PyTorch is in
// optimizers.golden.test.ts.
import { ConfigError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { type ParamState, RMSprop } from './index';

const param = (values: number[]): Tensor => tensor(values, { requiresGrad: true });
const step = (opt: RMSprop, p: Tensor, grad: number[]): number[] => {
  p.grad = tensor(grad);
  opt.step();
  return Array.from(p.data);
};

describe('RMSprop', () => {
  test('the first step divides by √((1 − α)·g²) = 0.1·|g| for α = 0.99', () => {
    const p = param([1, 1]);
    const got = step(new RMSprop([p], { lr: 0.01 }), p, [0.5, -3]);
    expect(got[0]).toBeCloseTo(0.9, 5);
    expect(got[1]).toBeCloseTo(1.1, 5);
  });

  test('centered subtracts the squared mean gradient: (0.01 − 0.0001)·g² on the first step', () => {
    const p = param([1]);
    expect(step(new RMSprop([p], { lr: 0.01, centered: true }), p, [2])[0]).toBeCloseTo(
      1 - 0.02 / Math.sqrt(0.0099 * 4),
      5,
    );
  });

  test('the momentum buffer holds g/d without lr (as PyTorch), so an lr change acts at once', () => {
    const p = param([1]);
    const opt = new RMSprop([p], { lr: 0.01, momentum: 0.5 });
    step(opt, p, [2]); // b = 2/(0.1·2) = 10 (+ε)
    expect(((opt.state.get(p) as ParamState).momentum_buffer as Float32Array)[0]).toBeCloseTo(10, 4);
    opt.paramGroups[0].lr = 0.1;
    const before = p.data[0] as number;
    step(opt, p, [0]); // b = 5, θ −= 0.1·5
    expect((p.data[0] as number) - before).toBeCloseTo(-0.5, 4);
  });

  test('state keys follow the options', () => {
    const keys = (options: ConstructorParameters<typeof RMSprop>[1]) => {
      const p = param([1]);
      const opt = new RMSprop([p], options);
      step(opt, p, [1]);
      return Object.keys(opt.state.get(p) ?? {}).sort();
    };
    expect(keys({})).toEqual(['square_avg', 'step']);
    expect(keys({ momentum: 0.9 })).toEqual(['momentum_buffer', 'square_avg', 'step']);
    expect(keys({ centered: true })).toEqual(['grad_avg', 'square_avg', 'step']);
  });

  test.each([
    [{ lr: -1 }, 'RMSprop: expected paramGroups[0].lr > 0, got -1'],
    [{ alpha: -0.5 }, 'RMSprop: expected alpha ≥ 0, got -0.5'],
    [{ eps: -1 }, 'RMSprop: expected eps ≥ 0, got -1'],
    [{ momentum: -0.1 }, 'RMSprop: expected momentum ≥ 0, got -0.1'],
    [{ weightDecay: -0.1 }, 'RMSprop: expected weightDecay ≥ 0, got -0.1'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new RMSprop([param([1])], options)).toThrow(ConfigError);
    expect(() => new RMSprop([param([1])], options)).toThrow(message);
  });
});
