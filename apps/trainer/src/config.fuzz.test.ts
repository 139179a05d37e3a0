// Fuzzing a run's config.json (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases
// with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The file starts from the
// config.json of a tiny run and one field is changed (wrong types, 1e300, negative, NaN-ish strings,
// long strings, 6,000-deep nesting, an absent or repeated key, `__proto__`); it is read as `loadRun`
// reads it (readJson, parseSavedConfig), and a config that passes goes on to the classifier loader with
// the tiny run's weights file: the model config.json implies is checked against the file's header
// before anything is built, so a fuzzed config builds the tiny model or nothing.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadClassifierWeights, type ModelConfig, TextClassifier } from '@seqlab/classifier';
import { openRunWeights } from '@seqlab/classifier/node';
import type { Module } from '@seqlab/layers';
import { ConfigError, FileError, FormatError } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { parseSavedConfig, parseTrainConfig } from './config';
import { writeStateDict } from './run-dir';
import { readAsRunFile, runFileText, scratchDir } from './run-file-fuzz';

const fuzz = fuzzSettings();

/**
 * The float32 bytes of the models built during a case: the loader builds its model inside
 * `skipInit` (no random init, every parameter loaded from the file), counted here as it returns.
 */
const built = vi.hoisted(() => [] as number[]);
vi.mock('@seqlab/layers', async (importOriginal) => {
  const original = await importOriginal<typeof import('@seqlab/layers')>();
  const skipInit = <T>(build: () => T): T => {
    const model = original.skipInit(build);
    built.push((model as Module).parameters().reduce((n, p) => n + 4 * p.numel, 0));
    return model;
  };
  return { ...original, skipInit };
});

/** The classifier of a run's weights file, as the loader builds it (header first, then the tensors). */
async function loadClassifier(config: ModelConfig, vocabSize: number, numClasses: number, path: string) {
  const file = await openRunWeights(path, '--run');
  try {
    return await loadClassifierWeights(config, vocabSize, numClasses, file, '--run');
  } finally {
    await file.close();
  }
}

const VOCAB = 12;
const CLASSES = 3;
const config = parseTrainConfig({ hidden: 4, embed: 3, layers: 2, minFreq: 1, train: '/data/train.csv' });
/** config.json as `seqlab train` writes it. */
const saved = { ...config, out: '/runs/tiny', resume: null };
const weights = join(scratchDir, 'model.safetensors');
await writeStateDict(weights, new TextClassifier(config, VOCAB, CLASSES).stateDict());
const weightBytes = statSync(weights).size;

/** The model's fields set to other valid values, mostly ones that imply a model of gigabytes. */
const otherModel = fc
  .record({
    hidden: fc.constantFrom(4, 5, 4096),
    embed: fc.constantFrom(3, 4096),
    layers: fc.constantFrom(1, 2, 8),
    bidirectional: fc.boolean(),
    model: fc.constantFrom('lstm', 'gru', 'rnn', 'bag'),
  })
  .map((fields) => JSON.stringify({ ...saved, ...fields }));

describe('fuzzing config.json (parseSavedConfig, then loadClassifier)', () => {
  test('the tiny model or a short ConfigError/FormatError; nothing bigger than the weights file; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: runFileText(saved) }, otherModel), async (text) => {
        built.length = 0;
        const model = await checkCaseAsync(
          fuzz,
          async () => {
            try {
              const parsed = parseSavedConfig(await readAsRunFile(text, 'config.json'));
              return await loadClassifier(parsed, VOCAB, CLASSES, weights);
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2_000);
              throw error;
            }
          },
          {
            errors: [ConfigError, FormatError, FileError],
            inputSize: text.length + weightBytes,
            resultBytes: (m) => m.parameters().reduce((n, p) => n + 4 * p.numel, 0),
            maxResultBytes: weightBytes,
          },
        );
        // Only a model the weights file holds is ever built: the header is checked first.
        for (const bytes of built) expect(bytes).toBeLessThanOrEqual(weightBytes);
        if (model) {
          expect(model.config.hidden).toBe(config.hidden);
          expect(built).toHaveLength(1); // the count sees the loader's model
        }
      }),
      fuzz.params,
    );
  });
});
