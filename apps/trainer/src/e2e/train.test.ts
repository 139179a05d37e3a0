// End-to-end: `seqlab train` on the committed CSV, TSV and JSONL fixtures with tiny models, every
// model kind and tokenizer, the run directory it writes, its three output modes (plain text on a
// pipe, --quiet, --log-format json), --config with flags overriding it, and the built-in names set.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../config';
import {
  fixture,
  lines,
  readJsonFile,
  readJsonLines,
  readWeights,
  requireBuiltCli,
  runCli,
  TempDirs,
  TINY,
} from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

interface History {
  epoch: number;
  train_loss: number;
  valid_loss: number;
  valid_accuracy: number;
  valid_macro_f1: number;
  grad_norm: number;
  lr: number;
  seconds: number;
  tokens_per_s: number;
}

/** A line of steps.jsonl. */
interface StepLine {
  step: number;
  epoch: number;
  loss: number;
  loss_ema: number;
  lr: number;
}

interface Metrics {
  best_epoch: number;
  epochs_run: number;
  test: {
    accuracy: number;
    macro_f1: number;
    loss: number;
    confusion_matrix: number[][];
    labels: string[];
    examples: number;
  };
  valid: { accuracy: number; macro_f1: number; loss: number };
  seconds: number;
}

const HISTORY_KEYS = [
  'epoch',
  'train_loss',
  'valid_loss',
  'valid_accuracy',
  'valid_macro_f1',
  'grad_norm',
  'lr',
  'seconds',
  'tokens_per_s',
];

/** Checks history.jsonl and metrics.json of a finished run of `epochs` epochs and `labels`. */
async function expectRunFiles(dir: string, epochs: number, labels: string[]): Promise<Metrics> {
  const history = await readJsonLines<History>(join(dir, 'history.jsonl'));
  expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  for (const h of history) {
    expect(Object.keys(h).sort()).toEqual([...HISTORY_KEYS].sort());
    for (const key of HISTORY_KEYS) expect(Number.isFinite(h[key as keyof History]), key).toBe(true);
    expect(h.train_loss).toBeGreaterThan(0);
    expect(h.valid_accuracy).toBeGreaterThanOrEqual(0);
    expect(h.valid_accuracy).toBeLessThanOrEqual(1);
    expect(h.grad_norm).toBeGreaterThan(0);
    expect(h.tokens_per_s).toBeGreaterThan(0);
  }
  await expectSteps(dir, epochs);
  const metrics = await readJsonFile<Metrics>(join(dir, 'metrics.json'));
  expect(metrics.epochs_run).toBe(epochs);
  expect(metrics.best_epoch).toBeGreaterThanOrEqual(1);
  expect(metrics.best_epoch).toBeLessThanOrEqual(epochs);
  expect(metrics.test.labels).toEqual(labels);
  const cm = metrics.test.confusion_matrix;
  expect(cm).toHaveLength(labels.length);
  for (const row of cm) expect(row).toHaveLength(labels.length);
  const total = cm.flat().reduce((a, b) => a + b, 0);
  const correct = cm.reduce((a, row, i) => a + row[i], 0);
  expect(total).toBe(metrics.test.examples);
  expect(metrics.test.accuracy).toBeCloseTo(correct / total, 12);
  const best = history[metrics.best_epoch - 1];
  expect(metrics.valid).toEqual({
    accuracy: best.valid_accuracy,
    macro_f1: best.valid_macro_f1,
    loss: best.valid_loss,
  });
  return metrics;
}

/**
 * steps.jsonl: one line per step, numbered from 1, the same number of steps every epoch, epoch
 * fractions ending on each epoch, loss_ema the moving average of NOTE(loss-ema) to the last bit.
 */
async function expectSteps(dir: string, epochs: number): Promise<StepLine[]> {
  const steps = await readJsonLines<StepLine>(join(dir, 'steps.jsonl'));
  const perEpoch = steps.filter((s) => s.epoch <= 1).length;
  expect(perEpoch).toBeGreaterThan(0);
  expect(steps).toHaveLength(epochs * perEpoch);
  let ema: number | null = null;
  for (const [i, s] of steps.entries()) {
    expect(Object.keys(s)).toEqual(['step', 'epoch', 'loss', 'loss_ema', 'lr']);
    expect(s.step).toBe(i + 1);
    expect(s.epoch).toBe(Math.floor(i / perEpoch) + ((i % perEpoch) + 1) / perEpoch);
    expect(s.loss).toBeGreaterThan(0);
    expect(s.lr).toBeGreaterThan(0);
    ema = ema === null ? s.loss : 0.9 * ema + 0.1 * s.loss;
    expect(s.loss_ema).toBe(ema);
  }
  return steps;
}

