import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { parseSavedConfig, parseTrainConfig } from './config';
import { readConfigFile } from './flags';

const ARTICLE = new URL('../configs/article-lstm.json', import.meta.url);
const REFERENCE = new URL('../../../../shared/bench/reference/train_reference.py', import.meta.url);
const hasReference = existsSync(REFERENCE);
if (!hasReference)
  console.warn(`[trainer] skipping the train_reference.py test: ${REFERENCE.pathname} is absent`);

const file = await readConfigFile(ARTICLE.pathname);

describe('configs/article-lstm.json (the article SentimentLSTM)', () => {
  const config = parseTrainConfig(file);

  it('points editors at config.schema.json, and reading it drops that key', () => {
    expect(JSON.parse(readFileSync(ARTICLE, 'utf8')).$schema).toBe('../config.schema.json');
    expect('$schema' in file).toBe(false);
  });

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
      /--valid: expected --train with it[^\n]*\(given "b.csv"\)/,
    );
    expect(() => parseTrainConfig({ dataset: 'names', test: 'c.csv' })).toThrow(/--test: expected --train/);
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

describe('parseTrainConfig: every numeric option has a documented range', () => {
  // [key, flag, range as the message writes it, accepted values (the ends), rejected values]
  const RANGES: [string, string, string, number[], number[]][] = [
    ['layers', '--layers', 'an integer in [1, 8]', [1, 8], [0, 9, 1.5]],
    ['hidden', '--hidden', 'an integer in [1, 4096]', [1, 4096], [0, -3, 4097, 2.5]],
    ['embed', '--embed', 'an integer in [1, 4096]', [1, 4096], [0, 4097]],
    ['dropout', '--dropout', 'a number in [0, 1)', [0, 0.999], [-0.1, 1, 1.5]],
    ['forgetBias', '--forget-bias', 'a number in [-10, 10]', [-10, 10], [-10.5, 1e30]],
    ['maxLen', '--max-len', 'an integer in [1, 100,000]', [1, 100_000], [0, 100_001]],
    ['minFreq', '--min-freq', 'an integer in [1, 1,000,000]', [1, 1_000_000], [0, 1e7]],
    ['vocabSize', '--vocab-size', 'an integer in [4, 1,000,000]', [4, 1_000_000], [3, 1e9]],
    ['batchSize', '--batch-size', 'an integer in [1, 65,536]', [1, 65536], [0, 65537]],
    ['epochs', '--epochs', 'an integer in [1, 10,000]', [1, 10000], [0, 10001, 2.5]],
    ['lr', '--lr', 'a number in (0, 10]', [1e-8, 10], [0, -1e-3, 11]],
    ['weightDecay', '--weight-decay', 'a number in [0, 1]', [0, 1], [-1e-4, 1.01, 1e30]],
    ['clip', '--clip', 'a number in [0, 10,000]', [0, 10000], [-1, 1e5]],
    ['patience', '--patience', 'an integer in [0, 10,000]', [0, 10000], [-1, 10001, 0.5]],
    ['validSplit', 'validSplit', 'a number in (0, 1)', [0.01, 0.5], [0, 1]],
    ['testSplit', 'testSplit', 'a number in (0, 1)', [0.01, 0.5], [0, 1]],
    ['seed', '--seed', 'an integer in [0, 2,147,483,647]', [0, 2 ** 31 - 1], [-1, 2 ** 31, 0.5]],
  ];

  it('covers every numeric key of the schema', () => {
    const numeric = Object.entries(parseTrainConfig({}))
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    expect(RANGES.map(([k]) => k).sort()).toEqual(numeric.sort());
  });

  it.each(RANGES)('%s accepts the ends of its range', (key, _flag, _range, ok) => {
    for (const value of ok) expect(parseTrainConfig({ [key]: value })).toMatchObject({ [key]: value });
  });

  it.each(RANGES)(
    '%s outside its range: a ConfigError naming the flag (the key for file-only options), the range and the value',
    (key, flag, range, _ok, bad) => {
      for (const value of bad) {
        const call = () => parseTrainConfig({ [key]: value });
        expect(call).toThrow(ConfigError);
        expect(call).toThrow(`\n  ${flag}: expected ${range} (given ${JSON.stringify(value)})`);
      }
    },
  );

  it('names the weight decay of 1e30 as out of range, not a configuration', () => {
    expect(() => parseTrainConfig({ optimizer: 'sgd', weightDecay: 1e30 })).toThrow(
      'config: expected a valid training configuration, got 1 problem:\n  --weight-decay: expected a number in [0, 1] (given 1e+30)',
    );
  });

  it('rejects a valid and test split that leave nothing to train on, unless a file replaces one', () => {
    expect(() => parseTrainConfig({ train: 'a.csv', validSplit: 0.5, testSplit: 0.5 })).toThrow(
      'validSplit: expected validSplit + testSplit < 1 (data left to train on), with testSplit 0.5 (given 0.5)',
    );
    expect(
      parseTrainConfig({ train: 'a.csv', test: 'b.csv', validSplit: 0.5, testSplit: 0.5 }),
    ).toMatchObject({
      validSplit: 0.5,
    });
  });
});
