// The optimizers, schedules and gradient clipping check option keys through the shared
// checkOptions: PyTorch's snake_case spellings and typos are a ConfigError naming the right key.
import {
  Adam,
  CosineAnnealingLR,
  clipGradNorm,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SequentialLR,
  SGD,
  StepLR,
} from '@seqlab/optim';
import { ConfigError, ones, type Tensor } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

function param(): Tensor {
  const p = ones([2]);
  p.requiresGrad = true;
  return p;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('unknown option keys throw, naming the right key', () => {
  const opt = () => new SGD([param()], { lr: 0.1, momentum: 0.9 });
  test.each<[string, () => unknown, string]>([
    ['Adam', () => new Adam([param()], { weight_decay: 0.01 } as never), 'Use weightDecay'],
    ['SGD', () => new SGD([param()], { lr: 0.1, nestrov: true } as never), 'Did you mean nesterov?'],
    ['SGD', () => new SGD([{ params: [param()], weight_decay: 0 } as never], { lr: 0.1 }), 'Use weightDecay'],
    ['SGD.zeroGrad', () => opt().zeroGrad({ set_to_none: false } as never), 'Use setToNone'],
    ['clipGradNorm', () => clipGradNorm([param()], 1, { norm_type: 2 } as never), 'Use normType'],
    ['clipGradNorm', () => clipGradNorm([param()], 1, 2 as never), 'got the number 2'],
    ['StepLR', () => new StepLR(opt(), { step_size: 2 } as never), 'Use stepSize'],
    [
      'MultiStepLR',
      () => new MultiStepLR(opt(), { milestones: [1], gama: 0.5 } as never),
      'Did you mean gamma?',
    ],
    [
      'ExponentialLR',
      () => new ExponentialLR(opt(), { gamma: 0.9, last_epoch: -1 } as never),
      'Use lastEpoch',
    ],
    ['CosineAnnealingLR', () => new CosineAnnealingLR(opt(), { T_max: 10 } as never), 'Use tMax'],
    ['LinearLR', () => new LinearLR(opt(), { total_iters: 3 } as never), 'Use totalIters'],
    [
      'SequentialLR',
      () => {
        const o = opt();
        return new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 1 })], milestone: [] } as never);
      },
      'Did you mean milestones?',
    ],
    ['OneCycleLR', () => new OneCycleLR(opt(), { maxLr: 0.1, total_steps: 10 } as never), 'Use totalSteps'],
    ['ReduceLROnPlateau', () => new ReduceLROnPlateau(opt(), { min_lr: 0.001 } as never), 'Use minLr'],
  ])('%s', (op, fn, hint) => {
    const message = messageOf(fn);
    expect(message.startsWith(`${op}: expected`)).toBe(true);
    expect(message).toContain(hint);
  });

  test('valid options still work', () => {
    const o = opt();
    expect(new StepLR(o, { stepSize: 2, gamma: 0.5 }).stepSize).toBe(2);
    expect(new LinearLR(o).totalIters).toBe(5);
    o.zeroGrad({ setToNone: false });
    expect(clipGradNorm([param()], 1, { normType: 2 })).toBe(0);
  });
});
