import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { ConfigError, formatShape, ShapeError } from '../errors';
import { sameShape, stridesOf } from '../shape';
import { endPoolStep, releaseStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import { noGrad } from './grad-mode';
import type { Node } from './node';

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /**
   * Keep what the graph's nodes saved for backward, so that a second backward can run through the
   * same graph (PyTorch's `retain_graph`). Default false: a node that frees its saved state (the
   * fused recurrence) does so once its backward has run, and a second backward through it is a
   * `ConfigError`.
   */
  retainGraph?: boolean;
}

/**
 * Backpropagation from `root`: (1) order the graph's nodes topologically, without recursion so an
 * LSTM unrolled over thousands of steps cannot overflow the stack; (2) walk them in reverse,
 * applying each node's backward (the chain rule) and summing the gradients that meet at a tensor.
 * Leaves that require grad (and retained intermediates) accumulate into `.grad`.
 */
export function runBackward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
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
  noGrad(() => propagate(root, seed, options.retainGraph === true));
  endPoolStep();
}

function propagate(root: Tensor, seed: Tensor, retainGraph: boolean): void {
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
    if (node.released) {
      throw new ConfigError(
        `${node.op}.backward`,
        'a graph not yet backpropagated',
        'one whose saved state was freed',
        'Pass { retainGraph: true } to the first backward()',
      );
    }
    if (node.retained) {
      node.retained.forEach((tensor, i) => {
        const g = grads[i];
        if (tensor && g) accumulate(tensor, g);
      });
    }
    const needs = node.inputs.map((t) => t.requiresGrad);
    const inputGrads = node.backward(grads, needs);
    node.backwardRan = retainGraph ? 'retained' : 'freed';
    if (!retainGraph && node.release) {
      node.released = true;
      node.release();
    }
    const inherited = node.freshGradients ? recycleReceived(grads, inputGrads, owned) : null;
    for (let i = 0; i < node.inputs.length; i++) {
      const input = node.inputs[i];
      const g = inputGrads[i];
      if (!g || !needs[i]) continue;
      const fresh = node.freshGradients && (isFresh(g, i, grads, inputGrads) || inherited === g);
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
        if (fresh) releaseStorage(g.data as FloatStorage);
      } else {
        const sum = sumInto(copyOf(prev), g);
        owned.add(sum);
        buffer[j] = sum;
        if (fresh) releaseStorage(g.data as FloatStorage);
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
  const grad = t._peekGrad();
  if (!grad) {
    t._setGrad(fresh ? g : copyOf(g));
    return;
  }
  sumInto(grad, g);
  if (fresh) releaseStorage(g.data as FloatStorage);
}

/**
 * Hands back to the storage pool the gradients a node has just consumed, when the engine owns them
 * (made fresh by the backward of the node's consumer, or summed here) and the node's backward did
 * not pass them on (add and reshape give g itself, or a view of it, to their inputs). Only asked
 * for nodes with `freshGradients`, whose backward never keeps what it is given.
 *
 * @returns the one gradient given that is a whole view of an owned one (reshape's), which inherits
 *   its ownership; else null.
 */
function recycleReceived(
  received: readonly (Tensor | null)[],
  given: readonly (Tensor | null)[],
  owned: Set<Tensor>,
): Tensor | null {
  let inherited: Tensor | null = null;
  for (const r of received) {
    if (!r || !owned.has(r)) continue;
    owned.delete(r);
    const views = given.filter((g) => g && g.data.buffer === r.data.buffer);
    if (views.length === 0) {
      releaseStorage(r.data as FloatStorage);
    } else if (views.length === 1 && given.indexOf(views[0]) === given.lastIndexOf(views[0])) {
      const view = views[0] as Tensor;
      if (view.data.byteOffset === r.data.byteOffset && view.data.length === r.data.length) inherited = view;
    }
  }
  return inherited;
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
