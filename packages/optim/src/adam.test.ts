// Adam's and AdamW's options and first steps worked by hand; parity with PyTorch is in
// optimizers.golden.test.ts.
import { ConfigError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { Adam, AdamW, type ParamState } from './index';

const param = (values: number[]): Tensor => tensor(values, { requiresGrad: true });
const step = (opt: Adam, p: Tensor, grad: number[]): number[] => {
  p.grad = tensor(grad);
  opt.step();
  return Array.from(p.data);
};

describe('Adam', () => {
  test('the first step moves each element by lr·g/(|g| + ε), about lr·sign(g)', () => {
    const p = param([1, 1, 1]);
    const got = step(new Adam([p], { lr: 0.1 }), p, [0.5, -2, 1e-3]);
    expect(got[0]).toBeCloseTo(0.9, 6);
    expect(got[1]).toBeCloseTo(1.1, 6);
    expect(got[2]).toBeCloseTo(0.9, 4);
  });

  test('weight decay is an L2 term in the gradient: with g = 0 the step follows λθ', () => {
    const p = param([1]);
    expect(step(new Adam([p], { lr: 0.1, weightDecay: 0.5 }), p, [0])[0]).toBeCloseTo(0.9, 6);
  });

  test('amsgrad keeps the running maximum of v; plain Adam has no such buffer', () => {
    const p = param([1]);
    const opt = new Adam([p], { amsgrad: true, betas: [0.9, 0.5] }); // v falls from 4.5 to 2.255
    step(opt, p, [3]);
    step(opt, p, [0.1]);
    const state = opt.state.get(p) as ParamState;
    expect((state.max_exp_avg_sq as Float32Array)[0]).toBeGreaterThan(
      (state.exp_avg_sq as Float32Array)[0] as number,
    );
    const q = param([1]);
    const plain = new Adam([q]);
    step(plain, q, [3]);
    expect(Object.keys(plain.state.get(q) ?? {}).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
  });

  test('each group owns its betas: a schedule replacing or a user mutating one leaves the others alone', () => {
    const betas: [number, number] = [0.9, 0.99];
    const opt = new Adam([{ params: [param([1])] }, { params: [param([2])] }], { betas });
    (opt.paramGroups[0]?.betas as [number, number])[0] = 0.5;
    expect(opt.paramGroups[1]?.betas).toEqual([0.9, 0.99]);
    expect(opt.defaults.betas).toEqual([0.9, 0.99]);
  });

  test.each([
    [{ lr: 0 }, 'Adam: expected paramGroups[0].lr > 0, got 0'],
    [{ betas: [1, 0.999] as const }, 'Adam: expected betas[0] in [0, 1), got 1'],
    [{ betas: [0.9, -0.1] as const }, 'Adam: expected betas[1] in [0, 1), got -0.1'],
    [{ betas: [0.9, 1.5] as const }, 'Adam: expected betas[1] in [0, 1), got 1.5'],
    [{ eps: -1e-8 }, 'Adam: expected eps ≥ 0, got -1e-8'],
    [{ weightDecay: -0.01 }, 'Adam: expected weightDecay ≥ 0, got -0.01'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new Adam([param([1])], options)).toThrow(ConfigError);
    expect(() => new Adam([param([1])], options)).toThrow(message);
  });
});

describe('AdamW', () => {
  test('defaults to weightDecay 0.01 and names itself AdamW', () => {
    const opt = new AdamW([param([1])]);
    expect(opt.defaults.weightDecay).toBe(0.01);
    expect(opt.kind).toBe('AdamW');
    expect(opt.stateDict().optimizer).toBe('AdamW');
    expect(() => new AdamW([param([1])], { betas: [0.9, 1] })).toThrow(
      'AdamW: expected betas[1] in [0, 1), got 1',
    );
  });

  test('decay is decoupled: with g = 0, θ ← θ·(1 − lr·λ) exactly', () => {
    const p = param([2]);
    expect(step(new AdamW([p], { lr: 0.1, weightDecay: 0.5 }), p, [0])[0]).toBe(Math.fround(2 * (1 - 0.05)));
  });

  test('with weightDecay 0 it is Adam, bit for bit', () => {
    const a = param([1, -0.5]);
    const b = param([1, -0.5]);
    const adam = new Adam([a], { lr: 0.01 });
    const adamW = new AdamW([b], { lr: 0.01, weightDecay: 0 });
    for (const g of [
      [0.3, -1],
      [0.2, 0.4],
      [-1, 2],
    ])
      expect(step(adamW, b, g)).toEqual(step(adam, a, g));
  });
});
