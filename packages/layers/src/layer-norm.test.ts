/**
 * Golden tests of LayerNorm against PyTorch 1.13 (nn.LayerNorm), forward and backward, plus its checks.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_layers.py`, which writes
 * packages/layers/fixtures/layers/layer-norm.safetensors: normalization over the last dim and over the last
 * two dims, with and without elementwise affine, eps 1e-5 and 1e-3. Per case: the full state dict
 * (`<case>/param/<name>`, drawn rather than PyTorch's ones/zeros so a swapped weight and bias shows), the
 * input (some groups with a small spread, so eps matters), the output, random loss weights `w_output` and
 * the gradients of L = Σ w_output·output with respect to the input and every parameter. Values are drawn in
 * float32, computed in float64 and stored as float32.
 */
import { LayerNorm } from '@seqlab/layers';
import {
  ConfigError,
  getBackend,
  listBackends,
  mul,
  ShapeError,
  setBackend,
  sum,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import { expectClose, leaf, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const fixture = loadFixture(new URL('../fixtures/layers/layer-norm.safetensors', import.meta.url));
interface Case {
  name: string;
  normalizedShape: number[];
  options: { eps: number; elementwiseAffine: boolean };
}
const cases = fixture.json<Case[]>('cases');

/** Forward, the fixture's loss, backward; compares the output and every gradient. */
function runCase(c: Case, expected: (role: string) => Tensor): void {
  const { name } = c;
  const check = (actual: Tensor | null, role: string) => {
    expect(actual, `${name}: ${role}`).not.toBeNull();
    expectClose(actual!, expected(role), {}, `${name}: ${role}`);
  };
  const layer = new LayerNorm(c.normalizedShape, c.options);
  const params = fixture.group(`${name}/param`);
  expect([...layer.stateDict().keys()].sort(), `${name}: state dict keys`).toEqual([...params.keys()].sort());
  layer.loadStateDict(params);
  const x = leaf(fixture.get(`${name}/input`));
  const out = layer.forward(x);
  check(out, 'output');
  sum(mul(out, fixture.get(`${name}/w_output`))).backward();
  check(x.grad, 'grad/input');
  for (const [key, p] of layer.namedParameters()) check(p.grad, `grad/param/${key}`);
}

describe.each(listBackends())(
  '[%s backend] LayerNorm matches PyTorch 1.13 (fixtures/layers/layer-norm.safetensors)',
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
      runCase(c, (role) => fixture.get(`${name}/${role}`));
    });

    test('the comparison can fail: one perturbed input gradient is caught and named', () => {
      const name = 'layer_norm_last_two_dims_no_affine_eps1e-3';
      const c = cases.find((k) => k.name === name)!;
      const perturbed = fixture.get(`${name}/grad/input`).clone();
      perturbed.data[11] += 1e-3;
      expect(() =>
        runCase(c, (role) => (role === 'grad/input' ? perturbed : fixture.get(`${name}/${role}`))),
      ).toThrow(`${name}: grad/input: expected values within`);
    });

    test('eps is used: the 1e-3 and 1e-5 fixtures differ, and each layer matches only its own', () => {
      const x = fixture.get('layer_norm_last_dim_no_affine_eps1e-3/input');
      const y3 = new LayerNorm(5, { eps: 1e-3, elementwiseAffine: false }).forward(x);
      expectClose(y3, fixture.get('layer_norm_last_dim_no_affine_eps1e-3/output'));
      expect(() => expectClose(new LayerNorm(5, { elementwiseAffine: false }).forward(x), y3)).toThrow();
    });
  },
);

describe('LayerNorm parameters and checks', () => {
  test('weight ones and bias zeros of the normalized shape; elementwiseAffine: false has none', () => {
    const layer = new LayerNorm([3, 4]);
    expect(layer.eps).toBe(1e-5);
    expect(layer.weight?.shape).toEqual([3, 4]);
    expect(Array.from(layer.weight!.data)).toEqual(new Array(12).fill(1));
    expect(Array.from(layer.bias!.data)).toEqual(new Array(12).fill(0));
    expect([...layer.stateDict().keys()]).toEqual(['weight', 'bias']);
    expect(layer.numParameters()).toBe(24);
    const plain = new LayerNorm(4, { elementwiseAffine: false });
    expect(plain.weight).toBeNull();
    expect(plain.bias).toBeNull();
    expect(plain.numParameters()).toBe(0);
    expect([...plain.stateDict().keys()]).toEqual([]);
  });

  test.each([
    ['a trailing size that differs', [2, 3, 5], '[2, 3, 5]'],
    ['fewer dims than the normalized shape', [4], '[4]'],
  ])('forward rejects %s', (_what, shape, got) => {
    const layer = new LayerNorm([3, 4]);
    const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape });
    const run = () => layer.forward(x);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(`LayerNorm.forward: expected input of shape [*, 3, 4], got ${got}`);
  });

  test.each([
    ['an empty shape', [], '[]'],
    ['a zero size', [3, 0], '[3, 0]'],
  ])('rejects %s', (_what, shape, got) => {
    const make = () => new LayerNorm(shape);
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(`LayerNorm: expected a non-empty shape of positive integers, got ${got}`);
  });
});
