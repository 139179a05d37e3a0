import type { Tensor } from '../tensor';
import { isGradEnabled } from './grad-mode';
import { type BackwardFn, Node } from './node';

/** Whether an op over `inputs` gets a node: grad mode is on and one of them requires grad. */
export function willRecord(inputs: readonly Tensor[]): boolean {
  if (!isGradEnabled()) return false;
  let any = false;
  for (const input of inputs) any ||= input.requiresGrad;
  return any;
}

/**
 * Records an op in the graph: when gradients are enabled and any input requires a gradient, the
 * outputs get a node whose `backward` maps output gradients to input gradients. This is also the
 * extension point for fused ops (the recurrent layers' kernels): compute the outputs with backend
 * kernels, then call `recordOp` with a hand-written backward.
 *
 * @returns the outputs, for chaining.
 */
export function recordOp<T extends readonly Tensor[]>(
  op: string,
  inputs: readonly Tensor[],
  outputs: T,
  backward: BackwardFn,
): T {
  if (!willRecord(inputs)) return outputs;
  const node = new Node(op, inputs, outputs.length, backward);
  for (const [i, out] of outputs.entries()) out._attach(node, i);
  return outputs;
}
