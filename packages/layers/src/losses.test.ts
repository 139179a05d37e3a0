/**
 * Golden tests of the losses against PyTorch 1.13, forward and backward: F.cross_entropy (reductions,
 * ignore_index, class weight, label smoothing with and without weight and ignored targets), F.nll_loss,
 * F.mse_loss and F.binary_cross_entropy_with_logits (weight, pos_weight [C] over [N, C], logits of ±30).
 * Plus every error path of the losses.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_layers.py`, which writes
 * packages/layers/fixtures/layers/losses.safetensors. Per case: the input (nll_loss: log-probabilities),
 * the target (int32 class ids, or floats of the input's shape), the class or element `weight` and the
 * `pos_weight` when the case has them, the loss (0-d for 'mean' / 'sum'), random loss weights `w_output`
 * and the gradients of L = Σ w_output·output with respect to the input (and to a float target). Values are
 * drawn in float32, computed in float64 and stored as float32.
 */
import { bceWithLogits, crossEntropy, mseLoss, nllLoss, type Reduction } from '@seqlab/layers';
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
import { expectClose, leaf, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const fixture = loadFixture(new URL('../fixtures/layers/losses.safetensors', import.meta.url));
interface Case {
  name: string;
  loss: 'crossEntropy' | 'nllLoss' | 'mseLoss' | 'bceWithLogits';
  options: { reduction: Reduction; ignoreIndex?: number; labelSmoothing?: number };
  hasWeight: boolean;
  hasPosWeight: boolean;
}
const cases = fixture.json<Case[]>('cases');

/**
 * Forward, the fixture's loss, backward; compares the loss, the input's gradient and, with `targetGrad`,
 * a float target's gradient.
 */
function runCase(
  c: Case,
  expected: (role: string) => Tensor,
  targetGrad = c.loss === 'mseLoss' || c.loss === 'bceWithLogits',
): void {
  const { name } = c;
  const check = (actual: Tensor | null, role: string) => {
    expect(actual, `${name}: ${role}`).not.toBeNull();
    expectClose(actual!, expected(role), {}, `${name}: ${role}`);
  };
  const input = leaf(fixture.get(`${name}/input`));
  const floatTarget = c.loss === 'mseLoss' || c.loss === 'bceWithLogits';
  const target = floatTarget ? leaf(fixture.get(`${name}/target`)) : fixture.get(`${name}/target`);
  const weight = c.hasWeight ? { weight: fixture.get(`${name}/weight`) } : {};
  let out: Tensor;
  if (c.loss === 'crossEntropy') out = crossEntropy(input, target, { ...c.options, ...weight });
  else if (c.loss === 'nllLoss') out = nllLoss(input, target, { ...c.options, ...weight });
  else if (c.loss === 'mseLoss') out = mseLoss(input, target, c.options);
  else {
    const posWeight = c.hasPosWeight ? { posWeight: fixture.get(`${name}/pos_weight`) } : {};
    out = bceWithLogits(input, target, { ...c.options, ...weight, ...posWeight });
  }
  check(out, 'output');
  sum(mul(out, fixture.get(`${name}/w_output`))).backward();
  check(input.grad, 'grad/input');
  if (targetGrad) check(target.grad, 'grad/target');
}

describe.each(listBackends())(
  '[%s backend] losses match PyTorch 1.13 (fixtures/layers/losses.safetensors)',
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
      runCase(c, (role) => fixture.get(`${name}/${role}`));
    });

    test.each([
      ['ce_ls2_weight_ignore_default_mean', 'output'],
      ['bce_large_logits_weight_pos_weight_sum', 'grad/input'],
    ])('the comparison can fail: a perturbed %s %s is caught and named', (name, role) => {
      const c = cases.find((k) => k.name === name)!;
      const perturbed = fixture.get(`${name}/${role}`).clone();
      perturbed.data[perturbed.numel - 1] *= 1 + 1e-3;
      expect(() => runCase(c, (r) => (r === role ? perturbed : fixture.get(`${name}/${r}`)))).toThrow(
        `${name}: ${role}: expected values within`,
      );
    });

    test('logits of ±30 give finite losses and gradients', () => {
      const x = tensor([[30, -30, 30, -30]], { requiresGrad: true });
      const loss = bceWithLogits(x, tensor([[0, 1, 1, 0]]), { reduction: 'none' });
      expectClose(loss, [30, 30, 0, 0]);
      loss.sum().backward();
      expectClose(x.grad!, [1, -1, 0, 0]);
    });
  },
);

