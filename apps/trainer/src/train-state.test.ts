import { EarlyStopping } from '@seqlab/metrics';
import { defaultGenerator, FormatError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from './config';
import { findProtoKey, parseTrainState } from './train-state';

const config = parseTrainConfig({ epochs: 3 });
const FILE = '/runs/x/checkpoint/state.json';
const ref = (kind: string) => ({ name: `${kind}.0123abcd.safetensors`, bytes: 10, sha256: 'a'.repeat(64) });
const epoch = (n: number) => ({
  epoch: n,
  train_loss: 0.5,
  valid_loss: 0.6,
  valid_accuracy: 0.75,
  valid_macro_f1: 0.7,
  grad_norm: 0.3,
  lr: 0.002,
  seconds: 2,
  tokens_per_s: 1000,
});

/** A valid state after `done` epochs, as JSON would give it back, with `change` applied. */
function state(done: number, change: Record<string, unknown> = {}): unknown {
  return JSON.parse(
    JSON.stringify({
      type: 'seqlab.TrainState',
      epochsDone: done,
      finished: false,
      history: Array.from({ length: done }, (_, i) => epoch(i + 1)),
      optimizer: {
        optimizer: 'Adam',
        state: { 0: { step: 4, exp_avg: { $tensor: 'state.0.exp_avg' } } },
        param_groups: [{ params: [0], lr: 0.002 }],
      },
      scheduler: null,
      earlyStopping: new EarlyStopping({ mode: 'max', patience: 2 }).stateDict(),
      rng: defaultGenerator().getState(),
      partial: { epoch: done, batchesDone: 3, lossSum: 1.5, gradNormSum: 0.9, tokens: 120, seconds: 0.5 },
      files: { model: ref('model'), optimizer: ref('optimizer'), best: done > 0 ? ref('best') : null },
      ...change,
    }),
  );
}

const problem = (json: unknown, cfg = config) => {
  try {
    parseTrainState(json, FILE, cfg);
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as Error).message;
  }
  throw new Error('expected a FormatError');
};

