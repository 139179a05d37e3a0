/**
 * Golden tests of Linear against PyTorch 1.13 (nn.Linear), forward and backward, plus its checks.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_layers.py`, which writes
 * packages/layers/fixtures/layers/linear.safetensors. Per case: PyTorch's full state dict drawn by its own
 * init (`<case>/param/<name>`), the input ([B, I] or [B, T, I]), the output, random loss weights
 * `w_output` and the gradients of L = Σ w_output·output with respect to the input and every parameter.
 * Values are drawn in float32, computed in float64 and stored as float32.
 */
import { Linear } from '@seqlab/layers';
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

const fixture = loadFixture(new URL('../fixtures/layers/linear.safetensors', import.meta.url));
interface Case {
  name: string;
  inFeatures: number;
  outFeatures: number;
  options: { bias: boolean };
}
const cases = fixture.json<Case[]>('cases');

/** Forward, the fixture's loss, backward; compares the output and every gradient. */
function runCase(c: Case, expected: (role: string) => Tensor): void {
  const { name } = c;
  const check = (actual: Tensor | null, role: string) => {
    expect(actual, `${name}: ${role}`).not.toBeNull();
    expectClose(actual!, expected(role), {}, `${name}: ${role}`);
  };
  const layer = new Linear(c.inFeatures, c.outFeatures, c.options);
  const params = fixture.group(`${name}/param`);
  // The fixture stores names sorted; the order of our keys is Sequential's test.
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
  '[%s backend] Linear matches PyTorch 1.13 (fixtures/layers/linear.safetensors)',
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
      runCase(c, (role) => fixture.get(`${name}/${role}`));
    });

    test('the comparison can fail: one perturbed weight gradient is caught and named', () => {
      const c = cases.find((k) => k.name === 'linear_3d_bias')!;
      const perturbed = fixture.get('linear_3d_bias/grad/param/weight').clone();
      perturbed.data[5] += 1e-3;
      expect(() =>
        runCase(c, (role) =>
          role === 'grad/param/weight' ? perturbed : fixture.get(`linear_3d_bias/${role}`),
        ),
      ).toThrow(/linear_3d_bias: grad\/param\/weight: expected values within .* at flat index 5/);
    });
  },
);

describe('Linear parameters and checks', () => {
  test('weight [out, in] and bias [out] are initialised U(-1/√in, 1/√in); bias: false drops the bias', () => {
    const layer = new Linear(16, 5);
    expect(layer.weight.shape).toEqual([5, 16]);
    expect(layer.bias?.shape).toEqual([5]);
    for (const p of layer.parameters()) {
      expect(p.requiresGrad).toBe(true);
      for (const v of p.data) expect(Math.abs(v)).toBeLessThanOrEqual(0.25);
    }
    expect(layer.numParameters()).toBe(5 * 16 + 5);
    const noBias = new Linear(16, 5, { bias: false });
    expect(noBias.bias).toBeNull();
    expect([...noBias.stateDict().keys()]).toEqual(['weight']);
    expect(noBias.numParameters()).toBe(80);
  });

  test.each([
    ['a zero inFeatures', () => new Linear(0, 3), 'Linear: expected a positive integer inFeatures, got 0'],
    [
      'a fractional outFeatures',
      () => new Linear(3, 2.5),
      'Linear: expected a positive integer outFeatures, got 2.5',
    ],
  ])('rejects %s', (_what, make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });

  test.each([
    ['the wrong feature size', [2, 4], '[2, 4]'],
    ['a 0-d input', [], '[]'],
  ])('forward rejects %s', (_what, shape, got) => {
    const layer = new Linear(3, 2);
    const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape });
    const run = () => layer.forward(x);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(`Linear.forward: expected input of shape [*, 3], got ${got}`);
  });
});
