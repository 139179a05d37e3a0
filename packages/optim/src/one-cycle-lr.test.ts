// OneCycleLR's phases, momentum cycling and errors; its values over 50 steps (cos, linear,
// three-phase, per-group maxLr) are checked against PyTorch in lr-scheduler.golden.test.ts.
import { ConfigError, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { Adagrad, Adam, OneCycleLR, SGD } from './index';

const param = () => zeros([2], { requiresGrad: true });

describe('OneCycleLR', () => {
  test('rises from maxLr/divFactor to maxLr, then falls to initial/finalDivFactor; momentum moves the other way', () => {
    const opt = new SGD([param()], { lr: 1, momentum: 0.5 });
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    const group = opt.paramGroups[0];
    expect([group.momentum, group.initialLr]).toEqual([0.95, 0.04]);
    expect(group.lr).toBeCloseTo(0.04, 15);
    for (let k = 0; k < 2; k++) s.step(); // step 2 = pctStart·total − 1: the peak
    expect(group.lr).toBeCloseTo(1, 12);
    expect(group.momentum).toBeCloseTo(0.85, 12);
    for (let k = 0; k < 7; k++) s.step(); // step 9 = total − 1: the end
    expect(group.lr).toBeCloseTo(0.04 / 1e4, 15);
    expect(group.momentum).toBeCloseTo(0.95, 12);
  });

  test("cycles Adam's β1 and leaves β2 alone", () => {
    const opt = new Adam([param()], { betas: [0.9, 0.99] });
    const s = new OneCycleLR(opt, { maxLr: 0.01, totalSteps: 10 });
    expect(opt.paramGroups[0].betas).toEqual([0.95, 0.99]);
    s.step();
    expect(opt.paramGroups[0].betas[0]).toBeLessThan(0.95);
    expect(opt.paramGroups[0].betas[1]).toBe(0.99);
  });

  test('stepping past totalSteps throws a ConfigError', () => {
    const s = new OneCycleLR(new SGD([param()], { lr: 1 }), { maxLr: 1, epochs: 2, stepsPerEpoch: 2 });
    for (let k = 0; k < 4; k++) s.step();
    expect(() => s.step()).toThrow(ConfigError);
    expect(() => s.step()).toThrow('OneCycleLR.step: expected at most totalSteps = 4 steps, got step');
  });

  test('an optimizer without momentum needs cycleMomentum: false', () => {
    const make = (cycleMomentum: boolean) =>
      new OneCycleLR(new Adagrad([param()]), { maxLr: 1, totalSteps: 5, cycleMomentum });
    expect(() => make(true)).toThrow(
      'OneCycleLR: expected an optimizer with momentum or betas (SGD, RMSprop, Adam, AdamW) when cycleMomentum is true, got Adagrad. help: pass cycleMomentum: false',
    );
    expect(make(false).getLastLr()[0]).toBeCloseTo(0.04, 15);
  });

  test.each([
    [{ maxLr: 1 }, 'OneCycleLR: expected totalSteps, or epochs and stepsPerEpoch, got neither'],
    [{ maxLr: 1, totalSteps: 0 }, 'OneCycleLR: expected totalSteps to be an integer > 0, got 0'],
    [
      { maxLr: 1, epochs: 2, stepsPerEpoch: 0.5 },
      'OneCycleLR: expected stepsPerEpoch to be an integer > 0, got 0.5',
    ],
    [{ maxLr: 1, totalSteps: 9, pctStart: 1.5 }, 'OneCycleLR: expected pctStart in [0, 1], got 1.5'],
    [
      { maxLr: 1, totalSteps: 9, annealStrategy: 'exp' },
      `OneCycleLR: expected annealStrategy 'cos' or 'linear', got "exp"`,
    ],
    [
      { maxLr: [1, 2], totalSteps: 9 },
      'OneCycleLR: expected 1 values for maxLr (one per parameter group), got 2',
    ],
    [{ maxLr: -1, totalSteps: 9 }, 'OneCycleLR: expected maxLr > 0, got -1'],
    [{ maxLr: 1, totalSteps: 9, divFactor: 0 }, 'OneCycleLR: expected divFactor > 0, got 0'],
    [{ maxLr: 1, totalSteps: 9, baseMomentum: 1 }, 'OneCycleLR: expected baseMomentum in [0, 1), got 1'],
  ])('%j throws a ConfigError', (options, message) => {
    const make = () => new OneCycleLR(new SGD([param()], { lr: 1, momentum: 0.9 }), options as never);
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });
});