describe('parseTrainState', () => {
  it('accepts a state written by the trainer; JSON null in the generator state reads as NaN', () => {
    const json = state(1) as { rng: (number | null)[] };
    json.rng[json.rng.length - 1] = null;
    const s = parseTrainState(json, FILE, config);
    expect(s.epochsDone).toBe(1);
    expect(Number.isNaN(s.rng[s.rng.length - 1])).toBe(true);
  });

  it.each([
    ['a null history line', { history: [null] }, 'history.0: expected object (given null)'],
    [
      'a string loss sum',
      { partial: { ...(state(1) as { partial: object }).partial, lossSum: 'abc' } },
      'partial.lossSum: expected number (given "abc")',
    ],
    ['a negative epoch count', { epochsDone: -1 }, 'epochsDone: Too small'],
    ['an unknown key', { extra: 1 }, 'unknown key(s) "extra"'],
    [
      'a bad hash',
      { files: { ...(state(1) as { files: object }).files, model: { ...ref('model'), sha256: 'x' } } },
      'files.model.sha256: a SHA-256 as 64 hex digits (given "x")',
    ],
  ])('refuses %s, naming the path', (_name, change, fragment) => {
    const message = problem(state(1, change));
    expect(message).toContain(
      `--resume: expected a checkpoint state written by seqlab train in ${FILE}, got `,
    );
    expect(message).toContain(fragment);
  });

  it('checks the state against config.json and itself', () => {
    expect(problem(state(1, { epochsDone: 99 }))).toContain(
      'epochsDone: expected at most the 3 epochs of config.json (given 99)',
    );
    expect(problem(state(2, { history: [epoch(1)] }))).toContain(
      'history: expected one line per epoch done, 2 (given 1)',
    );
    expect(problem(state(2, { history: [epoch(1), epoch(3)] }))).toContain(
      'history.1.epoch: expected 2 (given 3)',
    );
    expect(problem(state(3, { partial: null }))).toContain('finished: expected true after all 3 epochs');
    expect(problem(state(1, { finished: true }))).toContain('partial.epoch: expected the epoch in progress');
    expect(
      problem(state(0, { files: { model: ref('model'), optimizer: ref('optimizer'), best: ref('best') } })),
    ).toContain('files.best: expected null before the first epoch ends');
    expect(problem(state(1), parseTrainConfig({ epochs: 3, scheduler: 'cosine' }))).toContain(
      'scheduler: expected the state of the cosine scheduler of config.json (given null)',
    );
  });

  it('reads the steps trained so far, and none from a checkpoint written before steps were recorded', () => {
    const steps = [1, 2, 3, 4].map((n) => ({ step: n, epoch: n / 2, loss: 0.5, loss_ema: 0.5, lr: 0.002 }));
    expect(parseTrainState(state(1, { steps }), FILE, config).steps).toEqual(steps);
    expect(parseTrainState(state(1), FILE, config).steps).toEqual([]);
  });

  it('refuses steps out of order, repeated, or beyond the epochs trained', () => {
    const step = (n: number, epoch = n / 2) => ({ step: n, epoch, loss: 0.5, loss_ema: 0.5, lr: 0.002 });
    expect(problem(state(1, { steps: [step(1), step(2), step(2)] }))).toContain(
      'steps.2.step: expected more than 2, the step before it (given 2)',
    );
    expect(problem(state(1, { steps: [step(2), step(1)] }))).toContain('steps.1.step: expected more than 2');
    // one epoch done and a partial one: at most epoch 2
    expect(problem(state(1, { steps: [step(1), step(2, 2.5)] }))).toContain(
      'steps.1.epoch: expected at most the 2 epoch(s) trained (given 2.5)',
    );
    expect(problem(state(1, { steps: [{ ...step(1), loss: 'NaN' }] }))).toContain(
      'steps.0.loss: expected number',
    );
    expect(problem(state(1, { steps: [{ ...step(1), extra: 1 }] }))).toContain(
      'steps.0: unknown key(s) "extra"',
    );
    // 5,000 copies of one line: one problem, not 5,000
    const many = problem(state(1, { steps: Array.from({ length: 5_000 }, () => step(1)) }));
    expect(many).toContain('steps.1.step: expected more than 1');
    expect(many.length).toBeLessThan(500);
  });

  it('refuses a __proto__ key anywhere instead of dropping it', () => {
    const text = JSON.stringify(state(1)).replace('"state":{"0":{', '"state":{"0":{"__proto__":{"x":1},');
    expect(problem(JSON.parse(text))).toContain('optimizer.state.0.__proto__: a key named __proto__');
    expect(findProtoKey(JSON.parse('[{"a":{"__proto__":null}}]'))).toBe('0.a.__proto__');
    expect(findProtoKey({ a: [1, { b: 2 }] })).toBeNull();
  });

  it('refuses the checkpoint of an older seqlab, which cannot be checked', () => {
    const { files: _, ...old } = state(1) as Record<string, unknown>;
    expect(problem(old)).toContain('a checkpoint of an older seqlab');
  });

  // Found by train-state.fuzz.test.ts: the message listed every problem and every key in full, so
  // a 1 MB state.json gave a 220 KB error line.
  it('keeps the message short: at most 10 problems, long keys and paths cut', () => {
    const line = (state(1) as { history: object[] }).history[0];
    const many = problem(state(1, { history: Array.from({ length: 5_000 }, () => line) }));
    expect(many).toContain('history.1.epoch: expected 2 (given 1)');
    expect(many).toMatch(/… \(5,000 problems in all\)$/);
    expect(many.length).toBeLessThan(2_000);
    const long = 'k'.repeat(100_000);
    const unknown = problem(state(1, { [long]: 1 }));
    expect(unknown).toMatch(/unknown key\(s\) "kkk+…$/);
    expect(unknown.length).toBeLessThan(2_000);
    const json = state(1) as { optimizer: { state: Record<string, unknown> } };
    json.optimizer.state[long] = { step: 1 };
    const key = problem(json);
    expect(key).toContain('optimizer.state.kkk');
    expect(key.length).toBeLessThan(2_000);
  });
});
