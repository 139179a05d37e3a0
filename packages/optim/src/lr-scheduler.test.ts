// The LRScheduler base (initial lr, resuming, state dicts, errors) and StepLR, MultiStepLR and
// ExponentialLR; their values over 50 steps are checked against PyTorch in lr-scheduler.golden.test.ts.
import { ConfigError, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { ExponentialLR, MultiStepLR, SGD, StepLR } from './index';

const sgd = (...lrs: number[]) =>
  new SGD(
    lrs.map((lr) => ({ params: [zeros([2], { requiresGrad: true })], lr })),
    { momentum: 0.9 },
  );
const lrsOver = (steps: number, step: () => void, lr: () => number): number[] =>
  Array.from({ length: steps }, () => {
    step();
    return lr();
  });

describe('LRScheduler base', () => {
  test('building a schedule records initialLr and takes step 0', () => {
    const opt = sgd(0.1, 0.02);
    opt.paramGroups[1].initialLr = 0.05; // kept: it is only set when missing
    const s = new StepLR(opt, { stepSize: 2 });
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.05]);
    expect(s.baseLrs).toEqual([0.1, 0.05]);
    expect(s.lastEpoch).toBe(0);
    expect(s.getLastLr()).toEqual([0.1, 0.02]);
  });

  test('getLastLr returns a copy', () => {
    const s = new ExponentialLR(sgd(0.1), { gamma: 0.5 });
    s.getLastLr().push(7);
    expect(s.getLastLr()).toEqual([0.1]);
  });

  test('resuming with lastEpoch needs initialLr (from the optimizer state dict) and continues the schedule', () => {
    const opt = sgd(0.1);
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    for (let k = 0; k < 5; k++) s.step();
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    s.step();
    expect(() => new StepLR(sgd(0.1), { stepSize: 3, gamma: 0.5, lastEpoch: 5 })).toThrow(
      "StepLR: expected paramGroups[0].initialLr when resuming with lastEpoch 5, got none. help: load the optimizer's state dict first, or start with lastEpoch: -1",
    );
    const resumedOpt = sgd(0.1);
    resumedOpt.loadStateDict(saved);
    const resumed = new StepLR(resumedOpt, { stepSize: 3, gamma: 0.5, lastEpoch: 5 });
    expect(resumed.lastEpoch).toBe(6);
    expect(resumed.getLastLr()).toEqual(s.getLastLr());
  });

  test('a state dict has PyTorch names and hyperparameters, and loading restores them', () => {
    const s = new StepLR(sgd(0.1, 0.02), { stepSize: 7, gamma: 0.5 });
    s.step();
    const sd = s.stateDict();
    expect(sd).toEqual({
      scheduler: 'StepLR',
      base_lrs: [0.1, 0.02],
      last_epoch: 1,
      _step_count: 2,
      _last_lr: [0.1, 0.02],
      step_size: 7,
      gamma: 0.5,
    });
    const other = new StepLR(sgd(0.1, 0.02), { stepSize: 3 });
    other.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect([other.stepSize, other.gamma, other.lastEpoch, other.getLastLr()]).toEqual([
      7,
      0.5,
      1,
      [0.1, 0.02],
    ]);
    expect(other.stateDict()).toEqual(sd);
  });

  test('loading a state dict of another schedule or another group count throws a ConfigError', () => {
    const s = new StepLR(sgd(0.1), { stepSize: 7 });
    const exp = new ExponentialLR(sgd(0.1), { gamma: 0.9 });
    expect(() => s.loadStateDict(exp.stateDict())).toThrow(ConfigError);
    expect(() => s.loadStateDict(exp.stateDict())).toThrow(
      'StepLR.loadStateDict: expected a state dict saved by StepLR, got one saved by ExponentialLR. help: load it into the class that saved it',
    );
    const two = new StepLR(sgd(0.1, 0.2), { stepSize: 7 });
    expect(() => s.loadStateDict(two.stateDict())).toThrow(
      'StepLR.loadStateDict: expected base_lrs with 1 numbers (one per parameter group), got [0.1,0.2]',
    );
    expect(() => s.loadStateDict({ ...s.stateDict(), step_size: 'x' })).toThrow(
      'expected step_size of type number, got "x"',
    );
  });

  test.each([
    [
      'not an optimizer',
      () => new StepLR({} as never, { stepSize: 1 }),
      'StepLR: expected an Optimizer, got object',
    ],
    [
      'lastEpoch -2',
      () => new StepLR(sgd(0.1), { stepSize: 1, lastEpoch: -2 }),
      'StepLR: expected lastEpoch to be an integer ≥ -1, got -2',
    ],
    [
      'stepSize 0',
      () => new StepLR(sgd(0.1), { stepSize: 0 }),
      'StepLR: expected stepSize to be an integer > 0, got 0',
    ],
    [
      'stepSize 1.5',
      () => new StepLR(sgd(0.1), { stepSize: 1.5 }),
      'StepLR: expected stepSize to be an integer > 0, got 1.5',
    ],
    ['gamma 0', () => new StepLR(sgd(0.1), { stepSize: 2, gamma: 0 }), 'StepLR: expected gamma > 0, got 0'],
    [
      'a negative milestone',
      () => new MultiStepLR(sgd(0.1), { milestones: [3, -1] }),
      'MultiStepLR: expected milestones[1] to be an integer ≥ 0, got -1',
    ],
    [
      'MultiStepLR gamma -1',
      () => new MultiStepLR(sgd(0.1), { milestones: [3], gamma: -1 }),
      'MultiStepLR: expected gamma > 0, got -1',
    ],
    [
      'ExponentialLR gamma NaN',
      () => new ExponentialLR(sgd(0.1), { gamma: Number.NaN }),
      'ExponentialLR: expected gamma > 0, got NaN',
    ],
  ])('%s throws a ConfigError', (_name, make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });
});

describe('StepLR, MultiStepLR, ExponentialLR', () => {
  test('StepLR decays every stepSize steps', () => {
    const opt = sgd(1);
    const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    expect(
      lrsOver(
        5,
        () => s.step(),
        () => opt.paramGroups[0].lr,
      ),
    ).toEqual([1, 0.5, 0.5, 0.25, 0.25]);
  });

  test('MultiStepLR sorts its milestones and decays by γ^k at a milestone listed k times', () => {
    const opt = sgd(1);
    const s = new MultiStepLR(opt, { milestones: [3, 1, 3], gamma: 0.5 });
    expect(s.milestones).toEqual([1, 3, 3]);
    expect(
      lrsOver(
        4,
        () => s.step(),
        () => opt.paramGroups[0].lr,
      ),
    ).toEqual([0.5, 0.5, 0.125, 0.125]);
  });

  test('ExponentialLR multiplies by γ every step', () => {
    const opt = sgd(1);
    const s = new ExponentialLR(opt, { gamma: 0.5 });
    expect(
      lrsOver(
        3,
        () => s.step(),
        () => opt.paramGroups[0].lr,
      ),
    ).toEqual([0.5, 0.25, 0.125]);
  });
});
