import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from './config';
import {
  alignLabels,
  type DataFingerprint,
  dataChanges,
  fingerprintData,
  parseFingerprint,
} from './data-fingerprint';
import type { LoadedData } from './dataset';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seqlab-fingerprint-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const data = (labelNames: string[], rows: [string, number][]): LoadedData => {
  const examples = rows.map(([text, label]) => ({ text, label }));
  return {
    train: examples,
    valid: examples.slice(0, 1),
    test: examples.slice(1, 2),
    labelNames,
    source: 'test',
  };
};
const ROWS: [string, number][] = [
  ['goal', 0],
  ['pizza', 1],
  ['rain', 2],
];

async function onFile(content: string, d: LoadedData): Promise<DataFingerprint> {
  const path = join(dir, 'train.csv');
  await writeFile(path, content);
  return fingerprintData(parseTrainConfig({ train: path }), d);
}

describe('dataChanges', () => {
  it('finds nothing in the same data', async () => {
    const d = data(['sports', 'food', 'weather'], ROWS);
    expect(dataChanges(await onFile('a', d), await onFile('a', d))).toEqual([]);
  });

  it('names the changed file, and labels added, removed or reordered', async () => {
    const before = await onFile('a', data(['sports', 'food', 'weather'], ROWS));
    const renamed = await onFile('ab', data(['sports', 'cooking', 'weather'], ROWS));
    expect(dataChanges(before, renamed)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^--train file ${join(dir, 'train.csv')} changed \\(1 → 2 bytes, SHA-256 [0-9a-f]{12}… → [0-9a-f]{12}…\\)$`,
        ),
      ),
      'labels added: "cooking"',
      'labels removed: "food"',
    ]);
    const reordered = await onFile(
      'b',
      data(
        ['food', 'sports', 'weather'],
        [
          ['goal', 1],
          ['pizza', 0],
          ['rain', 2],
        ],
      ),
    );
    expect(dataChanges(before, reordered).slice(1)).toEqual([
      'labels reordered: "sports", "food", "weather" → "food", "sports", "weather"',
    ]);
  });

  it('reports a different split when the files are the same (a built-in dataset, or another split)', async () => {
    const config = parseTrainConfig({ dataset: 'names' });
    const a = await fingerprintData(
      config,
      data(
        ['x', 'y'],
        [
          ['goal', 0],
          ['pizza', 1],
        ],
      ),
    );
    const b = await fingerprintData(
      config,
      data(
        ['x', 'y'],
        [
          ['goal', 0],
          ['pizza', 0],
        ],
      ),
    );
    const c = await fingerprintData(config, data(['x', 'y'], [['goal', 0]]));
    expect(a.files).toEqual([]);
    expect(dataChanges(a, b)).toEqual([
      expect.stringMatching(/^the train split has other examples \(2 of them, SHA-256 \S+ → \S+\)$/),
      expect.stringMatching(/^the test split has other examples/),
    ]);
    expect(dataChanges(a, c)[0]).toBe('the train split has 1 examples instead of 2');
  });
});

describe('alignLabels', () => {
  it("numbers the data with the run's classes", () => {
    const d = alignLabels(
      data(
        ['food', 'sports'],
        [
          ['pizza', 0],
          ['goal', 1],
        ],
      ),
      ['sports', 'food', 'weather'],
    );
    expect(d.labelNames).toEqual(['sports', 'food', 'weather']);
    expect(d.train).toEqual([
      { text: 'pizza', label: 1 },
      { text: 'goal', label: 0 },
    ]);
  });

  it('refuses a label the run does not have', () => {
    expect(() => alignLabels(data(['sports', 'cooking'], ROWS), ['sports', 'food'])).toThrow(ConfigError);
    expect(() => alignLabels(data(['sports', 'cooking'], ROWS), ['sports', 'food'])).toThrow(
      `expected only the run's labels ("sports", "food"), since the model has one output per label, got also "cooking" in the data`,
    );
  });
});

describe('parseFingerprint', () => {
  it('round-trips and refuses anything else, naming the file', async () => {
    const f = await onFile('a', data(['sports', 'food', 'weather'], ROWS));
    expect(parseFingerprint(JSON.parse(JSON.stringify(f)), 'data.json')).toEqual(f);
    expect(() => parseFingerprint({ ...f, labels: 'x' }, '/r/data.json')).toThrow(
      '--resume: expected a data fingerprint written by seqlab train in /r/data.json, got labels:',
    );
    expect(() => parseFingerprint(JSON.parse('{"__proto__": {}}'), 'data.json')).toThrow('__proto__');
  });
});
