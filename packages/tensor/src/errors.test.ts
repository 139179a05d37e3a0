// Errors are API: each names the op, what it expected and what it got.
import { fileURLToPath } from 'node:url';

import {
  add,
  arange,
  ConfigError,
  cat,
  clamp,
  DTypeError,
  dropout,
  exp,
  expand,
  gather,
  indexSelect,
  maskedFill,
  matmul,
  mean,
  NumericError,
  narrow,
  ones,
  permute,
  randn,
  reshape,
  SeqlabError,
  ShapeError,
  select,
  split,
  stack,
  sum,
  tensor,
  where,
  zeros,
} from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

describe('error messages name the op, the expectation and the input', () => {
  test.each([
    [
      'matmul inner sizes',
      () => matmul(zeros([32, 100]), zeros([128, 256])),
      ShapeError,
      'matmul: expected inner sizes to match, got [32, 100] by [128, 256]: inner sizes 100 and 128 differ',
    ],
    [
      'broadcast',
      () => add(zeros([2, 3]), zeros([4])),
      ShapeError,
      'add: expected shapes that broadcast (trailing sizes equal or 1), got [2, 3] and [4]',
    ],
    [
      'reshape size',
      () => reshape(zeros([2, 3]), [4, 2]),
      ShapeError,
      'reshape: expected a shape with 6 elements (input [2, 3]), got [4, 2]',
    ],
    [
      'reshape -1',
      () => reshape(zeros([2, 3]), [4, -1]),
      ShapeError,
      'reshape: expected a shape compatible with 6 elements',
    ],
    [
      'dim out of range',
      () => sum(zeros([2, 3]), 2),
      ConfigError,
      'sum: expected dim in [-2, 1] for a tensor of rank 2, got 2',
    ],
    [
      'repeated dims',
      () => permute(zeros([2, 3]), [0, 0]),
      ConfigError,
      'permute: expected each dim at most once',
    ],
    [
      'select index',
      () => select(zeros([3, 4]), 1, 4),
      ShapeError,
      'select: expected an index in [-4, 3] for dim 1 of [3, 4], got 4',
    ],
    [
      'narrow range',
      () => narrow(zeros([3, 4]), 1, 2, 3),
      ShapeError,
      'narrow: expected start and length within the size 4 of dim 1',
    ],
    [
      'cat shapes',
      () => cat([zeros([2, 3]), zeros([3, 3])], 1),
      ShapeError,
      'cat: expected tensors matching [2, 3] except in dim 1, got [3, 3] at position 1',
    ],
    [
      'stack shapes',
      () => stack([zeros([2]), zeros([3])]),
      ShapeError,
      'stack: expected tensors of equal shape [2], got [3] at position 1',
    ],
    [
      'split sections',
      () => split(zeros([5]), [2, 2]),
      ShapeError,
      'split: expected section sizes summing to 5',
    ],
    [
      'expand',
      () => expand(zeros([3, 2]), [3, 4]),
      ShapeError,
      'expand: expected size 2 or 1→n at dim 1, got 4',
    ],
    [
      'float index',
      () => indexSelect(zeros([3, 2]), 0, tensor([0, 1])),
      DTypeError,
      'indexSelect: expected an int32 index tensor, got float32',
    ],
    [
      'index range',
      () => indexSelect(zeros([3, 2]), 0, tensor([0, 3], { dtype: 'int32' })),
      ShapeError,
      'indexSelect: expected indices in [0, 2] for dim 0, got index 3 at position 1',
    ],
    [
      'gather rank',
      () => gather(zeros([3, 2]), 1, tensor([0, 1], { dtype: 'int32' })),
      ShapeError,
      'gather: expected an index of rank 2',
    ],
    [
      'exp of int',
      () => exp(tensor([1], { dtype: 'int32' })),
      DTypeError,
      'exp: expected a float32 or float64 input, got int32',
    ],
    [
      'where cond',
      () => where(zeros([2]), 1, 0),
      DTypeError,
      'where: expected a bool condition, got float32',
    ],
    [
      'maskedFill dtype',
      () => maskedFill(zeros([2]), zeros([2]), 1),
      DTypeError,
      'maskedFill: expected a bool mask, got float32',
    ],
    [
      'maskedFill mask larger than the input',
      () => maskedFill(zeros([3]), tensor([[true], [false]]), 1),
      ShapeError,
      "maskedFill: expected a mask that broadcasts to the input's shape [3], got [2, 1]",
    ],
    [
      'clamp bounds',
      () => clamp(zeros([2]), null, null),
      ConfigError,
      'clamp: expected at least one of min and max, got both null',
    ],
    [
      "clamp with PyTorch's keyword bounds as an object",
      () => clamp(tensor([-1, 0.5, 2]), { min: 0 } as unknown as number),
      ConfigError,
      'clamp: expected min as a number or null, got a plain object with keys min. min and max are positional: x.clamp(0) for min=0, x.clamp(null, 1) for max=1',
    ],
    [
      'clamp max as an object',
      () => tensor([-1, 0.5, 2]).clamp(null, { max: 1 } as unknown as number),
      ConfigError,
      'clamp: expected max as a number or null, got a plain object with keys max',
    ],
    [
      "add with PyTorch's alpha",
      () => (add as (...args: unknown[]) => unknown)(tensor([1, 2]), tensor([1, 2]), { alpha: 2 }),
      ConfigError,
      'add: expected two arguments (a, b), got a third, a plain object with keys alpha. Scale b first: add(a, b.mul(alpha))',
    ],
    [
      "Tensor.sub with PyTorch's alpha",
      () => (tensor([1, 2]).sub as (...args: unknown[]) => unknown)(tensor([1, 2]), 2),
      ConfigError,
      'sub: expected two arguments (a, b), got a third, the number 2. Scale b first: sub(a, b.mul(alpha))',
    ],
    [
      "tensor with PyTorch's int64",
      () => tensor([1, 2], { dtype: 'int64' as 'int32' }),
      DTypeError,
      "tensor: expected a dtype among float32, float64, int32, bool, got 'int64'. Use int32 for class indices and token ids",
    ],
    [
      'a cast to an unknown dtype',
      () => tensor([1, 2]).to('cpu' as 'int32'),
      DTypeError,
      "cast: expected a dtype among float32, float64, int32, bool, got 'cpu'",
    ],
    [
      "zeros with PyTorch's separate sizes",
      () => (zeros as (...args: unknown[]) => unknown)(2, 3),
      ShapeError,
      "zeros: expected the shape as one list of sizes, got the number 2. Pass the sizes as one list: [2, 3], not 2, 3 (PyTorch's zeros(2, 3))",
    ],
    [
      'randn of one size',
      () => (randn as (...args: unknown[]) => unknown)(5),
      ShapeError,
      'randn: expected the shape as one list of sizes, got the number 5',
    ],
    [
      "dropout with PyTorch's keyword p",
      () => dropout(zeros([2]), { p: 0.5, training: false } as unknown as number),
      ConfigError,
      'dropout: expected a probability p in [0, 1], got a plain object with keys p, training. p is positional: dropout(x, 0.5, { training: false })',
    ],
    [
      'mean of nothing',
      () => mean(zeros([0, 3]), 0),
      ShapeError,
      'mean: expected at least one element to average',
    ],
    [
      'ragged nested array',
      () => tensor([[1, 2], [3]]),
      ShapeError,
      'tensor: expected a regular nested array of shape [2, 2]',
    ],
    [
      'typed array size',
      () => tensor(new Float32Array(5), { shape: [2, 3] }),
      ShapeError,
      'tensor: expected 6 values for shape [2, 3], got 5',
    ],
    ['arange step', () => arange(0, 5, 0), ConfigError, 'arange: expected finite bounds and a non-zero step'],
    [
      'item of many',
      () => ones([2]).item(),
      ShapeError,
      'Tensor.item: expected a tensor with one element, got shape [2]',
    ],
  ])('%s', (_name, fn, kind, message) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(kind);
    expect(caught).toBeInstanceOf(SeqlabError);
    expect((caught as Error).message).toContain(message);
  });

  test('errors carry op, expected and actual fields', () => {
    try {
      matmul(zeros([2, 3]), zeros([4, 5]));
      expect.unreachable();
    } catch (e) {
      const err = e as ShapeError;
      expect(err.op).toBe('matmul');
      expect(err.expected).toBe('inner sizes to match');
      expect(err.actual).toContain('[2, 3] by [4, 5]');
      expect(err.name).toBe('ShapeError');
    }
  });
});

