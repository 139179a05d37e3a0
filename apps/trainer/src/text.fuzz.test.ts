// Fuzzing a run's tokenizer.json (fast-check): a seeded 200-case sample per kind in `pnpm test`,
// 10,000 cases each with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The file starts
// from the tokenizer.json of a tiny run (word, char and BPE) and one field is changed, down to the
// vocabulary's tokens and the BPE merges and pattern (wrong types, 1e300, long strings, 6,000-deep
// nesting, absent or repeated keys, `__proto__`); it is read as `loadRun` reads it (readJson,
// loadTextEncoder), and an encoder that loads must encode a text into at most `maxLen` valid ids.
import { buildTextEncoder, loadTextEncoder } from '@seqlab/classifier';
import { ConfigError, FormatError } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseTrainConfig } from './config';
import { readAsRunFile, runFileText } from './run-file-fuzz';

const fuzz = fuzzSettings();

const TRAIN = [
  'the team scored a goal',
  'a rich chocolate cake',
  'rain and wind tomorrow',
  "the striker's goal, missed",
].map((text, label) => ({ text, label }));
const PROBE = `the newest café 👍🏽 goal ${'a'.repeat(30)}!`;

describe.each(['word', 'char', 'bpe'] as const)(
  'fuzzing tokenizer.json of kind %s (loadTextEncoder)',
  (kind) => {
    const encoder = buildTextEncoder(parseTrainConfig({ tokenizer: kind, minFreq: 1, maxLen: 12 }), TRAIN);
    const good = encoder.toJSON();

    test('an encoder whose ids are below its vocabulary size, at most maxLen of them, or a short FormatError; Object.prototype untouched', {
      timeout: fuzz.testTimeout,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(runFileText(good), async (text) => {
          const loaded = await checkCaseAsync(
            fuzz,
            async () => {
              try {
                return loadTextEncoder(await readAsRunFile(text, 'tokenizer.json'), 'tokenizer.json');
              } catch (error) {
                expect((error as Error).message.length).toBeLessThan(2_000);
                throw error;
              }
            },
            {
              errors: [FormatError],
              inputSize: text.length,
              // BPE's 256 byte tokens come with every file; anything else the file pays for.
              resultBytes: (e) => e.vocabSize,
              maxResultBytes: text.length + 300,
            },
          );
          if (!loaded) return;
          const ids = await checkCaseAsync(fuzz, async () => loaded.encode(PROBE), {
            errors: [FormatError, ConfigError],
            inputSize: PROBE.length,
          });
          const maxLen = (JSON.parse(text) as { maxLen: number }).maxLen;
          expect(ids?.length).toBeLessThanOrEqual(maxLen);
          for (const id of ids ?? []) expect(id).toBeLessThan(loaded.vocabSize);
        }),
        fuzz.params,
      );
    });
  },
);