describe('loss checks', () => {
  const logits = tensor(new Float32Array(12), { shape: [3, 4] });
  const labels = tensor([0, 3, 1], { dtype: 'int32' });
  const classification = [
    ['crossEntropy', crossEntropy],
    ['nllLoss', nllLoss],
  ] as const;

  describe.each(classification)('%s', (op, fn) => {
    test('float targets are a DTypeError', () => {
      const run = () => fn(logits, tensor([0, 3, 1]));
      expect(run).toThrow(DTypeError);
      expect(run).toThrow(
        `${op}: expected int32 class-index targets, got float32. Convert with target.int(), or create them with tensor([0, 1, 1], { dtype: 'int32' })`,
      );
    });

    test.each([
      ['[3, 1]', tensor([[0], [3], [1]], { dtype: 'int32' })],
      ['[2]', tensor([0, 3], { dtype: 'int32' })],
    ])('a target of shape %s is a ShapeError', (shape, target) => {
      const run = () => fn(logits, target);
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(`${op}: expected target of shape [3], got ${shape}`);
    });

    test.each([
      ['C', [0, 4, 1], {}, 'targets in [0, 3] (or ignoreIndex -100), got target 4 at position 1'],
      ['-1', [0, 3, -1], {}, 'targets in [0, 3] (or ignoreIndex -100), got target -1 at position 2'],
      [
        '-100 with another ignoreIndex',
        [-100, 3, 1],
        { ignoreIndex: 2 },
        'targets in [0, 3] (or ignoreIndex 2), got target -100 at position 0',
      ],
    ])('a target of %s is a ShapeError', (_what, values, options, message) => {
      const run = () => fn(logits, tensor(values, { dtype: 'int32' }), options);
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(`${op}: expected ${message}`);
    });

    test('input that is not [N, C] is a ShapeError', () => {
      const run = () => fn(tensor([1, 2, 3]), labels);
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(`${op}: expected input of shape [N, C], got [3]`);
    });

    test('a class weight that is not [C] is a ShapeError', () => {
      const run = () => fn(logits, labels, { weight: tensor([1, 1, 1]) });
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(`${op}: expected a class weight of shape [4], got [3]`);
    });

    test('an unknown reduction is a ConfigError', () => {
      const run = () => fn(logits, labels, { reduction: 'avg' as Reduction });
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(`${op}: expected reduction 'mean', 'sum' or 'none', got 'avg'`);
    });
  });

  test.each([-0.1, 1.5, Number.NaN])('crossEntropy rejects labelSmoothing %s', (eps) => {
    const run = () => crossEntropy(logits, labels, { labelSmoothing: eps });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`crossEntropy: expected labelSmoothing in [0, 1], got ${eps}`);
  });

  test('crossEntropy accepts labelSmoothing 0 and 1 (the bounds)', () => {
    expect(Number.isFinite(crossEntropy(logits, labels, { labelSmoothing: 0 }).item())).toBe(true);
    // Uniform logits: every term is log C, whatever the smoothing.
    expectClose([crossEntropy(logits, labels, { labelSmoothing: 1 }).item()], [Math.log(4)]);
  });

  describe.each([
    ['mseLoss', mseLoss],
    ['bceWithLogits', bceWithLogits],
  ] as const)('%s', (op, fn) => {
    test('a target of another shape is a ShapeError', () => {
      const run = () => fn(logits, tensor(new Float32Array(12), { shape: [4, 3] }));
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(`${op}: expected target of the input's shape [3, 4], got [4, 3]`);
    });

    test('an unknown reduction is a ConfigError', () => {
      const run = () => fn(logits, logits, { reduction: 'batchmean' as Reduction });
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(`${op}: expected reduction 'mean', 'sum' or 'none', got 'batchmean'`);
    });
  });
});

describe('bceWithLogits checks its weights and target at entry', () => {
  const x = tensor([
    [0.5, -1, 2],
    [1, 0, -0.5],
  ]);
  const y = tensor([
    [1, 0, 1],
    [0, 1, 0],
  ]);
  test.each([
    [
      'posWeight of the wrong size',
      () => bceWithLogits(x, y, { posWeight: tensor([1, 2]) }),
      'bceWithLogits: expected posWeight of shape [3], got [2]',
    ],
    [
      'a weight that would grow the output',
      () =>
        bceWithLogits(x, y, {
          weight: tensor(new Float32Array(12), { shape: [2, 2, 3] }),
          reduction: 'none',
        }),
      "bceWithLogits: expected a weight that broadcasts to the input's shape [2, 3], got [2, 2, 3]",
    ],
    [
      'an int32 target',
      () =>
        bceWithLogits(
          x,
          tensor(
            [
              [1, 0, 1],
              [0, 1, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      'bceWithLogits: expected a float32 or float64 target, got int32',
    ],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });
});
