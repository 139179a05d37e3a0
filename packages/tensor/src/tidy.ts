import type { Node } from './autograd/node';
import type { FloatStorage, Storage } from './dtype';
import { ConfigError, DisposedError, formatShape } from './errors';
import { dropPending, pendingOf } from './pending';
import { enterScope, inputs, kept, pooled, type Scope, viewed } from './scope';
import { releaseStorage, wasReleased } from './storage-pool';
import { Tensor } from './tensor';

// NOTE(tidy): tensors are garbage-collected, but their typed arrays are external memory to V8,
// which answers a loop allocating megabytes a step with a mark-compact every few steps. `dispose`
// and `tidy` (TF.js's names and contracts) hand that storage back to the storage pool, where the
// next op asking for the same size takes it. Correctness first: a storage goes back only when no
// live tensor, array or autograd node can read it; everything else is left to the garbage
// collector (a lost reuse, never a wrong value). A disposed tensor's `data` throws DisposedError.
//
// - `dispose(t)` hands back only storage `takeStorage` made, that no second tensor was ever made
//   to share (`viewed`: reshape, contiguous select/narrow, detach), no autograd node holds (t has
//   no `_node`, is no node's input) and that is not pending (NOTE(pending-data)).
// - `tidy(fn)` knows every tensor fn made and every pool storage it took (NOTE(tidy-scope)). What
//   fn returns is kept (with what it shares storage with), so are the leaves that require grad
//   (parameters: TF.js's variables, which no tidy disposes), and so is the gradient of every
//   parameter a backward inside fn reached. When the result carries an autograd graph (a loss to
//   call backward on), nothing is disposed: the graph's backward may read any tensor made while
//   it was recorded, and its saved buffers go back to the pool after backward anyway. A graph
//   recorded inside and spent there (a training step: forward, `backward()` without retainGraph,
//   the optimizer's step) is as good as none: its nodes are marked released (a backward from a
//   disposed output, hN with an explicit gradient, throws instead of reading recycled storage),
//   and storage goes back as for inference. A graph recorded and not spent (no backward, a
//   backward that retained it, or a kept tensor on it) keeps its storage: the tensors are disposed
//   and nothing goes back. Otherwise (inference, noGrad) a storage made inside goes back unless a
//   kept tensor shares its buffer. Exactly once: only a storage fn took once and no one handed
//   back since (`wasReleased`: a node's release, the engine's recycling, zeroGrad). One handed
//   back inside may have gone to another holder since, perhaps an op's own array that no tensor
//   shows (a dropout mask, a recurrence's scratch): handing it back again would give one buffer
//   to two later tensors. A kept tensor that is pending finishes first: its pending work may read
//   the tensors disposed here. What outlives a step is never fn's storage: parameters and their
//   `.grad`s are kept, the optimizers' state is their own arrays, caches are `keep`'s.

/** What `tidy`'s function may return: anything; the tensors in its arrays and objects are kept. */
export type TensorContainer = unknown;

const disposed = new WeakSet<Tensor>();

/** Whether `dispose` or `tidy` disposed `t` (its data can no longer be read). */
export function isDisposed(t: Tensor): boolean {
  return disposed.has(t);
}

/**
 * Exempts `t` from every `tidy` (TF.js's `tf.keep`): a tensor made inside `tidy` and kept
 * elsewhere (a cache, a running statistic) survives it. Returns `t`.
 */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

/** `t`'s storage, without finishing its pending work. */
const storageOf = (t: Tensor): Storage => pendingOf(t)?.storage ?? t.data;

/** Makes every later read of `t.data` throw (the pending record, if any, goes with t's own accessor). */
function markDisposed(t: Tensor): void {
  disposed.add(t);
  dropPending(t);
  const what = `a ${t.dtype} tensor of shape ${formatShape(t.shape)} disposed by dispose() or tidy()`;
  Object.defineProperty(t, 'data', {
    configurable: true,
    enumerable: false,
    get() {
      throw new DisposedError('Tensor.data', 'a tensor that was not disposed', what);
    },
  });
}

const isFloat = (s: Storage): s is FloatStorage => s instanceof Float32Array || s instanceof Float64Array;

/** An empty array of object elements (V8's elements kind: one `null` in, then truncated). */
function objectArray<T>(): T[] {
  const a: (T | null)[] = [null];
  a.length = 0;
  return a as T[];
}

/**
 * Disposes a tensor, or every tensor of an array (TF.js's `tf.dispose`): any later read of its data
 * throws DisposedError, and its storage goes back to the storage pool when nothing else can read
 * it (float storage an op made, that no view, detached copy or autograd node shares). Disposing a
 * tensor twice, or one `keep` exempted, is allowed; a kept tensor is left alone.
 *
 * @example
 * ```ts
 * const logits = model.forward(x);
 * const predicted = argmax(logits, 1).toArray();
 * dispose(logits); // the next step's logits take its storage
 * ```
 */
export function dispose(t: Tensor | readonly Tensor[]): void {
  for (const x of t instanceof Tensor ? [t] : t) {
    if (!(x instanceof Tensor)) continue;
    if (disposed.has(x) || kept.has(x)) continue;
    const s = storageOf(x);
    const free = !pendingOf(x) && !x._node && !inputs.has(x) && pooled.has(s) && !viewed.has(s.buffer);
    markDisposed(x);
    if (free && isFloat(s)) releaseStorage(s);
  }
}

