/**
 * Golden tests of Embedding against PyTorch 1.13 (nn.Embedding), forward and backward, plus its checks.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_layers.py`, which writes
 * packages/layers/fixtures/layers/embedding.safetensors. Per case: PyTorch's full state dict drawn by its
 * own init (`<case>/param/weight`; one case gives the padding row non-zero values, as loaded weights may),
 * int32 ids [B, T] with repeats (and the padding id, when there is one), the output, random loss weights
 * `w_output` and the gradient of L = Σ w_output·output with respect to the weight, whose padding row is
 * zero. Values are drawn in float32, computed in float64 and stored as float32.
 */
import { Embedding } from '@seqlab/layers';
import {
  ConfigError,
  DTypeError,
  getBackend,
  listBackends,
  mul,
  ShapeError,
  setBackend,
  sum,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import { expectClose, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const fixture = loadFixture(new URL('../fixtures/layers/embedding.safetensors', import.meta.url));
interface Case {
  name: string;
  numEmbeddings: number;
  embeddingDim: number;
  options: { paddingIdx?: number };
}
const cases = fixture.json<Case[]>('cases');

/** Forward, the fixture's loss, backward; compares the output and the weight's gradient. */
function runCase(c: Case, expected: (role: string) => Tensor): void {
  const { name } = c;
  const layer = new Embedding(c.numEmbeddings, c.embeddingDim, c.options);
  layer.loadStateDict({ weight: fixture.get(`${name}/param/weight`).clone() });
  const ids = fixture.get(`${name}/ids`);
  expect(ids.dtype).toBe('int32');
  const out = layer.forward(ids);
  expectClose(out, expected('output'), {}, `${name}: output`);
  sum(mul(out, fixture.get(`${name}/w_output`))).backward();
  expect(layer.weight.grad, `${name}: weight.grad`).not.toBeNull();
  expectClose(layer.weight.grad!, expected('grad/param/weight'), {}, `${name}: grad/param/weight`);
  if (layer.paddingIdx !== null) {
    const D = c.embeddingDim;
    const row = layer.weight.grad!.data.subarray(layer.paddingIdx * D, (layer.paddingIdx + 1) * D);
    expect(Array.from(row), `${name}: the padding row gets no gradient`).toEqual(new Array(D).fill(0));
  }
}

describe.each(listBackends())(
  '[%s backend] Embedding matches PyTorch 1.13 (fixtures/layers/embedding.safetensors)',
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
      runCase(c, (role) => fixture.get(`${name}/${role}`));
    });

    test('the comparison can fail: one perturbed gradient value is caught and named', () => {
      const name = 'embedding_padding_idx0';
      const c = cases.find((k) => k.name === name)!;
      const perturbed = fixture.get(`${name}/grad/param/weight`).clone();
      perturbed.data[9] += 1e-3;
      expect(() =>
        runCase(c, (role) => (role === 'grad/param/weight' ? perturbed : fixture.get(`${name}/${role}`))),
      ).toThrow(/embedding_padding_idx0: grad\/param\/weight: expected values within .* at flat index 9/);
    });
  },
);

describe('Embedding parameters and checks', () => {
  test('weight [V, D] requires grad; the padding row starts at zero (negative paddingIdx counts from V)', () => {
    const layer = new Embedding(6, 4, { paddingIdx: -2 });
    expect(layer.paddingIdx).toBe(4);
    expect(layer.weight.shape).toEqual([6, 4]);
    expect(layer.weight.requiresGrad).toBe(true);
    expect(Array.from(layer.weight.data.subarray(16, 20))).toEqual([0, 0, 0, 0]);
    expect(Array.from(layer.weight.data.subarray(0, 16)).some((v) => v !== 0)).toBe(true);
    expect([...layer.stateDict().keys()]).toEqual(['weight']);
    expect(layer.numParameters()).toBe(24);
  });

  test('ids of any rank: [*] -> [*, D]', () => {
    const layer = new Embedding(5, 3);
    expect(layer.forward(tensor([4, 0], { dtype: 'int32' })).shape).toEqual([2, 3]);
    expect(layer.forward(tensor([[[1], [2]]], { dtype: 'int32' })).shape).toEqual([1, 2, 1, 3]);
  });

  test('float ids are a DTypeError', () => {
    const layer = new Embedding(5, 3);
    const run = () => layer.forward(tensor([[1, 2]]));
    expect(run).toThrow(DTypeError);
    expect(run).toThrow(
      'Embedding.forward: expected int32 token ids, got float32. Create ids with { dtype: "int32" }',
    );
  });

  test.each([
    [
      'an id equal to V',
      [[1, 5]],
      'Embedding.forward: expected ids in [0, 4], got id 5 in ids of shape [1, 2]',
    ],
    [
      'a negative id',
      [[-1], [2]],
      'Embedding.forward: expected ids in [0, 4], got id -1 in ids of shape [2, 1]',
    ],
  ])('%s is a ShapeError (never a read past the table)', (_what, ids, message) => {
    const layer = new Embedding(5, 3);
    const run = () => layer.forward(tensor(ids, { dtype: 'int32' }));
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(message);
  });

  test.each([
    ['a paddingIdx equal to V', () => new Embedding(5, 3, { paddingIdx: 5 }), 'paddingIdx in [-5, 4], got 5'],
    ['a paddingIdx below -V', () => new Embedding(5, 3, { paddingIdx: -6 }), 'paddingIdx in [-5, 4], got -6'],
    ['a zero embeddingDim', () => new Embedding(5, 0), 'a positive integer embeddingDim, got 0'],
    ['a fractional numEmbeddings', () => new Embedding(1.5, 3), 'a positive integer numEmbeddings, got 1.5'],
  ])('rejects %s', (_what, make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(`Embedding: expected ${message}`);
  });
});
