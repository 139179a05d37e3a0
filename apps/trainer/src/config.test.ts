import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSavedConfig, parseTrainConfig } from './config';

const ARTICLE = new URL('../configs/article-lstm.json', import.meta.url);
const REFERENCE = new URL('../../../../shared/bench/reference/train_reference.py', import.meta.url);
const hasReference = existsSync(REFERENCE);
if (!hasReference)
  console.warn(`[trainer] skipping the train_reference.py test: ${REFERENCE.pathname} is absent`);

describe('configs/article-lstm.json (the article SentimentLSTM)', () => {
  const config = parseTrainConfig(JSON.parse(readFileSync(ARTICLE, 'utf8')));

  it('is a valid configuration with the article settings', () => {
    expect(config).toMatchObject({
      model: 'lstm',
      layers: 2,
      hidden: 256,
      embed: 128,
      bidirectional: true,
      dropout: 0.3,
      maxLen: 50,
      minFreq: 1,
      vocabSize: 10000,
      batchSize: 32,
      bucketing: false,
      lr: 1e-3,
      optimizer: 'adam',
      weightDecay: 0,
      scheduler: 'none',
      clip: 5,
      patience: 2,
      seed: 0,
    });
  });

  it.skipIf(!hasReference)('matches what train_reference.py states (../shared beside the repository)', () => {
    const py = readFileSync(REFERENCE, 'utf8');
    expect(py).toContain(
      'nn.LSTM(128, 256, num_layers=2, batch_first=True, dropout=0.3, bidirectional=True)',
    );
    expect(py).toContain('Embedding(10000, 128, padding_idx=0)');
    expect(py).toMatch(/Adam\(lr=1e-3\), clip_grad_norm_\(parameters, 5\.0\),\s+batch 32/);
    expect(py).toContain('max_len: 50 for sentiment');
    expect(py).toContain('the 9,998 most frequent train tokens');
    expect(py).toMatch(/``--patience`` \(2\)/);
    // Plain shuffled batches, as there: no bucketing by length.
    expect(py).toContain('training set reshuffled every epoch (seeded)');
    expect(config.bucketing).toBe(false);
    // <pad> and <unk>, then 9,998 tokens: no frequency floor, 10,000 entries in all.
    expect([config.minFreq, config.vocabSize]).toEqual([1, 10000]);
  });
});

describe('parseTrainConfig: where the data comes from', () => {
  it('is the built-in default when nothing is given', () => {
    expect(parseTrainConfig({})).toMatchObject({ dataset: 'spam-assassin', train: null });
    expect(parseTrainConfig({ dataset: 'names' })).toMatchObject({ dataset: 'names', train: null });
  });

  it('is the files when --train is given: the resolved config names no built-in dataset', () => {
    expect(parseTrainConfig({ train: 'a.csv', valid: 'b.csv' })).toMatchObject({
      dataset: null,
      train: 'a.csv',
      valid: 'b.csv',
      test: null,
    });
  });

  it('rejects a built-in dataset beside --train instead of ignoring one of them', () => {
    expect(() => parseTrainConfig({ dataset: 'names', train: 'a.csv' })).toThrow(
      /dataset: expected no built-in dataset with --train[^;]*\(given "names"\)/,
    );
  });

  it('rejects --valid or --test without --train instead of ignoring them', () => {
    expect(() => parseTrainConfig({ valid: 'b.csv' })).toThrow(
      /valid: expected --train with it[^;]*\(given "b.csv"\)/,
    );
    expect(() => parseTrainConfig({ dataset: 'names', test: 'c.csv' })).toThrow(/test: expected --train/);
  });
});

describe('parseSavedConfig', () => {
  it('reads a run on files saved with the old default dataset beside train', () => {
    const saved = { ...parseTrainConfig({ train: '/d/a.csv' }), dataset: 'spam-assassin' };
    expect(parseSavedConfig(saved)).toMatchObject({ dataset: null, train: '/d/a.csv' });
  });

  it('still rejects what no version wrote', () => {
    expect(() => parseSavedConfig({ train: '/d/a.csv', dataset: 'names' })).toThrow(/dataset: expected no/);
    expect(parseSavedConfig({ dataset: 'names' })).toMatchObject({ dataset: 'names' });
  });
});
