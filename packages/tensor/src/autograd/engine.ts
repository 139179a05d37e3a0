import { backend } from '../backend/registry';
import { formatShape, ShapeError } from '../errors';
import { sameShape, stridesOf } from '../shape';
import { Tensor } from '../tensor';
import { noGrad } from './grad-mode';
import type { Node } from './node';

/**
 * Backpropagation from `root`: (1) order the graph's nodes topologically, without recursion so an
 * LSTM unrolled over thousands of steps cannot overflow the stack; (2) walk them in reverse,
 * applying each node's backward (the chain rule) and summing the gradients that meet at a tensor.
 * Leaves that require grad (and retained intermediates) accumulate into `.grad`.
 */
export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new ShapeError(
      'backward',
      'a tensor that requires grad',
      'one that does not',
      'Create the leaves with { requiresGrad: true }',
    );
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel !== 1) {
      throw new ShapeError(
        'backward',
        'a scalar output or an explicit gradient',
        `shape ${formatShape(root.shape)}`,
      );
    }
    seed = new Tensor(
      root.data instanceof Float64Array ? new Float64Array([1]) : new Float32Array([1]),
      root.shape,
      root.dtype,
    );
  } else {
    if (!sameShape(grad.shape, root.shape)) {
      throw new ShapeError(
        'backward',
        `a gradient of shape ${formatShape(root.shape)}`,
        formatShape(grad.shape),
      );
    }
    seed = grad.detach();
  }
  noGrad(() => propagate(root, seed));
}

function propagate(root: Tensor, seed: Tensor): void {
  const rootNode = root._node;
  if (!rootNode) {
    accumulate(root, seed);
    return;
  }
  // 1. Topological order: iterative post-order DFS (inputs before the nodes that consume them).
  const order: Node[] = [];
  const visited = new Set<Node>([rootNode]);
  const stack: Node[] = [rootNode];
  const next: number[] = [0];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top];
    const i = next[top];
    if (i < node.inputs.length) {
      next[top] = i + 1;
      const child = node.inputs[i]._node;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push(child);
        next.push(0);
      }
    } else {
      stack.pop();
      next.pop();
      order.push(node);
    }
  }

  // 2. Chain rule in reverse topological order.
  const pending = new Map<Node, (Tensor | null)[]>();
  // Gradients stored in `pending` may alias a tensor flowing elsewhere (add passes g to both
  // inputs); only sums made here are owned and may be updated in place.
  const owned = new Set<Tensor>();
  const rootGrads: (Tensor | null)[] = new Array(rootNode.numOutputs).fill(null);
  rootGrads[root._outputIndex] = seed;
  pending.set(rootNode, rootGrads);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const grads = pending.get(node);
    if (!grads) continue;
    pending.delete(node);
    if (node.retained) {
      node.retained.forEach((tensor, i) => {
        const g = grads[i];
        if (tensor && g) accumulate(tensor, g);
      });
    }
    const needs = node.inputs.map((t) => t.requiresGrad);
    const inputGrads = node.backward(grads, needs);
    for (let i = 0; i < node.inputs.length; i++) {
      const input = node.inputs[i];
      const g = inputGrads[i];
      if (!g || !needs[i]) continue;
      const fresh = node.freshGradients && isFresh(g, i, grads, inputGrads);
      if (!sameShape(g.shape, input.shape)) {
        throw new ShapeError(
          `${node.op}.backward`,
          `a gradient of shape ${formatShape(input.shape)}`,
          formatShape(g.shape),
          'This is a bug in seqlab',
        );
      }
      const producer = input._node;
      if (!producer) {
        accumulate(input, g, fresh);
        continue;
      }
      let buffer = pending.get(producer);
      if (!buffer) {
        buffer = new Array(producer.numOutputs).fill(null);
        pending.set(producer, buffer);
      }
      const j = input._outputIndex;
      const prev = buffer[j];
      if (!prev) {
        buffer[j] = g;
        if (fresh) owned.add(g);
      } else if (owned.has(prev)) {
        sumInto(prev, g);
      } else {
        const sum = sumInto(copyOf(prev), g);
        owned.add(sum);
        buffer[j] = sum;
      }
    }
  }
}

/**
 * t.grad += g, into storage owned by t.grad (never aliasing a gradient flowing elsewhere). A
 * `fresh` g (storage nobody else holds) becomes the first gradient as it is, without a copy.
 */
function accumulate(t: Tensor, g: Tensor, fresh = false): void {
  if (g.dtype !== t.dtype) {
    g = g.to(t.dtype);
    fresh = true;
  }
  t.grad = t.grad ? sumInto(t.grad, g) : fresh ? g : copyOf(g);
}

/**
 * Whether input i's gradient `g` owns its storage: not shared with a gradient the node received
 * (add and reshape pass g on) nor with another input's gradient (one sum given to two biases).
 * Only asked for nodes whose backward allocates what it does not pass on (Node.freshGradients).
 */
function isFresh(
  g: Tensor,
  i: number,
  received: readonly (Tensor | null)[],
  given: readonly (Tensor | null)[],
): boolean {
  for (const r of received) if (r && r.data.buffer === g.data.buffer) return false;
  for (let k = 0; k < given.length; k++) {
    const other = given[k];
    if (k !== i && other && other.data.buffer === g.data.buffer) return false;
  }
  return true;
}

function copyOf(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape, t.dtype);
}

/** acc += g in place (acc must own its storage), returns acc. */
function sumInto(acc: Tensor, g: Tensor): Tensor {
  const strides = stridesOf(acc.shape);
  backend().binary(
    'add',
    { data: acc.data, offset: 0, strides },
    { data: g.data, offset: 0, strides },
    acc.shape,
    acc.data,
  );
  return acc;
}