/** report.html: one self-contained page (inline SVG, no scripts, no external resources). */
async function expectSelfContainedReport(dir: string, metrics: Metrics): Promise<void> {
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toContain('<svg');
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<link/i);
  expect(html).not.toMatch(/\b(src|href)\s*=/i);
  expect(html).not.toMatch(/url\(/i);
  expect(html).not.toMatch(/@import/i);
  expect(html).toContain(`Test accuracy ${metrics.test.accuracy.toFixed(4)}`);
  // The final page: finished, no longer reloading itself; the test set's confusion matrix.
  expect(html).not.toMatch(/http-equiv="refresh"/);
  expect(html).toContain('<p id="status" class="finished">');
  expect(html).toContain(`>Confusion matrix, test set (${metrics.test.examples} examples)</text>`);
  for (const label of metrics.test.labels) expect(html).toContain(label);
}

/** Shapes of a safetensors file by key. */
async function shapes(path: string): Promise<Record<string, number[]>> {
  const weights = await readWeights(path);
  for (const [key, w] of weights) expect(w.values.every(Number.isFinite), key).toBe(true);
  return Object.fromEntries([...weights].map(([k, w]) => [k, w.shape]));
}

/** The recurrent layer's keys and shapes for one bidirectional layer with `gates` gates. */
function recurrentShapes(prefix: string, gates: number, input: number, hidden: number) {
  const out: Record<string, number[]> = {};
  for (const suffix of ['l0', 'l0_reverse']) {
    out[`${prefix}.weight_ih_${suffix}`] = [gates * hidden, input];
    out[`${prefix}.weight_hh_${suffix}`] = [gates * hidden, hidden];
    out[`${prefix}.bias_ih_${suffix}`] = [gates * hidden];
    out[`${prefix}.bias_hh_${suffix}`] = [gates * hidden];
  }
  return out;
}

