import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FormatError } from '@seqlab/tensor';
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

  // Found by data-fingerprint.fuzz.test.ts: an unknown key was shown whole (a 1 MB key, a 1 MB
  // message), and classes named twice passed, though each class is one output of the model.
  it('keeps the message short and refuses a class named twice', async () => {
    const f = await onFile('a', data(['sports', 'food', 'weather'], ROWS));
    const message = (json: unknown) => {
      try {
        parseFingerprint(json, 'data.json');
      } catch (error) {
        expect(error).toBeInstanceOf(FormatError);
        return (error as Error).message;
      }
      throw new Error('expected a FormatError');
    };
    const long = message({ ...f, ['k'.repeat(1_000_000)]: null });
    expect(long).toMatch(/got \(file\): unknown key\(s\) "kkk+…$/);
    expect(long.length).toBeLessThan(300);
    const many = message({ ...f, labels: Array.from({ length: 5_000 }, () => 1) });
    expect(many).toMatch(
      /labels.0: expected string, received number \(given 1\); .*… \(5,000 problems in all\)$/,
    );
    expect(message({ ...f, classes: ['sports', 'food', 'sports'] })).toContain(
      'classes.2: expected distinct class names (given "sports")',
    );
  });
});
