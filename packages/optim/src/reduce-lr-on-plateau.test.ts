// ReduceLROnPlateau's counting, metrics, state dict and errors; its values over 50 steps (min/rel with
// cooldown and minLr, max/abs with eps and per-group minLr) are checked against PyTorch in
// lr-scheduler.golden.test.ts.
import { ConfigError, tensor, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { ExponentialLR, ReduceLROnPlateau, SGD } from './index';

const sgd = (...lrs: number[]) =>
  new SGD(lrs.map((lr) => ({ params: [zeros([2], { requiresGrad: true })], lr })));

describe('ReduceLROnPlateau', () => {
  test('reduces after patience + 1 bad steps, then waits out the cooldown', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5, cooldown: 2 });
    const lrs = [5, 4, 4, 4, 4, 4, 4, 4].map((metric) => {
      s.step(metric);
      return opt.paramGroups[0].lr;
    });
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expect(s.getLastLr()).toEqual([0.25]);
  });

  test('takes a one-element tensor as the metric', () => {
    const s = new ReduceLROnPlateau(sgd(1));
    s.step(tensor([0.5]));
    expect(s.best).toBe(0.5);
  });

  test('skips reductions smaller than eps, and never goes below minLr', () => {
    const opt = sgd(1, 0.1);
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: [0.3, 0], eps: 0.06 });
    for (const metric of [1, 2, 3, 4]) s.step(metric);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.3, 0.1]); // 0.1 → 0.05 is below eps
  });

  test('the state dict survives JSON, ±Infinity included', () => {
    const s = new ReduceLROnPlateau(sgd(1), { mode: 'max' });
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    expect(sd.best).toBe('-Infinity');
    const t = new ReduceLROnPlateau(sgd(1), { mode: 'min' });
    t.step(3);
    t.loadStateDict(sd);
    expect([t.mode, t.best, t.lastEpoch]).toEqual(['max', -Infinity, 0]);
    s.step(2);
    t.step(2);
    expect(t.stateDict()).toEqual(s.stateDict());
  });

  test('loading a state dict of another schedule throws a ConfigError', () => {
    const s = new ReduceLROnPlateau(sgd(1));
    const other = new ExponentialLR(sgd(1), { gamma: 0.5 });
    expect(() => s.loadStateDict(other.stateDict())).toThrow(
      'ReduceLROnPlateau.loadStateDict: expected a state dict saved by ReduceLROnPlateau, got one saved by ExponentialLR',
    );
  });

  test.each([
    [{ mode: 'avg' }, `ReduceLROnPlateau: expected mode 'min' or 'max', got "avg"`],
    [{ thresholdMode: 'pct' }, `ReduceLROnPlateau: expected thresholdMode 'rel' or 'abs', got "pct"`],
    [{ factor: 1 }, 'ReduceLROnPlateau: expected factor in [0, 1), got 1'],
    [{ patience: -1 }, 'ReduceLROnPlateau: expected patience to be an integer ≥ 0, got -1'],
    [{ cooldown: 0.5 }, 'ReduceLROnPlateau: expected cooldown to be an integer ≥ 0, got 0.5'],
    [{ threshold: -1e-4 }, 'ReduceLROnPlateau: expected threshold ≥ 0, got -0.0001'],
    [{ minLr: [0, 0] }, 'ReduceLROnPlateau: expected 1 values for minLr (one per parameter group), got 2'],
    [{ minLr: -0.1 }, 'ReduceLROnPlateau: expected minLr ≥ 0, got -0.1'],
    [{ eps: -1 }, 'ReduceLROnPlateau: expected eps ≥ 0, got -1'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new ReduceLROnPlateau(sgd(1), options as never)).toThrow(ConfigError);
    expect(() => new ReduceLROnPlateau(sgd(1), options as never)).toThrow(message);
  });

  test('a non-optimizer throws a ConfigError', () => {
    expect(() => new ReduceLROnPlateau(null as never)).toThrow(
      'ReduceLROnPlateau: expected an Optimizer, got null',
    );
  });
});
