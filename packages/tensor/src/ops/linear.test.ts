/**
 * The `linear` op (torch.nn.functional.linear) on every registered backend: bit for bit the
 * numbers of the matmul + transpose + add chain it replaces in Linear and the recurrent layers'
 * input projection (their PyTorch parity rests on that chain's golden tests), a float64 gradcheck,
 * and one test per error path.
 */
import {
  DTypeError,
  Generator,
  getBackend,
  linear,
  listBackends,
  matmul,
  randn,
  ShapeError,
  setBackend,
  type Tensor,
  transpose,
  zeros,
} from '@seqlab/tensor';
import { gradcheck } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/** Forward output and every gradient of `f(x, w, b1, b2)` for the output gradient `g`. */
function run(
  f: (x: Tensor, w: Tensor, b1: Tensor, b2: Tensor) => Tensor,
  leaves: readonly Tensor[],
  g: Tensor,
): number[][] {
  for (const t of leaves) t.grad = null;
  const [x, w, b1, b2] = leaves;
  const y = f(x, w, b1, b2);
  y.backward(g);
  return [y, ...leaves.map((t) => t.grad)].map((t) => (t ? Array.from(t.data) : []));
}

/** Per array, how many elements differ (Object.is: bit for bit, up to NaN payloads). */
function mismatches(a: number[][], b: number[][]): number[] {
  return a.map((xs, k) =>
    xs.length !== b[k].length ? -1 : xs.filter((v, i) => !Object.is(v, b[k][i])).length,
  );
}

describe.each(listBackends())('[%s backend] linear', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  // A recurrent input projection (rows B·T = 32·10, in 128, out 4·H), a classifier head,
  // 3-D input, and ragged sizes that hit the GEMM's edge tiles.
  test.each([
    [[32 * 10, 128], 1024],
    [[32, 512], 2],
    [[4, 6, 10], 12],
    [[7, 5], 3],
  ])('input %j, out %i: identical to x @ Wᵀ + b1 + b2, forward and gradients', (shape, outF) => {
    const gen = new Generator(7);
    const inF = shape[shape.length - 1];
    const x = randn(shape, { generator: gen, requiresGrad: true });
    const w = randn([outF, inF], { generator: gen, requiresGrad: true });
    const b1 = randn([outF], { generator: gen, requiresGrad: true });
    const b2 = randn([outF], { generator: gen, requiresGrad: true });
    const g = randn([...shape.slice(0, -1), outF], { generator: gen });
    const leaves = [x, w, b1, b2];
    const chain = run(
      (x, w, b1, b2) =>
        matmul(x, transpose(w, 0, 1))
          .add(b1)
          .add(b2),
      leaves,
      g,
    );
    const fused = run((x, w, b1, b2) => linear(x, w, [b1, b2]), leaves, g);
    expect(mismatches(fused, chain)).toEqual([0, 0, 0, 0, 0]);
    const one = run((x, w, b1) => linear(x, w, b1), leaves, g);
    const oneChain = run((x, w, b1) => matmul(x, transpose(w, 0, 1)).add(b1), leaves, g);
    expect(mismatches(one, oneChain)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('linear gradients', () => {
  test('gradcheck w.r.t. input, weight and both biases; without a bias; 1-D input', () => {
    const gen = new Generator(3);
    const f64 = (shape: number[]) => randn(shape, { generator: gen, dtype: 'float64', requiresGrad: true });
    const [x, w, b1, b2] = [f64([2, 3, 4]), f64([5, 4]), f64([5]), f64([5])];
    expect(gradcheck((x, w, b1, b2) => linear(x, w, [b1, b2]), [x, w, b1, b2])).toBe(true);
    expect(gradcheck((x, w) => linear(x, w), [x, w])).toBe(true);
    expect(gradcheck((v, w, b) => linear(v, w, b), [f64([4]), w, b1])).toBe(true);
  });

  test('only the inputs that require grad get one; an empty batch gives an empty output', () => {
    const x = randn([3, 4]);
    const w = randn([2, 4], { requiresGrad: true });
    linear(x, w, zeros([2]))
      .sum()
      .backward();
    expect(w.grad?.shape).toEqual([2, 4]);
    expect(x.grad).toBeNull();
    expect(linear(zeros([0, 4]), w).shape).toEqual([0, 2]);
  });
});

describe('linear checks', () => {
  const w = randn([2, 4]);
  test('weight must be [out, in] and match the input features', () => {
    expect(() => linear(randn([3, 4]), randn([4]))).toThrow(ShapeError);
    expect(() => linear(randn([3, 4]), randn([4]))).toThrow(
      'linear: expected weight of shape [out, in], got [4]',
    );
    expect(() => linear(randn([3, 5]), w)).toThrow('linear: expected input of shape [*, 4], got [3, 5]');
    expect(() => linear(zeros([]), w)).toThrow(ShapeError);
  });
  test('every bias must be [out]', () => {
    expect(() => linear(randn([3, 4]), w, randn([3]))).toThrow('linear: expected bias of shape [2], got [3]');
    expect(() => linear(randn([3, 4]), w, [zeros([2]), zeros([2, 1])])).toThrow(ShapeError);
  });
  test('floating tensors of one dtype', () => {
    expect(() => linear(zeros([3, 4], { dtype: 'int32' }), w)).toThrow(DTypeError);
    expect(() => linear(randn([3, 4], { dtype: 'float64' }), w)).toThrow(
      'linear: expected weight and bias float64 as the input, got float32',
    );
  });
  test('tensors, not arrays', () => {
    expect(() => linear([[1, 2, 3, 4]] as never, w)).toThrow(/linear: expected input to be a Tensor/);
    expect(() => linear(randn([3, 4]), w, [[0, 0]] as never)).toThrow(/linear: expected bias to be a Tensor/);
  });
});
