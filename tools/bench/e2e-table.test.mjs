import { describe, expect, it } from 'vitest';
import {
  formatRoundsTable,
  formatSummaryTable,
  parseSeqlabEpochs,
  parseTimeLine,
  parseTorchEpochs,
  summarizeE2E,
} from './e2e-table.mjs';

const stamped = (pairs) => pairs.map(([t, line]) => ({ t, line }));

// Lines as train_reference.py prints them (its info JSON, the model banner, an epoch, the results).
const TORCH_OUT = stamped([
  [2.1, '{"task": "sentiment", "max_len": 50, "vocab": 10000, "threads": 2, "torch": "1.13.0a0"}'],
  [2.1, '== bilstm'],
  [57.9, '  bilstm epoch 1: train_loss 0.6543  valid_acc 0.7156  valid_f1 0.7151  (55.3s)'],
  [58.5, '{"model": "bilstm", "epochs_run": 1, "best_epoch": 1}'],
  [58.5, 'bilstm           1(1)  0.7156     0.7156    0.7151        56.4'],
]);

// Lines as `seqlab train` prints them in text mode (stdout; the progress bar is on stderr).
const SEQLAB_OUT = stamped([
  [0.4, 'run directory: /tmp/x/run'],
  [1.2, 'data: train.jsonl: 6,911 train, 872 valid, 872 test'],
  [1.9, 'model: bidirectional 2-layer LSTM, 3,648,514 parameters, vocabulary 10,000'],
  [
    56.1,
    'epoch 1: train loss 0.6568  valid loss 0.5697  valid acc 0.7167  macro-F1 0.7164  2243 tok/s  (best)',
  ],
  [
    110.4,
    'epoch 2: train loss 0.5000  valid loss 0.5100  valid acc 0.7400  macro-F1 0.7390  2300 tok/s  (best)',
  ],
  [111.0, 'test: accuracy 0.7400, macro-F1 0.7390'],
]);

describe('parsing', () => {
  it("reads train_reference.py's own epoch time and valid accuracy", () => {
    expect(parseTorchEpochs(TORCH_OUT)).toEqual([
      { model: 'bilstm', epoch: 1, epoch_s: 55.3, valid_acc: 0.7156 },
    ]);
  });

  it("times seqlab's epochs from its model line, then from the previous epoch's line", () => {
    const epochs = parseSeqlabEpochs(SEQLAB_OUT);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[0].epoch_s).toBeCloseTo(56.1 - 1.9, 12);
    expect(epochs[1].epoch_s).toBeCloseTo(110.4 - 56.1, 12);
    expect(epochs[1].valid_acc).toBe(0.74);
  });

  it('finds no seqlab epoch without the model line that starts the clock', () => {
    expect(parseSeqlabEpochs(SEQLAB_OUT.filter((l) => !l.line.startsWith('model:')))).toEqual([]);
  });

  it("reads /usr/bin/time's line after the command's own stderr", () => {
    const stderr = 'epoch 1/1 …\nwarning: something\nE2E_TIME 61.02 41.27 1.36 431104\n';
    expect(parseTimeLine(stderr)).toEqual({ wall_s: 61.02, cpu_s: 41.27 + 1.36, max_rss_mb: 421 });
    expect(parseTimeLine('Command exited with non-zero status 1\n')).toBeNull();
  });
});

const ROUNDS = [
  {
    round: 1,
    column: 'torch',
    epoch_s: 50,
    wall_s: 60,
    cpu_s: 90,
    max_rss_mb: 700,
    valid_acc: 0.71,
    load: 1,
  },
  {
    round: 1,
    column: 'seqlab:native',
    epoch_s: 40,
    wall_s: 45,
    cpu_s: 60,
    max_rss_mb: 500,
    valid_acc: 0.72,
    load: 1.2,
  },
  {
    round: 1,
    column: 'seqlab:wasm',
    epoch_s: 150,
    wall_s: 155,
    cpu_s: 150,
    max_rss_mb: 600,
    valid_acc: 0.72,
    load: 1.3,
  },
  {
    round: 2,
    column: 'torch',
    epoch_s: 100,
    wall_s: 110,
    cpu_s: 95,
    max_rss_mb: 710,
    valid_acc: 0.71,
    load: 2,
  },
  {
    round: 2,
    column: 'seqlab:native',
    epoch_s: 60,
    wall_s: 65,
    cpu_s: 62,
    max_rss_mb: 520,
    valid_acc: 0.72,
    load: 2,
  },
  {
    round: 2,
    column: 'default:native',
    epoch_s: 5,
    wall_s: 25,
    cpu_s: 30,
    max_rss_mb: 480,
    valid_acc: 0.97,
    load: 2,
  },
];

describe('summarizeE2E', () => {
  it('takes medians over rounds and the ratio to the PyTorch epoch of the same round', () => {
    const [torch, native, wasm, def] = summarizeE2E(ROUNDS);
    expect(torch).toMatchObject({ column: 'torch', rounds: 2, epoch_s: 75, cpu_s: 92.5, ratio: null });
    // per round 40/50 = 0.8 and 60/100 = 0.6: median 0.7 (not 50 / 75)
    expect(native.ratio.median).toBeCloseTo(0.7, 12);
    expect(native.ratio.min).toBeCloseTo(0.6, 12);
    expect(native.ratio.max).toBeCloseTo(0.8, 12);
    expect(native).toMatchObject({ rounds: 2, epoch_s: 50, max_rss_mb: 510 });
    expect(wasm.ratio).toEqual({ median: 3, min: 3, max: 3 });
    // the default run is not the article's workload: no ratio
    expect(def).toMatchObject({ column: 'default:native', ratio: null, wall_s: 25 });
  });

  it('leaves a round without its PyTorch process out of the ratio', () => {
    const [, native] = summarizeE2E(ROUNDS.filter((m) => !(m.round === 2 && m.column === 'torch')));
    expect(native.ratio).toEqual({ median: 0.8, min: 0.8, max: 0.8 });
  });
});

describe('tables', () => {
  it('prints every process with its round and ratio', () => {
    const table = formatRoundsTable(ROUNDS);
    expect(table).toContain(
      '| 1 | seqlab native, article config | 40.0 | 0.80× | 45.0 | 60.0 | 500 | 0.7200 | 1.20 |',
    );
    expect(table).toContain('| 2 | PyTorch best (2 thr), train_reference.py | 100.0 |  | 110.0 |');
    expect(table).toContain('| 2 | default `seqlab train`, native | 5.0 |  |');
  });

  it('prints the medians with the ratio range', () => {
    const table = formatSummaryTable(summarizeE2E(ROUNDS));
    expect(table).toContain(
      '| seqlab native, article config | 2 | 50.0 | 0.70× (0.60–0.80) | 55.0 | 61.0 | 510 |',
    );
    expect(table.split('\n')).toHaveLength(2 + 4);
  });
});
