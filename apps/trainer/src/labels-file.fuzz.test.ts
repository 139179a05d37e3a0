// Fuzzing a run's labels.json (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases
// with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The file starts from the
// labels.json `seqlab train` writes and one field is changed (names or ids of wrong types, 1e300,
// swapped or repeated, `__proto__` and `constructor` as names or keys, long strings, 6,000-deep
// nesting, absent or repeated keys); it is read as `loadRun` reads it (readJson, parseLabelsFile).
import { parseLabelsFile } from '@seqlab/classifier';
import { LabelMap } from '@seqlab/data';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readAsRunFile, runFileText } from './run-file-fuzz';

const fuzz = fuzzSettings();

const NAMES = ['sports', 'food', 'weather', '__proto__', 'constructor'];
const good = { names: NAMES, map: new LabelMap(NAMES).toJSON() };

describe('fuzzing labels.json (parseLabelsFile)', () => {
  test('names and a map that sends names[i] to i, or a short FormatError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(runFileText(good), async (text) => {
        const parsed = await checkCaseAsync(
          fuzz,
          async () => {
            try {
              return parseLabelsFile(await readAsRunFile(text, 'labels.json'), 'labels.json');
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2_000);
              throw error;
            }
          },
          {
            errors: [FormatError, ConfigError],
            inputSize: text.length,
            resultBytes: (r) => r.labels.size + r.names.reduce((n, name) => n + name.length, 0),
            maxResultBytes: text.length,
          },
        );
        if (!parsed) return;
        const { names, labels } = parsed;
        expect(labels.size).toBe(names.length);
        expect(new Set(names).size).toBe(names.length);
        for (const [i, name] of names.entries()) expect(labels.encode(name)).toBe(i);
        if (labels.mode === 'names') expect(labels.names).toEqual(names);
      }),
      fuzz.params,
    );
  });
});
