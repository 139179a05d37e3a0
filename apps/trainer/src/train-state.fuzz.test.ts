// Fuzzing a run's checkpoint/state.json (fast-check): a seeded 200-case sample in `pnpm test`,
// 10,000 cases with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). The file starts from
// a state `seqlab train` writes after one of three epochs and one field is changed, at any depth
// (history and step lines, the optimizer's state, the early-stopping state, the generator state,
// the partial epoch, the checkpoint's file names and hashes): wrong types, 1e300, negative,
// NaN-ish strings, long strings, 6,000-deep nesting, absent or repeated keys, `__proto__` and
// `constructor` keys, history repeated 5,000 times. It is read as `train --resume` reads it
// (readJson, parseTrainState).
import { EarlyStopping } from '@seqlab/metrics';
import { ConfigError, defaultGenerator, FormatError } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseTrainConfig } from './config';
import { readAsRunFile, runFileText } from './run-file-fuzz';
import { findProtoKey, parseTrainState } from './train-state';

const fuzz = fuzzSettings();

const config = parseTrainConfig({ epochs: 3 });
const ref = (kind: string) => ({ name: `${kind}.0123abcd.safetensors`, bytes: 4708, sha256: 'a'.repeat(64) });
/** checkpoint/state.json in the middle of epoch 2 of 3, with Adam's state and a partial epoch. */
const good = {
  type: 'seqlab.TrainState',
  epochsDone: 1,
  finished: false,
  history: [
    {
      epoch: 1,
      train_loss: 0.5,
      valid_loss: 0.6,
      valid_accuracy: 0.75,
      valid_macro_f1: 0.7,
      grad_norm: 0.3,
      lr: 0.002,
      seconds: 2,
      tokens_per_s: 1000,
    },
  ],
  steps: [1, 2, 3, 4, 5, 6, 7].map((n) => ({
    step: n,
    epoch: n / 4,
    loss: 0.7 - n / 100,
    loss_ema: 0.69,
    lr: 0.002,
  })),
  optimizer: {
    optimizer: 'Adam',
    state: {
      0: { step: 4, exp_avg: { $tensor: 'state.0.exp_avg' }, exp_avg_sq: { $tensor: 'state.0.exp_avg_sq' } },
      1: { step: 4, exp_avg: { $tensor: 'state.1.exp_avg' }, exp_avg_sq: { $tensor: 'state.1.exp_avg_sq' } },
    },
    param_groups: [{ params: [0, 1], lr: 0.002, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 }],
  },
  scheduler: null,
  earlyStopping: new EarlyStopping({ mode: 'max', patience: 2 }).stateDict(),
  rng: defaultGenerator()
    .getState()
    .map((v) => (Number.isNaN(v) ? null : v)),
  partial: { epoch: 1, batchesDone: 3, lossSum: 1.5, gradNormSum: 0.9, tokens: 120, seconds: 0.5 },
  files: { model: ref('model'), optimizer: ref('optimizer'), best: ref('best') },
};

describe('fuzzing checkpoint/state.json (parseTrainState)', () => {
  test('a state that agrees with config.json and has no __proto__ key, or a short FormatError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(runFileText(good), async (text) => {
        const state = await checkCaseAsync(
          fuzz,
          async () => {
            try {
              return parseTrainState(
                await readAsRunFile(text, 'state.json', '--resume'),
                'state.json',
                config,
              );
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2_000);
              throw error;
            }
          },
          {
            errors: [FormatError, ConfigError],
            inputSize: text.length,
            resultBytes: (s) => JSON.stringify(s).length,
            maxResultBytes: 2 * text.length + 4096,
          },
        );
        if (!state) return;
        expect(state.epochsDone).toBeLessThanOrEqual(config.epochs);
        expect(state.history.map((h) => h.epoch)).toEqual(state.history.map((_, i) => i + 1));
        expect(state.history.length).toBe(state.epochsDone);
        expect(findProtoKey(state)).toBeNull();
      }),
      fuzz.params,
    );
  });
});
