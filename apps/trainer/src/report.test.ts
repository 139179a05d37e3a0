import { describe, expect, it } from 'vitest';
import type { TrainMetrics } from './commands/train/index';
import { parseTrainConfig } from './config';
import { renderReport } from './report';
import type { EpochRecord } from './train-loop';

const record = (epoch: number, over: Partial<Record<keyof EpochRecord, number | null>> = {}) =>
  ({
    epoch,
    train_loss: 1.0986,
    valid_loss: 1.05,
    valid_accuracy: 0.5,
    valid_macro_f1: 0.4,
    grad_norm: 0.8,
    lr: 1e-3,
    seconds: 1.5,
    tokens_per_s: 1234.4,
    ...over,
  }) as EpochRecord;

const metrics: TrainMetrics = {
  best_epoch: 1,
  epochs_run: 2,
  test: {
    accuracy: 0.5,
    macro_f1: 0.4,
    loss: 1.1,
    confusion_matrix: [
      [1, 0],
      [1, 0],
    ],
    labels: ['a', 'b'],
    examples: 2,
  },
  valid: { accuracy: 0.5, macro_f1: 0.4, loss: 1.05 },
  seconds: 3,
};

describe('renderReport', () => {
  it('writes the history table with fixed decimals', () => {
    const html = renderReport({ config: parseTrainConfig({}), history: [record(1)], metrics });
    expect(html).toContain(
      '<tr><td>1</td><td>1.0986</td><td>1.0500</td><td>0.5000</td><td>0.4000</td><td>0.800</td><td>1.5</td><td>1234</td></tr>',
    );
  });

  it('shows NaN, or null where JSON wrote NaN in an older run, instead of throwing', () => {
    const history = [record(1), record(2, { train_loss: Number.NaN, valid_loss: null, grad_norm: null })];
    const html = renderReport({ config: parseTrainConfig({}), history, metrics });
    expect(html).toContain(
      '<tr><td>2</td><td>NaN</td><td>null</td><td>0.5000</td><td>0.4000</td><td>null</td>',
    );
  });
});
