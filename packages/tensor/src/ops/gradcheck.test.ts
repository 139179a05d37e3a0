// gradcheck (finite differences in float64) for every differentiable op, on real shapes with
// broadcasting. Inputs are pushed away from kinks (abs, relu, clamp bounds) and singularities.

import {
  abs,
  add,
  cat,
  chunk,
  clamp,
  clone,
  div,
  dropout,
  exp,
  expand,
  flatten,
  flip,
  Generator,
  gather,
  indexSelect,
  log,
  logSoftmax,
  logsumexp,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  narrow,
  neg,
  permute,
  pow,
  randn,
  relu,
  reshape,
  scatterAdd,
  select,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  squeeze,
  stack,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  transpose,
  unsqueeze,
  where,
} from '@seqlab/tensor';
import { gradcheck, leaf } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

const g = new Generator(1234);
const r = (shape: number[]) => randn(shape, { generator: g, requiresGrad: true });
/** Values with |x| in [0.2, 1.2] and random sign: away from the kink at 0. */
const awayFromZero = (shape: number[]) => {
  const t = randn(shape, { generator: g });
  for (let i = 0; i < t.numel; i++) t.data[i] = Math.sign(t.data[i] || 1) * (0.2 + (Math.abs(t.data[i]) % 1));
  t.requiresGrad = true;
  return t;
};
const positive = (shape: number[]) => {
  const t = randn(shape, { generator: g });
  for (let i = 0; i < t.numel; i++) t.data[i] = 0.5 + Math.abs(t.data[i]);
  t.requiresGrad = true;
  return t;
};
const int = (values: number[], shape = [values.length]) => tensor(values, { dtype: 'int32', shape });
const mask = (values: number[], shape: number[]) => tensor(values, { dtype: 'bool', shape });
/** Distinct values, so max/min have a unique arg-extremum. */
const distinct = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n - 0.5);
  return tensor(values, { shape, requiresGrad: true });
};

/** A fresh leaf with the values of t. */

type Case = [string, (...x: Tensor[]) => Tensor | Tensor[], () => Tensor[]];

const cases: Case[] = [
  ['add (broadcast [3,1,4] + [2,1])', add, () => [r([3, 1, 4]), r([2, 1])]],
  ['sub (scalar rhs)', (a) => sub(a, 0.3), () => [r([2, 3])]],
  ['sub (broadcast)', sub, () => [r([4]), r([2, 3, 4])]],
  ['mul (broadcast)', mul, () => [r([2, 1, 3]), r([4, 1])]],
  ['div (broadcast)', div, () => [r([2, 3]), positive([3])]],
  ['neg', neg, () => [r([5])]],
  ['pow (tensor exponent)', pow, () => [positive([2, 3]), r([3])]],
  ['pow (scalar exponent)', (a) => pow(a, 3), () => [r([2, 2])]],
  ['exp', exp, () => [r([2, 3])]],
  ['log', log, () => [positive([3, 2])]],
  ['sqrt', sqrt, () => [positive([4])]],
  ['abs', abs, () => [awayFromZero([3, 3])]],
  ['tanh', tanh, () => [r([2, 5])]],
  ['sigmoid', sigmoid, () => [r([2, 5])]],
  ['relu', relu, () => [awayFromZero([2, 5])]],
  ['clamp', (a) => clamp(a, -0.5, 0.5), () => [awayFromZero([3, 4])]],
  ['maximum', maximum, () => [distinct([2, 3]), leaf(distinct([3]).mul(0.5))]],
  ['minimum', minimum, () => [distinct([2, 3]), leaf(distinct([3]).mul(0.5))]],
  ['matmul 2-D', matmul, () => [r([3, 4]), r([4, 5])]],
  ['matmul 3-D @ 2-D', matmul, () => [r([2, 3, 4]), r([4, 2])]],
  ['matmul batched broadcast', matmul, () => [r([2, 1, 3, 4]), r([3, 4, 2])]],
  ['matmul 1-D @ 1-D', matmul, () => [r([4]), r([4])]],
  ['matmul 1-D @ 3-D', matmul, () => [r([3]), r([2, 3, 4])]],
  ['matmul 2-D @ 1-D', matmul, () => [r([5, 3]), r([3])]],
  ['sum all', (a) => sum(a), () => [r([2, 3])]],
  ['sum dims keepDim', (a) => sum(a, [0, 2], true), () => [r([2, 3, 4])]],
  ['mean dim', (a) => mean(a, -1), () => [r([3, 4])]],
  ['max all', (a) => max(a), () => [distinct([3, 4])]],
  ['max dim', (a) => max(a, 1), () => [distinct([3, 4, 2])]],
  ['min dim keepDim', (a) => min(a, 0, true), () => [distinct([3, 4])]],
  ['logsumexp', (a) => logsumexp(a, 1), () => [r([3, 5])]],
  ['reshape', (a) => reshape(a, [4, -1]), () => [r([2, 3, 2])]],
  ['flatten', (a) => flatten(a, 1), () => [r([2, 3, 2])]],
  ['transpose', (a) => transpose(a, 0, 2), () => [r([2, 3, 4])]],
  ['permute', (a) => permute(a, [1, 2, 0]), () => [r([2, 3, 4])]],
  ['squeeze/unsqueeze', (a) => unsqueeze(squeeze(a, 1), 0), () => [r([3, 1, 2])]],
  ['expand', (a) => expand(a, [2, 3, 4]), () => [r([3, 1])]],
  ['cat', (a, b) => cat([a, b, a], 1), () => [r([2, 3]), r([2, 1])]],
  ['stack', (a, b) => stack([a, b], 1), () => [r([2, 3]), r([2, 3])]],
  ['split sections', (a) => split(a, [1, 3], 1), () => [r([2, 4])]],
  ['chunk', (a) => chunk(a, 3, 0), () => [r([5, 2])]],
  ['narrow', (a) => narrow(a, 1, 1, 2), () => [r([2, 4])]],
  ['slice with step', (a) => slice(a, 0, 1, 7, 2), () => [r([8, 2])]],
  ['select last step x[:, -1]', (a) => select(a, 1, -1), () => [r([3, 4, 2])]],
  ['flip', (a) => flip(a, [0, 2]), () => [r([2, 3, 2])]],
  ['indexSelect (repeated ids)', (a) => indexSelect(a, 0, int([2, 0, 2, 1])), () => [r([3, 4])]],
  ['gather', (a) => gather(a, 1, int([0, 2, 1, 1, 0, 0], [3, 2])), () => [r([3, 3])]],
  ['scatterAdd', (a, s) => scatterAdd(a, 0, int([1, 0, 1, 1], [2, 2]), s), () => [r([3, 2]), r([2, 3])]],
  ['where', (a, b) => where(mask([1, 0, 1], [3]), a, b), () => [r([2, 3]), r([2, 1])]],
  ['maskedFill', (a) => maskedFill(a, mask([0, 1], [2, 1]), 5), () => [r([2, 3])]],
  ['softmax', (a) => softmax(a, 1), () => [r([2, 4, 3])]],
  ['logSoftmax', (a) => logSoftmax(a, -1), () => [r([3, 5])]],
  ['dropout (fixed mask)', (a) => dropout(a, 0.4, { generator: new Generator(7) }), () => [r([4, 5])]],
  ['clone', clone, () => [r([3])]],
];

describe('gradcheck', () => {
  test.each(cases)('%s', (_name, fn, inputs) => {
    expect(gradcheck(fn, inputs())).toBe(true);
  });
});
