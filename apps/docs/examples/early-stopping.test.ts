// The metrics README's early-stopping example is the code of early-stopping.ts (checked line by
// line here), and it works: `step(value, epoch, model.stateDict())` keeps a copy of the best
// epoch's weights that later training does not change, and `loadStateDict(stopper.bestState!)`
// restores them.
import { readFileSync } from 'node:fs';
import { crossEntropy, Linear, Module } from '@seqlab/layers';
import { SGD } from '@seqlab/optim';
import { noGrad, type Tensor, tensor } from '@seqlab/tensor';
import { expect, test, vi } from 'vitest';
import { type EvalBatch, trainWithEarlyStopping } from './early-stopping';

const readme = readFileSync(new URL('../../../packages/metrics/README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('./early-stopping.ts', import.meta.url), 'utf8');

test("the README's code block is early-stopping.ts's, line for line", () => {
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
  const [importLine, blank, ...body] = block;
  expect(blank).toBe('');
  expect(example.split('\n')).toContain(importLine);
  const region = /\/\/ README: packages\/metrics\/README\.md\n([\s\S]*?)\n\s*\/\/ END README/.exec(
    example,
  )![1];
  expect(region.split('\n').map((line) => line.replace(/^ {2}/, ''))).toEqual(body);
});

class Classifier extends Module {
  fc = new Linear(2, 2);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

test("the README's loop stops, and restores the best epoch's weights (not the last epoch's)", () => {
  const x = tensor([
    [1, 0.2],
    [0.8, -0.1],
    [0.9, 0.4],
    [-1, 0.1],
    [-0.7, -0.3],
    [-0.9, 0.5],
  ]);
  const y = tensor([0, 0, 0, 1, 1, 1], { dtype: 'int32' });
  const model = new Classifier();
  // Start wrong (class 1 for x₀ > 0), so F1 climbs for a few epochs, reaches 1 and stays there.
  model.loadStateDict({
    'fc.weight': tensor([
      [-1, 0],
      [1, 0],
    ]),
    'fc.bias': tensor([0, 0]),
  });
  const optimizer = new SGD(model.parameters(), 0.5);
  const weightsAfterEpoch: number[][] = [];
  const train = (m: Module) => {
    optimizer.zeroGrad();
    crossEntropy((m as Classifier).forward(x), y).backward();
    optimizer.step();
    weightsAfterEpoch.push(Array.from((m as Classifier).fc.weight.data));
  };
  function* evaluate(m: Module): Iterable<EvalBatch> {
    const logits = noGrad(() => (m as Classifier).forward(x));
    yield { yTrue: y, yPred: logits.argmax(1), meanNll: crossEntropy(logits, y).item(), tokens: 6 };
  }
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const stopper = trainWithEarlyStopping(model, train, evaluate);
    const best = stopper.bestEpoch!;
    expect(stopper.shouldStop).toBe(true);
    expect(stopper.bestValue).toBe(1);
    expect(best).toBeGreaterThan(0);
    expect(stopper.stoppedEpoch).toBe(best + 3);
    expect(weightsAfterEpoch).toHaveLength(best + 4);
    expect(Array.from(model.fc.weight.data)).toEqual(weightsAfterEpoch[best]);
    expect(Array.from(model.fc.weight.data)).not.toEqual(weightsAfterEpoch[weightsAfterEpoch.length - 1]);
    expect(log).toHaveBeenCalledTimes(best + 4);
  } finally {
    log.mockRestore();
  }
});
