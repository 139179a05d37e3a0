import { ConfigError, DTypeError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { accuracyScore, type TensorLike, topKAccuracyScore } from './index';
import {
  checkInteger,
  checkLabelList,
  checkOptions,
  isTensorLike,
  toLabels,
  toMatrix,
  toVector,
} from './inputs';

function tensor(shape: number[], values: number[]): TensorLike {
  return { shape, toFloat32Array: () => new Float32Array(values) };
}

describe('toVector / toLabels', () => {
  it('accepts plain arrays, typed arrays and rank-1 tensors', () => {
    expect(Array.from(toVector('op', 'x', [1.5, 2]))).toEqual([1.5, 2]);
    expect(Array.from(toLabels('op', 'y', new Int32Array([3, -1])))).toEqual([3, -1]);
    expect(Array.from(toLabels('op', 'y', tensor([3], [0, 2, 1])))).toEqual([0, 2, 1]);
    expect(accuracyScore(tensor([3], [0, 1, 1]), new Uint8Array([0, 1, 0]))).toBeCloseTo(2 / 3, 15);
  });

  it('detects tensors structurally', () => {
    expect(isTensorLike(tensor([1], [0]))).toBe(true);
    expect(isTensorLike({ shape: [1] })).toBe(false);
    expect(isTensorLike([0])).toBe(false);
  });

  it('throws a ShapeError for a tensor of rank 2', () => {
    expect(() => toLabels('f1Score', 'yTrue', tensor([2, 2], [0, 1, 1, 0]))).toThrow(
      new ShapeError('f1Score', 'yTrue of rank 1', 'shape [2, 2]', 'Flatten it first'),
    );
  });

  it('throws a ShapeError when a tensor returns the wrong number of values', () => {
    expect(() => toVector('op', 'x', tensor([3], [1, 2]))).toThrow(
      new ShapeError('op', '3 values in x of shape [3]', '2'),
    );
  });

  it('throws a ShapeError for empty input unless allowed', () => {
    expect(() => toVector('accuracyScore', 'yTrue', [])).toThrow(
      new ShapeError('accuracyScore', 'at least one sample in yTrue', '0 samples'),
    );
    expect(toVector('op', 'x', [], true).length).toBe(0);
  });

  it('throws a ConfigError for input that is not an array or tensor', () => {
    expect(() => toVector('op', 'x', 'abc' as unknown as number[])).toThrow(ConfigError);
    expect(() => toVector('op', 'x', null as unknown as number[])).toThrow(
      new ConfigError('op', 'x as an array, typed array or tensor', 'null'),
    );
  });

  it('throws a DTypeError for non-number entries and non-integer labels', () => {
    expect(() => toVector('op', 'x', [1, '2'] as unknown as number[])).toThrow(
      new DTypeError('op', 'numbers in x', 'the string "2" at index 1'),
    );
    expect(() => toLabels('op', 'yPred', [0, 1.5])).toThrow(
      new DTypeError('op', 'integer class labels in yPred', '1.5 at index 1'),
    );
  });

  it('throws a ConfigError for NaN and infinite values', () => {
    expect(() => toVector('op', 'x', [1, Number.NaN])).toThrow(
      new ConfigError('op', 'finite values in x', 'NaN at index 1'),
    );
    expect(() => toVector('op', 'x', tensor([2], [Number.POSITIVE_INFINITY, 0]))).toThrow(ConfigError);
  });
});

describe('toMatrix', () => {
  it('accepts nested arrays and rank-2 tensors, row-major', () => {
    const nested = toMatrix('op', 's', [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([nested.rows, nested.cols, Array.from(nested.data)]).toEqual([2, 3, [1, 2, 3, 4, 5, 6]]);
    const t = toMatrix('op', 's', tensor([2, 2], [1, 2, 3, 4]));
    expect([t.rows, t.cols, Array.from(t.data)]).toEqual([2, 2, [1, 2, 3, 4]]);
  });

  it('throws a ShapeError for ragged rows, a rank-1 tensor or no rows', () => {
    expect(() => toMatrix('op', 's', [[1, 2], [3]])).toThrow(
      new ShapeError('op', 'every row of s to have 2 values', '1 in row 1'),
    );
    expect(() => toMatrix('op', 's', tensor([4], [1, 2, 3, 4]))).toThrow(
      new ShapeError('op', 's of rank 2 [N, C]', 'shape [4]'),
    );
    expect(() => toMatrix('op', 's', [])).toThrow(ShapeError);
  });

  it('throws a ConfigError for rows that are not arrays, a non-array input or NaN', () => {
    expect(() => toMatrix('op', 's', [[1, 2], 3 as unknown as number[]])).toThrow(ConfigError);
    expect(() => toMatrix('op', 's', 5 as unknown as number[][])).toThrow(ConfigError);
    expect(() => topKAccuracyScore([0], [[Number.NaN, 1]])).toThrow(ConfigError);
  });
});

describe('option checks', () => {
  it('rejects unknown keys and non-objects', () => {
    expect(() => checkOptions('f1Score', { avrage: 'macro' }, ['average'])).toThrow(
      new ConfigError('f1Score', 'options among average', "unknown option 'avrage'", 'Did you mean average?'),
    );
    expect(() => checkOptions('op', 3 as unknown as object, ['a'])).toThrow(ConfigError);
    expect(() => checkOptions('op', [] as unknown as object, ['a'])).toThrow(ConfigError);
    expect(() => checkOptions('f1Score', { zero_division: 1 }, ['average', 'zeroDivision'])).toThrow(
      "f1Score: expected options among average, zeroDivision, got unknown option 'zero_division'. Use zeroDivision",
    );
    expect(() => checkOptions('op', 2 as unknown as object, ['a'])).toThrow(
      'op: expected an options object { a }, got the number 2',
    );
    expect(checkOptions('op', undefined, ['a'])).toEqual({});
  });

  it('rejects empty, non-integer or repeated labels', () => {
    expect(() => checkLabelList('op', [])).toThrow(ConfigError);
    expect(() => checkLabelList('op', [0, 0.5])).toThrow(
      new ConfigError('op', 'integer labels', '0.5 in labels'),
    );
    expect(() => checkLabelList('op', [1, 2, 1])).toThrow(
      new ConfigError('op', 'distinct labels', '1 twice in [1, 2, 1]'),
    );
    expect(checkLabelList('op', [2, 0])).toEqual([2, 0]);
  });

  it('checks integer ranges', () => {
    expect(() => checkInteger('op', 'k', 0, 1)).toThrow(new ConfigError('op', 'k to be an integer ≥ 1', '0'));
    expect(() => checkInteger('op', 'digits', 21, 0, 20)).toThrow(
      new ConfigError('op', 'digits to be an integer in [0, 20]', '21'),
    );
    expect(checkInteger('op', 'k', 3, 1)).toBe(3);
  });
});
