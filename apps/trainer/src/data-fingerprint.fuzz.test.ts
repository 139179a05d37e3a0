// Fuzzing a run's data.json (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases
// with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The file starts from the data.json
// `seqlab train` writes for a run on three files and one field is changed (file records, split
// counts and hashes, label and class names: wrong types, 1e300, negative, long strings, 6,000-deep
// nesting, absent or repeated keys, `__proto__`); it is read as `train --resume` reads it (readJson,
// parseFingerprint), and a fingerprint that loads is compared with the original (dataChanges).
import { ConfigError, FormatError } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type DataFingerprint, dataChanges, parseFingerprint } from './data-fingerprint';
import { readAsRunFile, runFileText } from './run-file-fuzz';

const fuzz = fuzzSettings();

const sha = (c: string) => c.repeat(64);
const good: DataFingerprint = {
  type: 'seqlab.DataFingerprint',
  files: [
    { option: '--train', path: '/data/train.csv', bytes: 5120, sha256: sha('a') },
    { option: '--valid', path: '/data/valid.csv', bytes: 1024, sha256: sha('b') },
    { option: '--test', path: '/data/test.csv', bytes: 1024, sha256: sha('c') },
  ],
  splits: {
    train: { examples: 80, sha256: sha('d') },
    valid: { examples: 10, sha256: sha('e') },
    test: { examples: 10, sha256: sha('f') },
  },
  labels: ['neg', 'pos', '__proto__'],
  classes: ['neg', 'pos', '__proto__'],
};

describe('fuzzing data.json (parseFingerprint, then dataChanges)', () => {
  test('a fingerprint with distinct classes, or a short FormatError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(runFileText(good), async (text) => {
        const fingerprint = await checkCaseAsync(
          fuzz,
          async () => {
            try {
              return parseFingerprint(await readAsRunFile(text, 'data.json', '--resume'), 'data.json');
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2_000);
              throw error;
            }
          },
          {
            errors: [FormatError, ConfigError],
            inputSize: text.length,
            resultBytes: (f) => JSON.stringify(f).length,
            maxResultBytes: text.length,
          },
        );
        if (!fingerprint) return;
        // The model has one output per class: two outputs with one name would merge two classes.
        expect(new Set(fingerprint.classes).size).toBe(fingerprint.classes.length);
        const changes = checkCaseAsync(fuzz, async () => dataChanges(fingerprint, good), {
          errors: [],
          inputSize: text.length,
        });
        expect(Array.isArray(await changes)).toBe(true);
      }),
      fuzz.params,
    );
  });
});
