import type { Tensor } from '@seqlab/tensor';

/**
 * A fresh leaf copy of `t` that requires grad: its own storage, no history, `.grad` empty. Tests use
 * it to feed fixture tensors into a graph without touching the fixture.
 *
 * @example
 * ```ts
 * const x = leaf(fx.get('case1/input'));
 * linear.forward(x).sum().backward();
 * expectClose(x.grad, fx.get('case1/grad/input'));
 * ```
 */
export function leaf(t: Tensor): Tensor {
  const c = t.detach().clone();
  c.requiresGrad = true;
  return c;
}
