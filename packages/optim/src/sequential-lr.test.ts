// SequentialLR's hand-over and ChainedScheduler's composition, their state dicts and errors; their
// values over 50 steps are checked against PyTorch in lr-scheduler.golden.test.ts.
import { ConfigError, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import {
  ChainedScheduler,
  ExponentialLR,
  type LRScheduler,
  ReduceLROnPlateau,
  SequentialLR,
  SGD,
  StepLR,
} from './index';

const sgd = (lr = 1) => new SGD([zeros([2], { requiresGrad: true })], { lr });
const lrsOver = (steps: number, s: LRScheduler): number[] =>
  Array.from({ length: steps }, () => {
    s.step();
    return s.getLastLr()[0] as number;
  });

describe('SequentialLR', () => {
  test('the next schedule takes over at its milestone, from its own step 0 (closed form)', () => {
    const opt = sgd(1);
    const first = new ExponentialLR(opt, { gamma: 0.5 });
    const second = new StepLR(opt, { stepSize: 2, gamma: 0.1 });
    const s = new SequentialLR(opt, { schedulers: [first, second], milestones: [3] });
    expect(s.getLastLr()).toEqual([1]);
    const lrs = lrsOver(5, s);
    [0.5, 0.25, 1, 1, 0.1].forEach((lr, i) => {
      expect(lrs[i]).toBeCloseTo(lr, 15);
    });
  });

  test('its state dict nests its schedules', () => {
    const make = () => {
      const opt = sgd(1);
      const a = new ExponentialLR(opt, { gamma: 0.5 });
      const b = new StepLR(opt, { stepSize: 2 });
      return new SequentialLR(opt, { schedulers: [a, b], milestones: [3] });
    };
    const s = make();
    lrsOver(4, s);
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    expect(sd._milestones).toEqual([3]);
    expect(sd._schedulers.map((c: { scheduler: string }) => c.scheduler)).toEqual([
      'ExponentialLR',
      'StepLR',
    ]);
    const t = make();
    t.loadStateDict(sd);
    expect(lrsOver(3, t)).toEqual(lrsOver(3, s));
    expect(() => t.loadStateDict({ ...sd, _schedulers: [sd._schedulers[0]] })).toThrow(
      'SequentialLR.loadStateDict: expected _schedulers with 2 states',
    );
  });

  test.each([
    [
      'no schedulers',
      (_opt: SGD) => ({ schedulers: [], milestones: [] }),
      'SequentialLR: expected a non-empty list of schedulers, got []',
    ],
    [
      'a milestone count that does not fit',
      (opt: SGD) => ({ schedulers: [new ExponentialLR(opt, { gamma: 0.5 })], milestones: [3] }),
      'SequentialLR: expected 0 milestones (one fewer than schedulers), got 1',
    ],
    [
      'milestones that do not increase',
      (opt: SGD) => ({
        schedulers: [0, 1, 2].map(() => new ExponentialLR(opt, { gamma: 0.5 })),
        milestones: [4, 4],
      }),
      'SequentialLR: expected increasing integer milestones > 0, got [4,4]',
    ],
    [
      'a schedule of another optimizer',
      (opt: SGD) => ({
        schedulers: [new ExponentialLR(opt, { gamma: 0.5 }), new ExponentialLR(sgd(), { gamma: 0.5 })],
        milestones: [2],
      }),
      'SequentialLR: expected schedulers that all drive the same optimizer, got schedulers[1] driving another one',
    ],
    [
      'ReduceLROnPlateau',
      (opt: SGD) => ({ schedulers: [new ReduceLROnPlateau(opt) as never], milestones: [] }),
      'SequentialLR: expected an LRScheduler at schedulers[0], got ReduceLROnPlateau. help: ReduceLROnPlateau steps on a metric and cannot be chained (as in PyTorch 1.13)',
    ],
  ])('%s throws a ConfigError', (_name, options, message) => {
    const opt = sgd();
    const make = () => new SequentialLR(opt, options(opt));
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });
});

describe('ChainedScheduler', () => {
  test('steps every schedule on the lr the previous one left', () => {
    const opt = sgd(1);
    const s = new ChainedScheduler([
      new ExponentialLR(opt, { gamma: 0.5 }),
      new StepLR(opt, { stepSize: 2, gamma: 0.1 }),
    ]);
    const lrs = lrsOver(3, s);
    [0.5, 0.025, 0.0125].forEach((lr, i) => {
      expect(lrs[i]).toBeCloseTo(lr, 15);
    });
    expect(s.stateDict()._schedulers).toHaveLength(2);
  });

  test('needs schedules that drive one optimizer', () => {
    expect(() => new ChainedScheduler([])).toThrow(
      'ChainedScheduler: expected a non-empty list of schedulers, got []',
    );
    const a = new ExponentialLR(sgd(), { gamma: 0.5 });
    const b = new ExponentialLR(sgd(), { gamma: 0.5 });
    expect(() => new ChainedScheduler([a, b])).toThrow(ConfigError);
    expect(() => new ChainedScheduler([a, b])).toThrow('got schedulers[1] driving another one');
  });
});
