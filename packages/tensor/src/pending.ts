import type { Storage } from './dtype';
import type { Tensor } from './tensor';

// NOTE(pending-data): a tensor whose storage is not all computed yet (the last layer's reverse
// direction, NOTE(deferred-reverse)) has its own accessor `data` on the instance, defined here: the
// first read runs the pending work, then turns `data` back into a plain value property. Every
// other tensor keeps the class's plain field, so ordinary `.data` reads (the kernels' hot loops)
// see one hidden class as before; `Object.keys`, vitest's `toEqual` and the structured clone read
// an own enumerable `data` either way (the accessor finishes first). Every read of `.data` is a
// read of computed numbers: ops, kernels, toArray, a Worker's message, serialization.
// Only the views that know what they read look at the storage without finishing: `reshape` (and
// view, squeeze, unsqueeze, flatten) passes the pending work on with the whole storage, and
// `asStrided` (select, narrow, slice) reads the storage as it is when `complete` says every element
// it reads is computed. `cat` along dim 0 copies the complete pieces and leaves the pending ones
// pending in its output (the recurrent layers' hN and cN).

/** Work a tensor's storage still waits for (NOTE(pending-data)). */
export interface Pending {
  /** The storage, its pending elements not written yet. */
  readonly storage: Storage;
  /** Computes the pending elements; null once it has. It reads no pending tensor's `data` of this record. */
  finish: (() => void) | null;
  /** Whether the elements [start, end) of `storage` are computed already. */
  complete(start: number, end: number): boolean;
}

const records = new WeakMap<Tensor, Pending>();

/** Makes `t`'s `data` wait for `p` (t's storage is `p.storage`). */
export function defer(t: Tensor, p: Pending): Tensor {
  records.set(t, p);
  Object.defineProperty(t, 'data', {
    configurable: true,
    enumerable: true,
    get() {
      const work = p.finish;
      if (work) {
        // Run once (again after a throw); the work reads no `data` of this record's tensors.
        p.finish = null;
        try {
          work();
        } catch (e) {
          p.finish = work;
          throw e;
        }
      }
      records.delete(t);
      Object.defineProperty(t, 'data', {
        value: p.storage,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      return p.storage;
    },
  });
  return t;
}

/** Forgets `t`'s pending work: `t` was disposed (NOTE(tidy)), no view may read its storage. */
export function dropPending(t: Tensor): void {
  records.delete(t);
}

/** `t`'s pending work, when some is left. */
export function pendingOf(t: Tensor): Pending | undefined {
  const p = records.get(t);
  return p?.finish ? p : undefined;
}

/**
 * `x`'s storage for a read of the view (shape, strides, offset): as it is when every element the
 * view reads is computed, else finished (`x.data`).
 */
export function readable(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Storage {
  const p = pendingOf(x);
  if (!p) return x.data;
  const n = shape.length;
  // Innermost contiguous runs: the last dim's when its stride is 1, else single elements.
  const inner = n > 0 && strides[n - 1] === 1;
  const run = inner ? shape[n - 1] : 1;
  const ok = (d: number, at: number): boolean => {
    if (d === (inner ? n - 1 : n)) return p.complete(at, at + run);
    for (let i = 0; i < shape[d]; i++) if (!ok(d + 1, at + i * strides[d])) return false;
    return true;
  };
  return ok(0, offset) ? p.storage : x.data;
}
