// console.log(tensor) and toString() print the values as PyTorch 1.13 does (torch/_tensor_str.py),
// with the shape and dtype. The expected texts are PyTorch's output for the same values, with
// seqlab's suffixes (`print(torch.tensor(...))`).
import { inspect } from 'node:util';
import { arange, tensor, zeros } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

describe('Tensor printing', () => {
  test('a 2-D float tensor: 4 decimals in aligned columns, requiresGrad shown', () => {
    const w = tensor(
      [
        [0.1, -1.25, 3],
        [4, 5.5, -6],
      ],
      { requiresGrad: true },
    );
    const text = [
      'tensor([[ 0.1000, -1.2500,  3.0000],',
      '        [ 4.0000,  5.5000, -6.0000]], shape=[2, 3], dtype=float32, requiresGrad=true)',
    ].join('\n');
    expect(inspect(w)).toBe(text);
    expect(w.toString()).toBe(text);
    expect(String(w)).toBe(text);
    expect(inspect(w)).not.toContain('_node');
  });

  test('whole floats as `1.`, ints and bools plain, 0-d, gradFn of an intermediate', () => {
    expect(inspect(tensor([1, 2, 3]))).toBe('tensor([1., 2., 3.], shape=[3], dtype=float32)');
    expect(inspect(tensor([[4, 9, 10]], { dtype: 'int32' }))).toBe(
      'tensor([[ 4,  9, 10]], shape=[1, 3], dtype=int32)',
    );
    expect(inspect(tensor([1, 2]).gt(1))).toBe('tensor([false,  true], shape=[2], dtype=bool)');
    expect(inspect(tensor(0.5))).toBe('tensor(0.5000, shape=[], dtype=float32)');
    const x = tensor([1, 2], { requiresGrad: true });
    expect(inspect(x.mul(2).sum())).toBe('tensor(6., shape=[], dtype=float32, gradFn=sum)');
    expect(inspect(zeros([0, 3]))).toBe('tensor([], shape=[0, 3], dtype=float32)');
  });

  test('scientific notation when magnitudes span more than 1000x; nan and inf', () => {
    expect(inspect(tensor([1e-5, 1, 100]))).toBe(
      'tensor([1.0000e-05, 1.0000e+00, 1.0000e+02], shape=[3], dtype=float32)',
    );
    expect(inspect(tensor([Number.NaN, Number.POSITIVE_INFINITY, -1.5]))).toBe(
      'tensor([    nan,     inf, -1.5000], shape=[3], dtype=float32)',
    );
  });

  test('exact ties round half to even, as Python formats (torch prints 1.03125 as 1.0312)', () => {
    // PyTorch 1.13: str(torch.tensor([1.03125, -1.03125, 0.15625, 2.5])) and with 0.00005 in place of
    // 0.15625 (apps/docs/fixtures/pytorch-habits.json, tools/fixtures/gen_habits.py).
    expect(String(tensor([1.03125, -1.03125, 0.15625, 2.5]))).toBe(
      'tensor([ 1.0312, -1.0312,  0.1562,  2.5000], shape=[4], dtype=float32)',
    );
    expect(String(tensor([1.03125, -1.03125, 0.00005, 2.5]))).toBe(
      'tensor([ 1.0312e+00, -1.0312e+00,  5.0000e-05,  2.5000e+00], shape=[4], dtype=float32)',
    );
    expect(String(tensor([1.09375, 0.5]))).toBe('tensor([1.0938, 0.5000], shape=[2], dtype=float32)');
  });

  test('more than 1000 elements: first and last 3 items per dim, as torch', () => {
    // print(torch.arange(2000.).reshape(40, 50) + 1000)
    const big = arange(2000).float().reshape([40, 50]).add(1000);
    expect(inspect(big)).toBe(
      [
        'tensor([[1000., 1001., 1002.,  ..., 1047., 1048., 1049.],',
        '        [1050., 1051., 1052.,  ..., 1097., 1098., 1099.],',
        '        [1100., 1101., 1102.,  ..., 1147., 1148., 1149.],',
        '        ...,',
        '        [2850., 2851., 2852.,  ..., 2897., 2898., 2899.],',
        '        [2900., 2901., 2902.,  ..., 2947., 2948., 2949.],',
        '        [2950., 2951., 2952.,  ..., 2997., 2998., 2999.]], shape=[40, 50], dtype=float32)',
      ].join('\n'),
    );
    // print(torch.arange(1001.) + 1000): the summary keeps torch's notation rules (whole floats)
    expect(inspect(arange(1001).float().add(1000))).toBe(
      'tensor([1000., 1001., 1002.,  ..., 1998., 1999., 2000.], shape=[1001], dtype=float32)',
    );
    // print(torch.arange(2000.)): max/min over 1000 switches to scientific notation, wrapped at 80
    expect(inspect(arange(2000).float()).split('\n')[0]).toBe(
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,',
    );
  });

  test('3-D tensors separate their blocks with a blank line; long rows wrap at 80 columns', () => {
    expect(inspect(arange(8).float().reshape([2, 2, 2]))).toBe(
      [
        'tensor([[[0., 1.],',
        '         [2., 3.]],',
        '',
        '        [[4., 5.],',
        '         [6., 7.]]], shape=[2, 2, 2], dtype=float32)',
      ].join('\n'),
    );
    // print(torch.arange(20.) / 3)
    expect(inspect(arange(20).div(3))).toBe(
      [
        'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,',
        '        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,',
        '        6.0000, 6.3333], shape=[20], dtype=float32)',
      ].join('\n'),
    );
  });

  test('inside another object, console.log prints the values too', () => {
    expect(inspect({ h: tensor([1, 2]) })).toBe('{ h: tensor([1., 2.], shape=[2], dtype=float32) }');
  });
});