describe('NumericError', () => {
  test('is a SeqlabError with the same fields and message template', () => {
    const err = new NumericError('train', 'a finite loss', 'NaN at epoch 2', 'Lower --lr');
    expect(err).toBeInstanceOf(SeqlabError);
    expect(err).not.toBeInstanceOf(ConfigError);
    expect(err.name).toBe('NumericError');
    expect([err.op, err.expected, err.actual, err.hint]).toEqual([
      'train',
      'a finite loss',
      'NaN at epoch 2',
      'Lower --lr',
    ]);
    expect(err.message).toBe('train: expected a finite loss, got NaN at epoch 2. Lower --lr');
  });
});

describe('error names', () => {
  test('survive a minifier that renames the classes (a browser bundle)', async () => {
    const { build } = await import('esbuild');
    const { outputFiles } = await build({
      entryPoints: [fileURLToPath(new URL('./errors.ts', import.meta.url))],
      bundle: true,
      minify: true,
      format: 'esm',
      write: false,
    });
    const minified = await import(
      `data:text/javascript;base64,${Buffer.from(outputFiles[0]!.contents).toString('base64')}`
    );
    const names = ['ShapeError', 'DTypeError', 'ConfigError', 'BackendError', 'FormatError', 'NumericError'];
    for (const name of names) expect(new minified[name]('op', 'x', 'y').name).toBe(name);
    expect(new minified.SeqlabError('op', 'x', 'y').name).toBe('SeqlabError');
    expect(new minified.FileError('op', 'a readable file', '/a', 'ENOENT').name).toBe('FileError');
    const copy = { version: '0.0.0', location: '/a' };
    expect(new minified.DuplicatePackageError('@seqlab/tensor', copy, copy).name).toBe(
      'DuplicatePackageError',
    );
    class MyError extends SeqlabError {}
    expect(new MyError('op', 'x', 'y').name).toBe('MyError');
  });
});
