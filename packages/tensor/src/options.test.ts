// Options are checked at run time: an unknown key (a PyTorch snake_case habit, a typo) is a
// ConfigError naming it, never a silently different call.

import {
  arange,
  argmax,
  ConfigError,
  cat,
  checkOptions,
  describeValue,
  dropout,
  eye,
  full,
  fullLike,
  logsumexp,
  max,
  mean,
  ones,
  onesLike,
  optionKeys,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
  rand,
  randint,
  randn,
  saveSafetensors,
  softmax,
  sum,
  tensor,
  uniform,
  zeros,
  zerosLike,
} from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

const KEYS = optionKeys<{ inputSize: number; hiddenSize: number; batchFirst?: boolean; dropout?: number }>({
  inputSize: true,
  hiddenSize: true,
  batchFirst: true,
  dropout: true,
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('checkOptions', () => {
  test('passes undefined, {} and known keys (values are not its business)', () => {
    expect(() => checkOptions('op', undefined, KEYS)).not.toThrow();
    expect(() => checkOptions('op', {}, KEYS)).not.toThrow();
    expect(() => checkOptions('op', { inputSize: 1, dropout: undefined }, KEYS)).not.toThrow();
    expect(() =>
      checkOptions('op', Object.assign(Object.create(null), { hiddenSize: 2 }), KEYS),
    ).not.toThrow();
  });

  test('a snake_case key names its camelCase spelling', () => {
    expect(messageOf(() => checkOptions('LSTM', { inputSize: 1, batch_first: true }, KEYS))).toBe(
      "LSTM: expected options among inputSize, hiddenSize, batchFirst, dropout, got unknown option 'batch_first'. " +
        'Use batchFirst: seqlab spells options in camelCase and accepts no snake_case alias',
    );
    expect(messageOf(() => checkOptions('LSTM', { hidden_size: 2 }, KEYS))).toContain('Use hiddenSize');
    expect(messageOf(() => checkOptions('LSTM', { batchfirst: true }, KEYS))).toContain('Use batchFirst');
  });

  test('a misspelt key names the nearest known key', () => {
    expect(messageOf(() => checkOptions('LSTM', { droput: 0.1 }, KEYS))).toBe(
      "LSTM: expected options among inputSize, hiddenSize, batchFirst, dropout, got unknown option 'droput'. Did you mean dropout?",
    );
    expect(messageOf(() => checkOptions('LSTM', { inputSise: 3 }, KEYS))).toContain(
      'Did you mean inputSize?',
    );
  });

  test('a key far from every known one lists the known keys only', () => {
    expect(messageOf(() => checkOptions('LSTM', { numWorkers: 2 }, KEYS))).toBe(
      "LSTM: expected options among inputSize, hiddenSize, batchFirst, dropout, got unknown option 'numWorkers'",
    );
  });

  test('an op without options says so', () => {
    expect(messageOf(() => checkOptions('op', { a: 1 }, []))).toBe(
      "op: expected no options, got unknown option 'a'",
    );
  });

  test.each([
    [3, 'the number 3'],
    ['int32', 'the string "int32"'],
    [[1, 2], 'an Array of 2 numbers'],
    [null, 'null'],
    [true, 'the boolean true'],
    [new Map(), 'a Map of 0 entries'],
    [() => 1, 'a function'],
  ])('a non-object %j is refused, saying what was given', (given, words) => {
    expect(messageOf(() => checkOptions('LSTM', given, KEYS))).toBe(
      `LSTM: expected an options object { inputSize, hiddenSize, batchFirst, dropout }, got ${words}`,
    );
  });

  test('a Tensor is not an options object', () => {
    expect(messageOf(() => checkOptions('op', zeros([2]), KEYS))).toContain(
      'got a float32 Tensor of shape [2]',
    );
    expect(describeValue(zeros([2]))).toBe('a float32 Tensor of shape [2]');
  });
});

describe('creation and sequence functions check their options', () => {
  const x = randn([3, 2, 4]);
  test.each([
    ['tensor', () => tensor([1, 2], { requires_grad: true } as never), 'Use requiresGrad'],
    ['tensor', () => tensor([1, 2], 'int32' as never), 'got the string "int32"'],
    ['full', () => full([2], 1, { dtyp: 'int32' } as never), 'Did you mean dtype?'],
    ['zeros', () => zeros([2], { requires_grad: true } as never), 'Use requiresGrad'],
    ['ones', () => ones([2], { device: 'cpu' } as never), "unknown option 'device'"],
    ['zerosLike', () => zerosLike(x, { requires_grad: true } as never), 'Use requiresGrad'],
    ['onesLike', () => onesLike(x, { requires_grad: true } as never), 'Use requiresGrad'],
    ['fullLike', () => fullLike(x, 2, { requires_grad: true } as never), 'Use requiresGrad'],
    ['arange', () => arange(0, 4, 1, { requires_grad: true } as never), 'Use requiresGrad'],
    ['eye', () => eye(2, 2, { requires_grad: true } as never), 'Use requiresGrad'],
    ['rand', () => rand([2], { seed: 1 } as never), "unknown option 'seed'"],
    ['randn', () => randn([2], { requires_grad: true } as never), 'Use requiresGrad'],
    ['uniform', () => uniform([2], 0, 1, { requires_grad: true } as never), 'Use requiresGrad'],
    ['randint', () => randint(0, 4, [2], { requires_grad: true } as never), 'Use requiresGrad'],
    ['dropout', () => dropout(x, 0.5, { train: false } as never), 'Did you mean training?'],
    [
      'packPaddedSequence',
      () => packPaddedSequence(x, [3, 2], { enforce_sorted: false } as never),
      'Use enforceSorted',
    ],
    [
      'padPackedSequence',
      () => padPackedSequence(packPaddedSequence(x, [3, 2]), { batch_first: true } as never),
      'Use batchFirst',
    ],
    ['padSequence', () => padSequence([x.select(1, 0)], { padding_value: 1 } as never), 'Use paddingValue'],
    [
      'packSequence',
      () => packSequence([x.select(1, 0)], { enforce_sorted: false } as never),
      'Use enforceSorted',
    ],
    ['saveSafetensors', () => saveSafetensors({ x }, { float_dtype: 'F16' } as never), 'Use floatDType'],
  ])('%s', (op, fn, hint) => {
    const message = messageOf(fn);
    expect(message.startsWith(`${op}: expected`)).toBe(true);
    expect(message).toContain(hint);
  });

  test('valid options still work', () => {
    const t = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.dtype).toBe('float64');
    expect(zeros([2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(packPaddedSequence(x, [2, 3], { enforceSorted: false }).batchSize).toBe(2);
  });
});

describe("reductions take dim and keepDim positionally; PyTorch's keywords are refused, not misread", () => {
  const x = randn([2, 3]);
  test.each<[string, () => unknown, string]>([
    [
      'sum(x, { dim: 1 })',
      () => sum(x, { dim: 1 } as never),
      'sum: expected dim as a number or a list of numbers, got a plain object with keys dim. dim is a positional argument here, not an option { dim }',
    ],
    [
      'sum(x, 1, { keepdim: false }) does not keep the dim',
      () => sum(x, 1, { keepdim: false } as never),
      'sum: expected keepDim true or false, got a plain object with keys keepdim. dim and keepDim are positional arguments: sum(x, 1, true), not sum(x, { dim: 1, keepdim: true })',
    ],
    [
      'mean(x, 1, "true")',
      () => mean(x, 1, 'true' as never),
      'mean: expected keepDim true or false, got the string "true"',
    ],
    ['max(x, 1, 1)', () => max(x, 1, 1 as never), 'max: expected keepDim true or false, got the number 1'],
    [
      'argmax(x, 1, {})',
      () => argmax(x, 1, {} as never),
      'argmax: expected keepDim true or false, got an empty plain object',
    ],
    [
      'logsumexp(x, 1, null)',
      () => logsumexp(x, 1, null as never),
      'logsumexp: expected keepDim true or false, got null',
    ],
    [
      'softmax(x, { dim: 1 })',
      () => softmax(x, { dim: 1 } as never),
      'softmax: expected dim in [-2, 1] for a tensor of rank 2, got a plain object with keys dim. dim is a positional argument here, not an option { dim }',
    ],
    [
      'cat([x, x], { dim: 1 })',
      () => cat([x, x], { dim: 1 } as never),
      'cat: expected dim in [-2, 1] for a tensor of rank 2, got a plain object with keys dim',
    ],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(ConfigError);
    expect(fn).toThrow(message);
  });

  test('positional dims and keepDim work as before', () => {
    expect(sum(x, 1, true).shape).toEqual([2, 1]);
    expect(x.sum(1).shape).toEqual([2]);
    expect(mean(x, [0, 1]).shape).toEqual([]);
    expect(max(x, 0, false).shape).toEqual([3]);
  });
});
