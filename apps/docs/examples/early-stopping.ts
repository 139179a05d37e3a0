// The metrics README's early-stopping loop, as a typed, runnable function: the lines between the
// README markers are the README's code block (early-stopping.test.ts checks that they match), so
// the documented pattern type-checks (`pnpm typecheck`) and runs.
import type { Module } from '@seqlab/layers';
import { ClassificationAccumulator, EarlyStopping, MeanAccumulator } from '@seqlab/metrics';
import type { Tensor } from '@seqlab/tensor';

/** One evaluation batch: labels, predictions, the batch's mean NLL and its token count. */
export interface EvalBatch {
  yTrue: Tensor;
  yPred: Tensor;
  meanNll: number;
  tokens: number;
}

/** Trains `model` epoch by epoch until the macro F1 stops improving, then loads the best weights. */
export function trainWithEarlyStopping(
  model: Module,
  train: (model: Module) => void,
  evaluate: (model: Module) => Iterable<EvalBatch>,
): EarlyStopping {
  // README: packages/metrics/README.md
  const stopper = new EarlyStopping({ patience: 3, mode: 'max' });
  for (let epoch = 0; epoch < 100; epoch++) {
    train(model);
    const acc = new ClassificationAccumulator();
    const loss = new MeanAccumulator();
    for (const { yTrue, yPred, meanNll, tokens } of evaluate(model)) {
      acc.update(yTrue, yPred);
      loss.update(meanNll, tokens);
    }
    console.log(acc.classificationReport(), 'perplexity', loss.perplexity());
    if (stopper.step(acc.f1Score({ average: 'macro' }), epoch, model.stateDict())) break;
  }
  model.loadStateDict(stopper.bestState!);
  // END README
  return stopper;
}
