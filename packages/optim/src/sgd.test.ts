// SGD's options and a few steps worked by hand; parity with PyTorch is in optimizers.golden.test.ts.
import { ConfigError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { SGD } from './index';

const param = (values: number[]): Tensor => tensor(values, { requiresGrad: true });
const step = (opt: SGD, p: Tensor, grad: number[]): number[] => {
  p.grad = tensor(grad);
  opt.step();
  return Array.from(p.data);
};

describe('SGD', () => {
  test('plain: θ ← θ − lr·g, with weight decay λθ added to g', () => {
    const p = param([1, -2]);
    expect(step(new SGD([p], { lr: 0.1 }), p, [0.5, 1])).toEqual([0.95, -2.1].map(Math.fround));
    const q = param([1, -2]);
    expect(step(new SGD([q], { lr: 0.1, weightDecay: 0.5 }), q, [0.5, 1])).toEqual(
      [0.9, -2].map(Math.fround),
    );
  });

  test('momentum: the first step copies g into the buffer (no dampening), later steps damp', () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    expect(step(opt, p, [1])[0]).toBeCloseTo(0.9, 6); // b = 1
    expect(step(opt, p, [1])[0]).toBeCloseTo(0.76, 6); // b = 0.9·1 + 0.5·1 = 1.4
    expect(Array.from(opt.state.get(p)?.momentum_buffer as Float32Array)).toEqual([Math.fround(1.4)]);
  });

  test('nesterov: g + μ·b', () => {
    const p = param([1]);
    expect(step(new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), p, [1])[0]).toBeCloseTo(0.81, 6);
  });

  test('maximize ascends', () => {
    const p = param([1]);
    expect(step(new SGD([p], { lr: 0.1, maximize: true }), p, [1])[0]).toBeCloseTo(1.1, 6);
  });

  test('there is no default lr, but every group may bring its own', () => {
    const make = () => new SGD([param([1])]);
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(
      'SGD: expected paramGroups[0].lr > 0, got NaN. help: SGD has no default lr; pass { lr }',
    );
    expect(new SGD([{ params: [param([1])], lr: 0.1 }]).paramGroups[0]?.lr).toBe(0.1);
  });

  test.each([
    [{ lr: 0 }, 'SGD: expected paramGroups[0].lr > 0, got 0'],
    [{ lr: -0.1 }, 'SGD: expected paramGroups[0].lr > 0, got -0.1'],
    [{ lr: 0.1, momentum: -0.9 }, 'SGD: expected momentum ≥ 0, got -0.9'],
    [{ lr: 0.1, weightDecay: -1e-4 }, 'SGD: expected weightDecay ≥ 0, got -0.0001'],
    [
      { lr: 0.1, nesterov: true },
      'SGD: expected momentum > 0 and dampening = 0 with nesterov: true, got momentum 0, dampening 0',
    ],
    [
      { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 },
      'SGD: expected momentum > 0 and dampening = 0 with nesterov: true, got momentum 0.9, dampening 0.1',
    ],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new SGD([param([1])], options)).toThrow(ConfigError);
    expect(() => new SGD([param([1])], options)).toThrow(message);
  });

  test('a group with bad options is rejected even when the defaults are fine', () => {
    expect(() => new SGD([{ params: [param([1])], nesterov: true }], { lr: 0.1, momentum: 0 })).toThrow(
      'with nesterov: true',
    );
  });
});