describe.concurrent('seqlab train', () => {
  it('trains an LSTM on CSV (word tokens), prints plain progress on a pipe, writes the whole run directory', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli([
      'train',
      '--train',
      fixture('topics.csv'),
      '--model',
      'lstm',
      ...TINY,
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);

    // Not a TTY: no progress bar, no colours, no carriage returns, but plain progress lines, on
    // stderr (stdout keeps only results) and nothing else there.
    expect(r.stdout + r.stderr).not.toContain('\x1b');
    expect(r.stdout + r.stderr).not.toContain('\r');
    expect(r.stdout).not.toContain('batches');
    const progress = lines(r.stderr);
    expect(
      progress.every((l) => l.includes('batches')),
      r.stderr,
    ).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const line of progress)
      expect(line).toMatch(/^epoch [12]\/2 \d+\/4 batches {2}loss \d+\.\d{4} {2}[\d,]+ tok\/s$/);
    expect(progress.some((l) => l.startsWith('epoch 2/2 4/4 batches'))).toBe(true);
    expect(r.stdout).toContain(`run directory: ${out}`);
    expect(r.stdout).toContain('63 train / 9 valid / 18 test examples');
    // Says where valid and test came from: no --valid or --test, so both were split off --train.
    expect(r.stdout).toMatch(
      /^data: \S+topics\.csv \(valid 10 % and test 20 % of it split off, stratified, seed \d+\)$/m,
    );
    expect(r.stdout).toMatch(/^epoch 1: train loss \d\.\d{4} {2}valid loss/m);
    expect(r.stdout).toMatch(/^test accuracy \d\.\d{4} {2}macro-F1 \d\.\d{4}/m);

    for (const file of [
      'config.json',
      'tokenizer.json',
      'labels.json',
      'model.safetensors',
      'history.jsonl',
      'steps.jsonl',
      'metrics.json',
      'report.html',
      'data.json',
      'checkpoint/state.json',
    ])
      expect(existsSync(join(out, file)), file).toBe(true);
    // The checkpoint: state.json and exactly the weight files it names (see checkpoint.ts).
    const { files } = await readJsonFile<{ files: Record<string, { name: string }> }>(
      join(out, 'checkpoint/state.json'),
    );
    expect((await readdir(join(out, 'checkpoint'))).sort()).toEqual(
      ['state.json', files.model.name, files.optimizer.name, files.best.name].sort(),
    );

    // config.json is the resolved configuration: the flags, every other option at its default
    // (taken from the schema, which owns the defaults), absolute paths.
    const config = await readJsonFile<Record<string, unknown>>(join(out, 'config.json'));
    expect(config).toEqual({
      ...TrainConfigSchema.parse({}),
      dataset: null,
      train: fixture('topics.csv'),
      model: 'lstm',
      hidden: 8,
      embed: 8,
      epochs: 2,
      maxLen: 20,
      batchSize: 16,
      out,
      resume: null,
    });
    expect(config).toMatchObject({ tokenizer: 'word', layers: 1, bidirectional: true, seed: 0 });

    const labels = await readJsonFile<{ names: string[] }>(join(out, 'labels.json'));
    expect(labels.names).toEqual(['sports', 'food', 'weather']);
    const tokenizer = await readJsonFile<{ kind: string; maxLen: number; vocab: { itos: string[] } }>(
      join(out, 'tokenizer.json'),
    );
    expect(tokenizer).toMatchObject({ type: 'seqlab.TextEncoder', kind: 'word', maxLen: 20 });
    expect(tokenizer.vocab.itos.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(tokenizer.vocab.itos).toContain('goal');

    expect(await shapes(join(out, 'model.safetensors'))).toEqual({
      'embedding.weight': [tokenizer.vocab.itos.length, 8],
      ...recurrentShapes('lstm', 4, 8, 8),
      'fc.weight': [3, 16],
      'fc.bias': [3],
    });
    // The final model is the best epoch's weights.
    expect(await readWeights(join(out, 'model.safetensors'))).toEqual(
      await readWeights(join(out, 'checkpoint', files.best.name)),
    );

    const metrics = await expectRunFiles(out, 2, ['sports', 'food', 'weather']);
    expect(metrics.test.examples).toBe(18);
    await expectSelfContainedReport(out, metrics);
  });

  it('trains a GRU on TSV with char tokens and named columns; --quiet prints only the result', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli([
      '--quiet',
      'train',
      '--train',
      fixture('topics.tsv'),
      '--text-column',
      'sentence',
      '--label-column',
      'topic',
      '--model',
      'gru',
      '--tokenizer',
      'char',
      ...TINY,
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = lines(r.stdout);
    expect(printed).toHaveLength(5);
    expect(printed[0]).toMatch(
      /^test accuracy \d\.\d{4} {2}macro-F1 \d\.\d{4} {2}loss \d\.\d{4} {2}\(best epoch [12], 16 examples\)$/,
    );
    expect(printed[1]).toBe('confusion matrix (rows: true weather, sports; columns: predicted):');
    expect(printed[2]).toMatch(/^ {2}weather +\d+ +\d+$/);
    expect(printed[3]).toMatch(/^ {2}sports +\d+ +\d+$/);
    expect(printed[4]).toBe(
      `wrote ${out}/{model.safetensors, metrics.json, history.jsonl, steps.jsonl, report.html}`,
    );

    const tokenizer = await readJsonFile<{ kind: string; vocab: { itos: string[] } }>(
      join(out, 'tokenizer.json'),
    );
    expect(tokenizer.kind).toBe('char');
    expect(tokenizer.vocab.itos.slice(2).every((t) => [...t].length === 1)).toBe(true);
    expect(await shapes(join(out, 'model.safetensors'))).toEqual({
      'embedding.weight': [tokenizer.vocab.itos.length, 8],
      ...recurrentShapes('gru', 3, 8, 8),
      'fc.weight': [2, 16],
      'fc.bias': [2],
    });
    await expectRunFiles(out, 2, ['weather', 'sports']);
  });

  it('trains an RNN on JSONL with BPE tokens; --log-format json prints JSON lines only', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli([
      '--log-format',
      'json',
      'train',
      '--train',
      fixture('topics.jsonl'),
      '--model',
      'rnn',
      '--tokenizer',
      'bpe',
      ...TINY,
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['epoch', 'epoch', 'test']);
    const history = await readJsonLines<History>(join(out, 'history.jsonl'));
    expect(events.slice(0, 2).map(({ event: _, ...rest }) => rest)).toEqual(history);
    const { event: _, run, ...testEvent } = events[2];
    expect(run).toBe(out);
    expect(testEvent).toEqual(await readJsonFile(join(out, 'metrics.json')));

    const tokenizer = await readJsonFile<{ kind: string; maxLen: number }>(join(out, 'tokenizer.json'));
    expect(tokenizer).toMatchObject({ kind: 'bpe', maxLen: 20 });
    const s = await shapes(join(out, 'model.safetensors'));
    expect(Object.keys(s).sort()).toEqual(
      ['embedding.weight', 'fc.bias', 'fc.weight', ...Object.keys(recurrentShapes('rnn', 1, 8, 8))].sort(),
    );
    expect(s).toMatchObject({ ...recurrentShapes('rnn', 1, 8, 8), 'fc.weight': [3, 16] });
    await expectRunFiles(out, 2, ['sports', 'weather', 'food']);
  });

  it('trains the bag-of-embeddings baseline (embedding -> mlp.0 -> ReLU -> mlp.2)', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli([
      '--quiet',
      'train',
      '--train',
      fixture('topics.csv'),
      '--model',
      'bag',
      ...TINY,
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const vocab = (await readJsonFile<{ vocab: { itos: string[] } }>(join(out, 'tokenizer.json'))).vocab.itos;
    expect(await shapes(join(out, 'model.safetensors'))).toEqual({
      'embedding.weight': [vocab.length, 8],
      'mlp.0.weight': [8, 8],
      'mlp.0.bias': [8],
      'mlp.2.weight': [3, 8],
      'mlp.2.bias': [3],
    });
    await expectSelfContainedReport(out, await expectRunFiles(out, 2, ['sports', 'food', 'weather']));
  });

  it('reads --config FILE, and flags override it (commander defaults do not)', async () => {
    const dir = await temp.make();
    const configFile = join(dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        train: fixture('topics.tsv'),
        textColumn: 'sentence',
        labelColumn: 'topic',
        model: 'gru',
        tokenizer: 'char',
        hidden: 8,
        embed: 8,
        epochs: 1,
        maxLen: 20,
        batchSize: 16,
        bidirectional: true,
        seed: 3,
      }),
    );
    const out = join(dir, 'run');
    const flags = ['--model', 'rnn', '--hidden', '6', '--no-bidirectional'];
    const r = await runCli([
      '--quiet',
      'train',
      '--config',
      configFile,
      ...flags,
      '--no-bucketing',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = await readJsonFile<Record<string, unknown>>(join(out, 'config.json'));
    expect(config).toMatchObject({
      // from the flags
      model: 'rnn',
      hidden: 6,
      bidirectional: false,
      bucketing: false,
      // from the file
      textColumn: 'sentence',
      labelColumn: 'topic',
      tokenizer: 'char',
      embed: 8,
      epochs: 1,
      seed: 3,
    });
    expect(await shapes(join(out, 'model.safetensors'))).toMatchObject({
      'rnn.weight_ih_l0': [6, 8],
      'rnn.weight_hh_l0': [6, 6],
      'fc.weight': [2, 6],
    });
    expect(await shapes(join(out, 'model.safetensors'))).not.toHaveProperty('rnn.weight_ih_l0_reverse');
    await expectRunFiles(out, 1, ['weather', 'sports']);

    // --no-bucketing reaches the loader: the same run with bucketing sees other batches.
    const bucketed = join(dir, 'bucketed');
    const b = await runCli(['--quiet', 'train', '--config', configFile, ...flags, '--out', bucketed]);
    expect(b.code).toBe(0);
    const loss = async (d: string) =>
      (await readJsonLines<{ train_loss: number }>(join(d, 'history.jsonl')))[0].train_loss;
    expect(await loss(bucketed)).not.toBe(await loss(out));
  });

  it('stores absolute data paths in config.json when given relative ones', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli(
      [
        '--quiet',
        'train',
        '--train',
        'topics.csv',
        '--test',
        'topics.jsonl',
        ...TINY,
        '--epochs',
        '1',
        '--out',
        out,
      ],
      { cwd: fixture('.') },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = await readJsonFile<{ train: string; test: string; out: string }>(join(out, 'config.json'));
    expect(isAbsolute(config.train)).toBe(true);
    expect(config.train).toBe(fixture('topics.csv'));
    expect(config.test).toBe(fixture('topics.jsonl'));
    expect(config.out).toBe(out);
  });

  it('trains on the built-in names dataset (character level) with a tiny model in one epoch', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli([
      'train',
      '--dataset',
      'names',
      '--hidden',
      '8',
      '--embed',
      '8',
      '--epochs',
      '1',
      '--max-len',
      '20',
      '--batch-size',
      '64',
      '--out',
      out,
    ]);
    expect(lines(r.stderr).filter((l) => !l.includes(' batches  loss '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('first names');
    const config = await readJsonFile<{ dataset: string; tokenizer: string }>(join(out, 'config.json'));
    expect(config).toMatchObject({ dataset: 'names', tokenizer: 'char' });
    const tokenizer = await readJsonFile<{ kind: string; vocab: { itos: string[] } }>(
      join(out, 'tokenizer.json'),
    );
    expect(tokenizer.kind).toBe('char');
    const tokens = tokenizer.vocab.itos.slice(2);
    expect(tokens.length).toBeGreaterThan(20);
    expect(tokens.every((t) => [...t].length === 1)).toBe(true);
    const metrics = await expectRunFiles(out, 1, ['female', 'male']);
    // A character model learns something about first names in one epoch.
    expect(metrics.test.accuracy).toBeGreaterThan(0.6);
  });
});
