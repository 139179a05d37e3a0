// The public entry: the README's training loop runs as written (on a small model built from tensor
// ops), and index.ts exports exactly the documented names.

import * as optim from '@seqlab/optim';
import { Adam, CosineAnnealingLR, clipGradNorm } from '@seqlab/optim';
import { Generator, randn, type Tensor, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

/** A linear regression y = x·W + b with the `parameters()` a layers Module would have. */
function makeModel(seed: number) {
  const g = new Generator(seed);
  const weight = randn([3, 1], { generator: g });
  weight.requiresGrad = true;
  const bias = zeros([1], { requiresGrad: true });
  return {
    parameters: (): Tensor[] => [weight, bias],
    forward: (x: Tensor): Tensor => x.matmul(weight).add(bias),
  };
}

describe('@seqlab/optim', () => {
  test("the README's loop trains", () => {
    const g = new Generator(1);
    const x = randn([32, 3], { generator: g });
    const y = x.sum(1, true).mul(0.5).add(1);
    const model = makeModel(2);
    const mse = (out: Tensor): Tensor => out.sub(y).pow(2).mean();
    const first = mse(model.forward(x)).item();

    // --- as in README.md ---
    const params = model.parameters();
    const opt = new Adam(params, { lr: 1e-1 });
    const scheduler = new CosineAnnealingLR(opt, { tMax: 100 });
    for (let epoch = 0; epoch < 100; epoch++) {
      opt.zeroGrad();
      const loss = mse(model.forward(x));
      loss.backward();
      clipGradNorm(params, 5);
      opt.step();
      scheduler.step();
    }
    // ---

    expect(mse(model.forward(x)).item()).toBeLessThan(first / 100);
  });

  test('exports the documented names and nothing else', () => {
    expect(Object.keys(optim).sort()).toEqual(
      [
        'Adagrad',
        'Adam',
        'AdamW',
        'ChainedScheduler',
        'CosineAnnealingLR',
        'ExponentialLR',
        'LRScheduler',
        'LinearLR',
        'MultiStepLR',
        'OneCycleLR',
        'Optimizer',
        'RMSprop',
        'ReduceLROnPlateau',
        'SGD',
        'SequentialLR',
        'StepLR',
        'clipGradNorm',
        'clipGradValue',
        'optimizerStateToJson',
      ].sort(),
    );
  });
});
