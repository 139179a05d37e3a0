// A plain array, a number or undefined where an op takes a Tensor: a ConfigError that names the op,
// says a Tensor was expected, names what was given and shows how to make a tensor of it.
import {
  add,
  argmax,
  ConfigError,
  cat,
  describeValue,
  dropout,
  gather,
  indexSelect,
  matmul,
  max,
  mean,
  packPaddedSequence,
  padPackedSequence,
  padSequence,
  reshape,
  softmax,
  stack,
  sum,
  type Tensor,
  tanh,
  tensor,
  transpose,
  where,
  zerosLike,
} from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

const x = tensor([
  [1, 2],
  [3, 4],
]);
const bad = <T>(v: unknown): T => v as T;

describe('ops given something other than a Tensor', () => {
  test.each([
    [
      'tanh',
      () => tanh(bad([1, 2])),
      'tanh: expected input to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
    ],
    [
      'mean',
      () =>
        mean(
          bad([
            [1, 2],
            [3, 4],
          ]),
        ),
      'mean: expected input to be a Tensor, got an Array of 2 Arrays. Make one with tensor([[1, 2], [3, 4]])',
    ],
    ['sum', () => sum(bad(undefined)), 'sum: expected input to be a Tensor, got undefined'],
    [
      'max',
      () => max(bad(3)),
      'max: expected input to be a Tensor, got the number 3. Make one with tensor(3)',
    ],
    [
      'argmax',
      () => argmax(bad(new Float32Array(3))),
      'argmax: expected input to be a Tensor, got a Float32Array of 3 values. Make one with tensor(values)',
    ],
    [
      'softmax',
      () => softmax(bad({ data: [1] }), 0),
      'softmax: expected input to be a Tensor, got a plain object with keys data',
    ],
    ['dropout', () => dropout(bad(null), 0.5), 'dropout: expected input to be a Tensor, got null'],
    [
      'matmul',
      () => matmul(x, bad([[1], [2]])),
      'matmul: expected other to be a Tensor, got an Array of 2 Arrays. Make one with tensor([[1], [2]])',
    ],
    ['add', () => add(x, bad('1')), 'add: expected other to be a Tensor or a number, got the string "1"'],
    [
      'x.mul',
      () => x.mul(bad([2, 2])),
      'mul: expected other to be a Tensor or a number, got an Array of 2 numbers. Make one with tensor([2, 2])',
    ],
    [
      'add(1, 2)',
      () => add(1, 2),
      'add: expected input to be a Tensor, got the number 1. Make one with tensor(1)',
    ],
    [
      'reshape',
      () => reshape(bad(new Map()), [2]),
      'reshape: expected input to be a Tensor, got a Map of 0 entries',
    ],
    [
      'transpose',
      () => transpose(bad([]), 0, 1),
      'transpose: expected input to be a Tensor, got an empty Array',
    ],
    [
      'where',
      () => where(bad([true, false]), 1, 0),
      'where: expected condition to be a Tensor, got an Array of 2 booleans',
    ],
    [
      'indexSelect',
      () => indexSelect(x, 0, bad([0, 1])),
      "indexSelect: expected index to be a Tensor, got an Array of 2 numbers. Make integer indices with tensor([0, 1], { dtype: 'int32' })",
    ],
    [
      'gather',
      () => gather(x, 1, bad(undefined)),
      "gather: expected index to be a Tensor, got undefined. Make integer indices with tensor([0, 1, 1], { dtype: 'int32' })",
    ],
    [
      'cat',
      () => cat(bad(x), 0),
      'cat: expected tensors to be an Array of Tensors, got a float32 Tensor of shape [2, 2]',
    ],
    [
      'stack',
      () => stack([x, bad([1, 2])]),
      'stack: expected tensors[1] to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
    ],
    [
      'stack of arrays',
      () => cat(bad([[x, x]])),
      'cat: expected tensors[0] to be a Tensor, got an Array of 2 Tensors. Combine them with stack(...) or cat(...) first',
    ],
    [
      'packPaddedSequence',
      () => packPaddedSequence(bad([[1], [2]]), [1]),
      'packPaddedSequence: expected input to be a Tensor, got an Array of 2 Arrays. Make one with tensor([[1], [2]])',
    ],
    [
      'padSequence',
      () => padSequence(bad([[1, 2], [3]])),
      'padSequence: expected sequences[0] to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
    ],
    [
      'zerosLike',
      () => zerosLike(bad([1, 2])),
      'zerosLike: expected like to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
    ],
    [
      'padPackedSequence',
      () => padPackedSequence(bad(x)),
      'padPackedSequence: expected sequence to be a PackedSequence, got a float32 Tensor of shape [2, 2]. It is padded already; pack it with packPaddedSequence first',
    ],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(message);
  });

  test('a Tensor still works everywhere the check runs', () => {
    expect(tanh(x).shape).toEqual([2, 2]);
    expect(add(2, x).toArray()).toEqual([
      [3, 4],
      [5, 6],
    ]);
    expect(cat([x, x]).shape).toEqual([4, 2]);
  });
});

describe('describeValue', () => {
  class Vocab {}
  test.each([
    [undefined, 'undefined'],
    [[1, 'a'], 'an Array of 2 values'],
    [[x], 'an Array of 1 Tensor'],
    [true, 'the boolean true'],
    [new Vocab(), 'a Vocab'],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, 'a plain object with keys a, b, c, d, e, …'],
    [new Set([1]), 'a Set of 1 value'],
    [() => 1, 'a function'],
    [{ constructor: { name: 'Tensor' } } as unknown as Tensor, 'a plain object with keys constructor'],
  ])('%o', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
