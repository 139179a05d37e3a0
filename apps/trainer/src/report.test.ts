import { describe, expect, it } from 'vitest';
import type { TrainMetrics } from './commands/train/index';
import { parseTrainConfig } from './config';
import { REFRESH_SECONDS, type ReportInput, renderReport } from './report';
import type { EpochRecord, StepRecord } from './train-loop';

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

/** Four steps an epoch, the loss falling. */
const stepsOf = (epochs: number): StepRecord[] =>
  Array.from({ length: epochs * 4 }, (_, i) => ({
    step: i + 1,
    epoch: (i + 1) / 4,
    loss: 1 / (1 + i),
    loss_ema: 1 / (1 + i / 2),
    lr: 1e-3,
  }));

const config = parseTrainConfig({ epochs: 4 });
const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  config,
  history: [record(1), record(2)],
  steps: stepsOf(2),
  status: { state: 'finished', metrics },
  confusion: { matrix: metrics.test.confusion_matrix, labels: ['a', 'b'], set: 'test set', examples: 2 },
  ...over,
});
const REFRESH = /<meta http-equiv="refresh" content="(\d+)">/;

describe('renderReport', () => {
  it('writes the history table with fixed decimals', () => {
    const html = renderReport(input({ history: [record(1)] }));
    expect(html).toContain(
      '<tr><td>1</td><td>1.0986</td><td>1.0500</td><td>0.5000</td><td>0.4000</td><td>0.001</td><td>0.800</td><td>1.5</td><td>1234</td></tr>',
    );
  });

  it('shows NaN, or null where JSON wrote NaN in an older run, instead of throwing', () => {
    const history = [record(1), record(2, { train_loss: Number.NaN, valid_loss: null, grad_norm: null })];
    const html = renderReport(input({ history }));
    expect(html).toContain(
      '<tr><td>2</td><td>NaN</td><td>null</td><td>0.5000</td><td>0.4000</td><td>0.001</td><td>null</td>',
    );
  });

  it('reloads itself while the run is going, and says which epoch it is at', () => {
    const html = renderReport(input({ status: { state: 'running', epochsDone: 2 }, confusion: null }));
    expect(html.match(REFRESH)?.[1]).toBe(String(REFRESH_SECONDS));
    expect(html).toContain('<b>running, epoch 2 of 4</b>');
    expect(html).toContain('<title>seqlab run report (running, epoch 2 of 4)</title>');
    expect(html).not.toContain('Test accuracy');
    // The epoch axes span the 4 epochs of the run, not only the 2 done.
    const ticks = [...html.matchAll(/<text class="x-tick"[^>]*>(\d+)<\/text>/g)].map((m) => m[1]);
    expect(ticks.slice(0, 5)).toEqual(['0', '1', '2', '3', '4']);
    const finished = renderReport(input());
    expect(
      [...finished.matchAll(/<text class="x-tick"[^>]*>(\d+)<\/text>/g)].map((m) => m[1]).slice(0, 3),
    ).toEqual(['0', '1', '2']);
  });

  it('does not reload once finished, or interrupted, and says so', () => {
    const finished = renderReport(input());
    expect(finished).not.toMatch(REFRESH);
    expect(finished).toContain('<b>finished</b>: 2 of 4 epochs.');
    expect(finished).toContain('<b>Test accuracy 0.5000</b>');
    const interrupted = renderReport(
      input({ status: { state: 'interrupted', epochsDone: 2, runDir: '/r/<x>' } }),
    );
    expect(interrupted).not.toMatch(REFRESH);
    expect(interrupted).toContain('<b>interrupted after epoch 2 of 4</b>');
    expect(interrupted).toContain('<code>seqlab train --resume /r/&lt;x&gt;</code>');
  });

  it('says why a run an error stopped ended, without reloading', () => {
    const html = renderReport(
      input({ status: { state: 'stopped', epochsDone: 1, error: 'train: <NaN> at step 9' } }),
    );
    expect(html).not.toMatch(REFRESH);
    expect(html).toContain(
      '<b>stopped after epoch 1 of 4</b> by an error:</p>\n<pre>train: &lt;NaN&gt; at step 9</pre>',
    );
  });

  it('plots the per-step loss raw and smoothed, per-epoch losses with markers, and the learning rate', () => {
    const html = renderReport(input());
    expect(html).toContain('>train, per step</text>');
    expect(html).toContain('>train, smoothed (EMA 0.1)</text>');
    expect(html).toMatch(/<polyline class="series faint"[^>]*points="(\S+ ){7}\S+"/); // 8 steps
    expect(html).toContain('>Learning rate</text>');
    // 2 epochs × (train mean, valid, accuracy, macro-F1, grad norm)
    expect(html.match(/<circle class="marker"/g)).toHaveLength(10);
    expect(html).toContain('>Confusion matrix, test set (2 examples)</text>');
    expect(html).toContain('>100.0%</text>');
  });

  it('is self-contained: no script, no link, no external resource', () => {
    const html = renderReport(input());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(/i);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toContain('http');
  });
});
