/**
 * The `embedding` op (torch.nn.functional.embedding) against PyTorch 1.13, forward and backward,
 * on every registered backend; a finite-difference gradcheck; and one test per error path.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_layers.py`, which writes
 * packages/layers/fixtures/layers/embedding.safetensors for nn.Embedding (whose forward is
 * F.embedding(ids, weight, padding_idx)): per case PyTorch's weight `<case>/param/weight` (one case
 * with a non-zero padding row), int32 ids [B, T] with repeats and the padding id, the output, loss
 * weights `w_output` and dL/dweight of L = Σ w_output·output, whose padding row is zero.
 */
import {
  ConfigError,
  DTypeError,
  embedding,
  Generator,
  getBackend,
  listBackends,
  mul,
  randn,
  ShapeError,
  setBackend,
  sum,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { expectClose, gradcheck, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const fixture = loadFixture(
  new URL('../../../layers/fixtures/layers/embedding.safetensors', import.meta.url),
);
interface Case {
  name: string;
  options: { paddingIdx?: number };
}
const cases = fixture.json<Case[]>('cases');

describe.each(listBackends())('[%s backend] embedding matches PyTorch 1.13 (F.embedding)', (backendName) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(backendName));
  afterAll(() => setBackend(initial));

  test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const weight = fixture.get(`${name}/param/weight`).clone();
    weight.requiresGrad = true;
    const out = embedding(fixture.get(`${name}/ids`), weight, c.options);
    expectClose(out, fixture.get(`${name}/output`), {}, `${name}: output`);
    sum(mul(out, fixture.get(`${name}/w_output`))).backward();
    expectClose(weight.grad!, fixture.get(`${name}/grad/param/weight`), {}, `${name}: grad/param/weight`);
  });
});

describe('embedding gradients', () => {
  const g = new Generator(13);
  const ids = tensor(
    [
      [1, 4, 4, 0],
      [2, 0, 1, 1],
    ],
    { dtype: 'int32' },
  );

  test('gradcheck w.r.t. the weight, with and without a padding row', () => {
    const weight = randn([5, 3], { generator: g, dtype: 'float64', requiresGrad: true });
    expect(gradcheck((w) => embedding(ids, w), [weight])).toBe(true);
    // With a padding row the rule is not the true derivative there (PyTorch's padding_idx): compare
    // a loss that never reads row 0.
    const other = tensor([[1, 4, 3]], { dtype: 'int32' });
    expect(gradcheck((w) => embedding(other, w, { paddingIdx: 0 }), [weight])).toBe(true);
  });

  test('the padding row gets no gradient and keeps its forward value; negative paddingIdx counts from V', () => {
    const weight = randn([5, 3], { generator: g, requiresGrad: true });
    const out = embedding(ids, weight, { paddingIdx: -5 });
    expect(Array.from(out.data.subarray(9, 12))).toEqual(Array.from(weight.data.subarray(0, 3)));
    sum(out).backward();
    expect(Array.from(weight.grad!.data)).toEqual([0, 0, 0, 3, 3, 3, 1, 1, 1, 0, 0, 0, 2, 2, 2]);
  });

  test('ids of any shape: [*] -> [*, D]', () => {
    const weight = randn([5, 3], { generator: g });
    expect(embedding(tensor(2, { dtype: 'int32' }), weight).shape).toEqual([3]);
    expect(embedding(zeros([2, 3, 4], { dtype: 'int32' }), weight).shape).toEqual([2, 3, 4, 3]);
  });
});

describe('embedding checks', () => {
  const weight = randn([5, 3]);
  const ids = tensor([1, 2], { dtype: 'int32' });

  test('ids must be int32', () => {
    expect(() => embedding(tensor([1, 2]), weight)).toThrow(DTypeError);
    expect(() => embedding(tensor([1, 2]), weight)).toThrow(
      /^embedding: expected an int32 ids tensor, got float32/,
    );
  });
  test('ids must lie in [0, V)', () => {
    expect(() => embedding(tensor([[1, 5]], { dtype: 'int32' }), weight)).toThrow(ShapeError);
    expect(() => embedding(tensor([[1, -1]], { dtype: 'int32' }), weight)).toThrow(
      'embedding: expected ids in [0, 4], got id -1 in ids of shape [1, 2]',
    );
  });
  test('weight must be [V, D] and floating', () => {
    expect(() => embedding(ids, randn([5]))).toThrow(ShapeError);
    expect(() => embedding(ids, randn([5]))).toThrow('embedding: expected weight of shape [V, D], got [5]');
    expect(() => embedding(ids, zeros([5, 3], { dtype: 'int32' }))).toThrow(DTypeError);
  });
  test('paddingIdx must be an integer in [-V, V), and options are checked by name', () => {
    expect(() => embedding(ids, weight, { paddingIdx: 5 })).toThrow(ConfigError);
    expect(() => embedding(ids, weight, { paddingIdx: 5 })).toThrow(
      'embedding: expected paddingIdx in [-5, 4], got the number 5',
    );
    expect(() => embedding(ids, weight, { paddingIdx: 1.5 })).toThrow(ConfigError);
    expect(() => embedding(ids, weight, { padding_idx: 0 } as never)).toThrow(/paddingIdx/);
  });
  test('both arguments must be tensors', () => {
    expect(() => embedding([1, 2] as never, weight)).toThrow(ConfigError);
    expect(() => embedding(ids, [[1]] as never)).toThrow(ConfigError);
  });
});