/**
 * Runs `fn` and disposes every tensor it made that its result does not hold (TF.js's `tf.tidy`):
 * their storage goes back to the storage pool, so a loop of same-shaped steps takes back the last
 * step's arrays instead of allocating new ones. The result may be a tensor, an array or a plain
 * object, Map or Set holding tensors (nested: own enumerable properties), or anything else; the tensors it holds are kept and belong to an
 * enclosing `tidy`, if any. Tensors made before `fn` ran (parameters, inputs) are never touched,
 * nor is storage a kept tensor shares (a `reshape` or `select` of it). Tensors are disposed also
 * when `fn` throws. `fn` must be synchronous.
 *
 * Parameters made inside (leaves that require grad, as a module's constructor makes them) are
 * never disposed, as TF.js's variables.
 *
 * Autograd: a result that carries a graph (a loss to call `backward` on) keeps every tensor (the
 * backward may read any of them); a `backward` run inside `fn` keeps the gradients it gave the
 * parameters. A whole training step in `tidy` (forward, `backward()`, the optimizer's step) hands
 * its storage back like an inference step: the next step allocates nothing new. A graph recorded
 * inside that no backward spent (none ran, or one with `retainGraph`) keeps its storage out of
 * the pool. A tensor made inside and kept elsewhere (a cache) must be exempted with `keep`, else
 * reading it later throws DisposedError.
 *
 * @example
 * ```ts
 * for (const batch of batches) {
 *   const predicted = tidy(() => noGrad(() => argmax(model.forward(batch), 1)));
 *   use(predicted.toArray());
 * }
 * // A training step: the loss as a number; parameters, their gradients and Adam's state stay.
 * const loss = tidy(() => {
 *   opt.zeroGrad();
 *   const l = crossEntropy(model.forward(x), y);
 *   l.backward();
 *   opt.step();
 *   return l.item();
 * });
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ConfigError('tidy', 'a function', typeof fn);
  // Arrays of objects from the start: `push` on an empty [] (small-integer elements) of the
  // Tensor constructor and takeStorage, inlined by V8 for that kind, deoptimizes ("not a Smi").
  const scope: Scope = { tensors: objectArray(), storages: objectArray() };
  const outer = enterScope(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    enterScope(outer);
    end(scope, undefined, outer);
    throw e;
  }
  enterScope(outer);
  if (result instanceof Promise) {
    end(scope, undefined, outer);
    throw new ConfigError('tidy', 'a synchronous function', 'one returning a Promise');
  }
  end(scope, result, outer);
  return result;
}

/** Adds the tensors `value` holds (in arrays, Maps, Sets and objects' own enumerable properties, any depth) to `out`. */
function collect(value: unknown, out: Set<Tensor>, seen: Set<object>): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value) || value instanceof Set) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (!ArrayBuffer.isView(value)) for (const v of Object.values(value)) collect(v, out, seen);
}

function end(scope: Scope, result: unknown, outer: Scope | null): void {
  const keep = new Set<Tensor>();
  collect(result, keep, new Set());
  let graph = false;
  let freed = false;
  let retained = false;
  let returned = false;
  for (const t of scope.tensors) {
    const node = t._node;
    if (node === null) continue;
    graph = true;
    freed ||= node.backwardRan === 'freed';
    retained ||= node.backwardRan === 'retained';
  }
  for (const t of keep) returned ||= t._node !== null;
  if (returned) {
    // A graph to backward through: everything stays (NOTE(tidy)), and belongs to the outer scope.
    outer?.tensors.push(...scope.tensors);
    outer?.storages.push(...scope.storages);
    return;
  }
  if (graph) {
    // The gradients a backward inside gave the leaves it reached stay.
    const nodes = new Set<Node>();
    const visit = (node: Node | null): void => {
      if (!node || nodes.has(node)) return;
      nodes.add(node);
      for (const x of node.inputs) {
        const g = x._peekGrad();
        if (g) keep.add(g);
        visit(x._node);
      }
    };
    for (const t of scope.tensors) visit(t._node);
  }
  // Parameters (leaves that require grad) are TF.js's variables: no tidy disposes them.
  for (const t of scope.tensors) if (kept.has(t) || (t._node === null && t.requiresGrad)) keep.add(t);
  // A graph recorded here goes only when a backward that did not retain it ran through it, none
  // that retained it did, and nothing kept can reach it: no one can backward through it again.
  let spent = freed && !retained;
  if (spent) for (const t of keep) spent &&= t._node === null;
  const handBack = !graph || spent;
  const buffers = new Set<ArrayBufferLike>();
  for (const t of keep) {
    // Pending work may read tensors disposed below: it runs now (NOTE(pending-data)).
    if (pendingOf(t) && !disposed.has(t)) void t.data;
    if (!disposed.has(t)) buffers.add(t.data.buffer);
  }
  // How often fn took each storage: twice means it was handed back and taken again in between,
  // perhaps by an op's own array (a node's saved state) that no tensor here shows.
  const born = new Map<Storage, number>();
  for (const s of scope.storages) born.set(s, (born.get(s) ?? 0) + 1);
  const free = new Set<FloatStorage>();
  for (const t of scope.tensors) {
    if (keep.has(t) || disposed.has(t)) continue;
    const s = storageOf(t);
    markDisposed(t);
    // Only storage fn took once and nobody handed back since (a node's release, the engine's
    // recycling, zeroGrad): a storage handed back may have gone to another holder, never twice.
    if (handBack && born.get(s) === 1 && isFloat(s) && !wasReleased(s) && !buffers.has(s.buffer)) free.add(s);
  }
  if (graph && spent) {
    // Its saved state may be in the pool now: a backward from a disposed output (hN, which the
    // loss did not read, passed an explicit gradient) throws instead of reading it.
    for (const t of scope.tensors) if (t._node && !keep.has(t)) t._node.released = true;
  }
  for (const s of free) releaseStorage(s);
  if (outer) {
    for (const t of scope.tensors) if (keep.has(t)) outer.tensors.push(t);
    for (const s of scope.storages) if (!free.has(s as FloatStorage)) outer.storages.push(s);
  }
}
