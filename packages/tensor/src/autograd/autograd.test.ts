import {
  add,
  cat,
  DTypeError,
  enableGrad,
  isGradEnabled,
  linear,
  matmul,
  mul,
  noGrad,
  ones,
  randn,
  recordOp,
  ShapeError,
  select,
  stack,
  sum,
  Tensor,
  tanh,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

describe('backward', () => {
  test('accumulates into .grad across calls and through shared subexpressions', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = mul(x, x); // used twice below
    add(y, y).sum().backward(); // d/dx 2x² = 4x
    expectClose(x.grad!, tensor([4, 8, 12]));
    mul(x, 3).sum().backward(); // accumulates +3
    expectClose(x.grad!, tensor([7, 11, 15]));
  });

  test('gradients flowing to two inputs of add do not alias each other', () => {
    const a = tensor([1, 1], { requiresGrad: true });
    const b = tensor([1, 1], { requiresGrad: true });
    const s = add(a, b);
    add(s, mul(a, 10)).sum().backward();
    expectClose(a.grad!, tensor([11, 11]));
    expectClose(b.grad!, tensor([1, 1]));
    a.grad!.data.fill(0); // zeroing one gradient in place leaves the other intact
    expectClose(b.grad!, tensor([1, 1]));
  });

  test('explicit gradient for non-scalar outputs; error without one', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const y = mul(x, x);
    expect(() => y.backward()).toThrow(
      /backward: expected a scalar output or an explicit gradient, got shape \[2, 2\]/,
    );
    y.backward(
      tensor([
        [1, 0],
        [0, 1],
      ]),
    );
    expectClose(
      x.grad!,
      tensor([
        [2, 0],
        [0, 8],
      ]),
    );
    expect(() => y.backward(tensor([1, 2]))).toThrow(ShapeError);
  });

  test('retainGrad keeps dL/dh_t of every step of a recurrence', () => {
    const w = tensor([[0.5]], { requiresGrad: true });
    let h = ones([1, 1]);
    const states: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      h = tanh(matmul(h, w)).retainGrad();
      states.push(h);
    }
    h.sum().backward();
    const norms = states.map((s) => Math.abs(s.grad!.item()));
    expect(norms[4]).toBe(1);
    for (let t = 0; t < 4; t++) expect(norms[t]).toBeLessThan(norms[t + 1]); // vanishing toward the past
    // dL/dh_3 = w · (1 − h_4²)
    expectClose([states[3].grad!.item()], [0.5 * (1 - states[4].item() ** 2)]);
  });

  test('a graph 20,000 ops deep does not overflow the stack', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = add(y, 0);
    y.sum().backward();
    expectClose(x.grad!, tensor([1]));
  });

  test('detach and noGrad cut the graph; enableGrad restores it', () => {
    const x = tensor([2], { requiresGrad: true });
    expect(mul(x, 2).detach().requiresGrad).toBe(false);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => mul(x, 3));
      expect(inner.requiresGrad).toBe(true);
      return mul(x, 2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.backward()).toThrow(/backward: expected a tensor that requires grad/);
  });

  test('nodes record the op name (for diagnostics)', () => {
    const x = randn([2, 3], { requiresGrad: true });
    expect(tanh(x).gradFn).toBe('tanh');
    expect(select(x, 1, -1).gradFn).toBe('select');
    expect(stack([x, x]).gradFn).toBe('cat');
    expect(x.gradFn).toBeNull();
    expect(x.isLeaf).toBe(true);
  });

  test('only floating tensors can require grad', () => {
    const ids = tensor([1, 2], { dtype: 'int32' });
    expect(() => {
      ids.requiresGrad = true;
    }).toThrow(DTypeError);
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(
      /requiresGrad: expected a float32 or float64 tensor, got int32/,
    );
  });

  test('recordOp: a fused op with a hand-written, multi-output backward', () => {
    // y1 = 2x, y2 = x² computed "by a kernel", backward written by hand.
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y1 = new Tensor(
      x.data.map((v) => 2 * v),
      x.shape,
      'float32',
    );
    const y2 = new Tensor(
      x.data.map((v) => v * v),
      x.shape,
      'float32',
    );
    recordOp('twoOutputs', [x], [y1, y2], ([g1, g2]) => {
      const dx = zeros(x.shape);
      for (let i = 0; i < x.numel; i++)
        dx.data[i] = 2 * (g1?.data[i] ?? 0) + 2 * x.data[i] * (g2?.data[i] ?? 0);
      return [dx];
    });
    expect(y1.gradFn).toBe('twoOutputs');
    add(sum(y1), sum(mul(y2, 3))).backward(); // 2 + 6x
    expectClose(x.grad!, tensor([8, 14, 20]));
    // Only one output reached by the loss: the other's gradient arrives as null.
    const z = tensor([1], { requiresGrad: true });
    const [a, b] = [
      new Tensor(new Float32Array([1]), [1], 'float32'),
      new Tensor(new Float32Array([1]), [1], 'float32'),
    ];
    let seen: (Tensor | null)[] = [];
    recordOp('pair', [z], [a, b], (grads) => {
      seen = [...grads];
      return [ones([1])];
    });
    cat([b]).sum().backward();
    expect(seen[0]).toBeNull();
    expect(seen[1]).not.toBeNull();
  });
});

describe('gradient storage', () => {
  // The engine keeps a gradient its op just allocated as .grad without copying it; a gradient
  // that is also flowing elsewhere must still be copied, or an in-place update of one .grad (clipGradNorm,
  // the optimizers) would change another.
  test('no two leaves share gradient storage, whichever way the gradient reached them', () => {
    const a = randn([3, 4], { requiresGrad: true });
    const b = randn([3, 4], { requiresGrad: true });
    const w = randn([2, 4], { requiresGrad: true });
    const b1 = randn([2], { requiresGrad: true });
    const b2 = randn([2], { requiresGrad: true });
    // add passes its g to both inputs; linear gives both biases one column sum; the sum's gradient
    // is a view of the seed.
    add(linear(add(a, b), w, [b1, b2]), 0)
      .sum()
      .backward();
    const leaves = [a, b, w, b1, b2];
    const buffers = new Set(leaves.map((t) => t.grad!.data.buffer));
    expect(buffers.size).toBe(leaves.length);
    // An in-place update of one gradient leaves the others as they were.
    const before = Array.from(b.grad!.data);
    a.grad!.data.fill(7);
    b1.grad!.data.fill(7);
    expect(Array.from(b.grad!.data)).toEqual(before);
    expect(Array.from(b2.grad!.data)).toEqual([3, 3]);
  });

  test("a custom op's gradient is copied, so .grad never aliases a tensor its backward keeps", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const kept = tensor([5, 6]);
    const y = new Tensor(x.data.slice(), x.shape, 'float32');
    recordOp('keeps', [x], [y], () => [kept]);
    y.sum().backward();
    x.grad!.data.fill(0);
    expect(Array.from(kept.data)).toEqual([5, 6]);
  });

  test('a freshly allocated gradient becomes .grad as it is, and later backwards accumulate into it', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    mul(x, x).sum().backward();
    const first = x.grad!;
    expect(Array.from(first.data)).toEqual([2, 4, 6]);
    mul(x, 3).sum().backward();
    expect(x.grad).toBe(first);
    expect(Array.from(first.data)).toEqual([5, 7, 9]);
  });
});
