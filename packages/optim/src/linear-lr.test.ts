// LinearLR's warm-up and its errors; its values over 50 steps are checked against PyTorch in
// lr-scheduler.golden.test.ts.
import { ConfigError, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { LinearLR, SGD } from './index';

const sgd = (lr: number) => new SGD([zeros([2], { requiresGrad: true })], { lr });

describe('LinearLR', () => {
  test("PyTorch's documented warm-up: 0.025, 0.03125, 0.0375, 0.04375, then 0.05", () => {
    const opt = sgd(0.05);
    const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    const lrs = [opt.paramGroups[0].lr];
    for (let k = 0; k < 5; k++) {
      s.step();
      lrs.push(opt.paramGroups[0].lr);
    }
    lrs.forEach((lr, i) => {
      expect(lr).toBeCloseTo([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05][i] as number, 15);
    });
  });

  test.each([
    [{ startFactor: 0 }, 'LinearLR: expected startFactor in (0, 1], got 0'],
    [{ startFactor: 1.5 }, 'LinearLR: expected startFactor in (0, 1], got 1.5'],
    [{ endFactor: -0.1 }, 'LinearLR: expected endFactor in [0, 1], got -0.1'],
    [{ totalIters: 0 }, 'LinearLR: expected totalIters to be an integer > 0, got 0'],
  ])('%j throws a ConfigError', (options, message) => {
    expect(() => new LinearLR(sgd(0.1), options)).toThrow(ConfigError);
    expect(() => new LinearLR(sgd(0.1), options)).toThrow(message);
  });
});
