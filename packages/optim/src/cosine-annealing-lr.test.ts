// CosineAnnealingLR's shape, its resume branch and its errors; its values over 50 steps (alone and
// chained, where the recursive form matters) are checked against PyTorch in lr-scheduler.golden.test.ts.
import { ConfigError, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { CosineAnnealingLR, SGD } from './index';

const sgd = (lr: number) => new SGD([zeros([2], { requiresGrad: true })], { lr });
const closed = (t: number, base: number, etaMin: number, tMax: number) =>
  etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;

describe('CosineAnnealingLR', () => {
  test('alone it follows the closed form: η_min at T_max, back to η_max at 2·T_max', () => {
    const opt = sgd(0.1);
    const s = new CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    for (let t = 1; t <= 20; t++) {
      s.step();
      expect(opt.paramGroups[0].lr).toBeCloseTo(closed(t, 0.1, 0.001, 10), 12);
    }
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.1, 12);
  });

  test('built with lastEpoch > 0 it starts from the closed form (PyTorch 1.13 `_step_count == 1` branch)', () => {
    const opt = sgd(0.1);
    opt.paramGroups[0].initialLr = 0.1;
    opt.paramGroups[0].lr = 123; // ignored on that first step
    const s = new CosineAnnealingLR(opt, { tMax: 10, lastEpoch: 3 });
    expect(s.getLastLr()[0]).toBeCloseTo(closed(4, 0.1, 0, 10), 15);
  });

  test.each([
    [{ tMax: 0 }, 'CosineAnnealingLR: expected tMax to be an integer > 0, got 0'],
    [{ tMax: 2.5 }, 'CosineAnnealingLR: expected tMax to be an integer > 0, got 2.5'],
    [{ tMax: 10, etaMin: -1 }, 'CosineAnnealingLR: expected etaMin ≥ 0, got -1'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new CosineAnnealingLR(sgd(0.1), options)).toThrow(ConfigError);
    expect(() => new CosineAnnealingLR(sgd(0.1), options)).toThrow(message);
  });
});
