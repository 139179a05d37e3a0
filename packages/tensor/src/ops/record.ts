import { recordOp } from '../autograd/function';
import { type Attrs, gradients, type Rule } from '../autograd/gradients';
import type { Tensor } from '../tensor';

/**
 * Records a primitive op: its gradient is the row `rule` of the gradient table (or a rule of
 * autograd/gradients.ts kept outside it, given as the function), called with the op's inputs,
 * output and attributes. `name` is what diagnostics show (e.g. `tanh` for the `unary` rule).
 */
export function record<K extends keyof Attrs>(
  rule: K,
  name: string,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: Attrs[K],
): Tensor;
export function record<A>(
  rule: Rule<A>,
  name: string,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: A,
): Tensor;
export function record(
  rule: keyof Attrs | Rule<unknown>,
  name: string,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: unknown,
): Tensor {
  const fn = typeof rule === 'function' ? rule : (gradients[rule] as Rule<unknown>);
  recordOp(name, inputs, [output], (grads, needs) => {
    const g = grads[0];
    if (!g) return inputs.map(() => null);
    return fn({ g, inputs, output, needs, attrs });
  });
  // Every rule of the table returns new tensors or views of g (see Node.freshGradients).
  if (output._node) output._node.freshGradients = true;
  return output;
}
