/**
 * Golden tests of the LR schedules against PyTorch 1.13.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_optim.py`, which writes
 * `packages/optim/fixtures/optim/lr-scheduler.json`: for every case the optimizer (class, one lr per
 * parameter group, options), the schedule with seqlab's option names (nested for SequentialLR and
 * ChainedScheduler), and each group's lr after construction and after each of 50 steps — plus
 * momentum or β1 for OneCycleLR. ReduceLROnPlateau is fed `plateauMetrics`. Values are rounded to 9
 * significant digits.
 *
 * Each case is one test; lrs must match within 1e-7 relative. A second test per case saves both
 * state dicts after 20 steps, loads them into a freshly built optimizer and schedule, and checks that
 * the remaining 30 steps are exactly those of the uninterrupted run.
 */
import { readFileSync } from 'node:fs';
import { zeros } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import {
  Adam,
  ChainedScheduler,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  SequentialLR,
  SGD,
  StepLR,
} from './index';

interface Spec {
  type: string;
  schedulers?: Spec[];
  [option: string]: unknown;
}
interface Case {
  name: string;
  optimizer: { type: 'SGD' | 'Adam'; lrs: number[]; options: Record<string, unknown> };
  scheduler: Spec;
  lrs: number[][];
  momentum?: number[][];
}
interface Fixture {
  torch: string;
  steps: number;
  plateauMetrics: number[];
  cases: Case[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/optim/lr-scheduler.json', import.meta.url), 'utf8'),
) as Fixture;

// 1e-7 relative: the bar for schedules; the fixture's 9 significant digits are exact to 5e-10.
const TOLERANCE = { rtol: 1e-7, atol: 0 };

type Schedule = LRScheduler | ReduceLROnPlateau;
type Options = Record<string, unknown>;
const SCHEDULES: Record<string, (opt: Optimizer, o: Options, children: LRScheduler[]) => Schedule> = {
  StepLR: (opt, o) => new StepLR(opt, o as never),
  MultiStepLR: (opt, o) => new MultiStepLR(opt, o as never),
  ExponentialLR: (opt, o) => new ExponentialLR(opt, o as never),
  CosineAnnealingLR: (opt, o) => new CosineAnnealingLR(opt, o as never),
  LinearLR: (opt, o) => new LinearLR(opt, o as never),
  OneCycleLR: (opt, o) => new OneCycleLR(opt, o as never),
  ReduceLROnPlateau: (opt, o) => new ReduceLROnPlateau(opt, o as never),
  SequentialLR: (opt, o, children) => new SequentialLR(opt, { ...o, schedulers: children } as never),
  ChainedScheduler: (_opt, _o, children) => new ChainedScheduler(children),
};

function makeSchedule(spec: Spec, opt: Optimizer): Schedule {
  const { type, schedulers = [], ...options } = spec;
  const children = schedulers.map((s) => makeSchedule(s, opt) as LRScheduler);
  return SCHEDULES[type](opt, options, children);
}

function makeOptimizer(c: Case): Optimizer {
  const groups = c.optimizer.lrs.map((lr) => ({ params: [zeros([2], { requiresGrad: true })], lr }));
  const Class = c.optimizer.type === 'SGD' ? SGD : Adam;
  return new Class(groups as never, c.optimizer.options);
}

function momentumOf(opt: Optimizer): number[] {
  return opt.paramGroups.map((g) => {
    const group = g as unknown as { momentum?: number; betas?: [number, number] };
    return group.betas ? group.betas[0] : (group.momentum as number);
  });
}

/** Steps the schedule (with the metric for ReduceLROnPlateau) from step `from` to `to`, recording lrs. */
function run(opt: Optimizer, schedule: Schedule, from: number, to: number) {
  const lrs: number[][] = [];
  const momentum: number[][] = [];
  for (let k = from; k < to; k++) {
    opt.step();
    if (schedule instanceof ReduceLROnPlateau) schedule.step(fixture.plateauMetrics[k]);
    else schedule.step();
    lrs.push(opt.paramGroups.map((g) => g.lr));
    momentum.push(momentumOf(opt));
    expect(schedule.getLastLr()).toEqual(lrs[lrs.length - 1]);
  }
  return { lrs, momentum };
}

describe(`LR schedules match PyTorch ${fixture.torch} over 50 steps`, () => {
  test('the fixture covers every schedule', () => {
    const types = new Set(
      fixture.cases.flatMap((c) => [c.scheduler.type, ...(c.scheduler.schedulers ?? []).map((s) => s.type)]),
    );
    expect(types).toEqual(new Set(Object.keys(SCHEDULES)));
    expect(fixture.steps).toBe(50);
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const opt = makeOptimizer(c);
    const schedule = makeSchedule(c.scheduler, opt);
    const first = opt.paramGroups.map((g) => g.lr);
    const { lrs, momentum } = run(opt, schedule, 0, fixture.steps);
    expectClose([first, ...lrs].flat(), c.lrs.flat(), TOLERANCE, `${name} lr`);
    if (c.momentum) expectClose(momentum.flat(), c.momentum.slice(1).flat(), TOLERANCE, `${name} momentum`);
  });
});

describe('stateDict round trip: 20 steps, save, load into fresh objects, 30 more = 50 uninterrupted', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const opt = makeOptimizer(c);
    const schedule = makeSchedule(c.scheduler, opt);
    const whole = run(opt, schedule, 0, fixture.steps);

    const opt1 = makeOptimizer(c);
    const schedule1 = makeSchedule(c.scheduler, opt1);
    const head = run(opt1, schedule1, 0, 20);
    const saved = JSON.parse(JSON.stringify({ opt: opt1.stateDict(), schedule: schedule1.stateDict() }));

    const opt2 = makeOptimizer(c);
    const schedule2 = makeSchedule(c.scheduler, opt2);
    opt2.loadStateDict(saved.opt);
    schedule2.loadStateDict(saved.schedule);
    expect(JSON.parse(JSON.stringify({ opt: opt2.stateDict(), schedule: schedule2.stateDict() }))).toEqual(
      saved,
    );
    expect(schedule2.getLastLr()).toEqual(head.lrs[19]);
    const tail = run(opt2, schedule2, 20, fixture.steps);
    expect([...head.lrs, ...tail.lrs]).toEqual(whole.lrs);
    expect([...head.momentum, ...tail.momentum]).toEqual(whole.momentum);
  });
});
