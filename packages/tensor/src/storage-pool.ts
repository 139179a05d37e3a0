import { backend } from './backend/registry';
import { allocate, type DType, type FloatStorage, type Storage } from './dtype';
import { current, pooled as handedOut } from './scope';

/**
 * A small free list of float storage, keyed by dtype and length, for buffers whose every element a
 * kernel writes before anyone reads it: the fused recurrence's saved activations, handed back when
 * its node is released after backward (see NOTE(saved-buffers)), and gradients nothing can reach
 * any more once the node that received them has run (the autograd engine's). A training step
 * allocates the same sizes every time, so a step takes back what the last one gave; what V8 would
 * otherwise collect under external-memory pressure (≈ 3 mark-compacts a step) stays allocated.
 *
 * Bounded: at most {@link POOL_MAX_BYTES} held in all, and only arrays of at least
 * {@link POOL_MIN_BYTES} that own their whole buffer (never a view into
 * another tensor's storage). An array is in the pool at most once. Whoever releases an array
 * promises that nothing reads or writes it afterwards: a tensor a user holds is never released.
 */
export const POOL_MAX_BYTES = 256 * 1024 * 1024;
// NOTE(pool-sizes): a fresh typed array of a few KiB costs V8 1–2 µs, but from about 32 KiB up one
// costs far more inside a training step than in a loop of its own (≈ 10 µs): in the W1 wasm step,
// with hundreds of MB of external memory live, the [32, 256] states (32 KiB) took 0.1–0.25 ms each
// and the [4, 32, 256] stacked states (128 KiB) 0.15–0.4 ms, 3–4 ms a step for 20 arrays
// (apps/trainer/scripts/step-allocations.ts). So arrays from 16 KiB up come from the pool, and ops
// that zero their output (cat) take zeroed storage from it rather than a new array.

/** Smaller arrays are not pooled: V8 allocates them cheaply (NOTE(pool-sizes)). */
export const POOL_MIN_BYTES = 16 * 1024;

type FloatDType = 'float32' | 'float64';

const free = new Map<string, FloatStorage[]>();
/** Every pooled array with the step it was released in, oldest first (a Map keeps insertion order). */
const pooled = new Map<FloatStorage, number>();
/** Steps counted by `endPoolStep` (the end of each backward). */
let step = 0;
let heldBytes = 0;
/** `takeStorage` calls the pool answered (hits) and those it allocated for (misses), big enough to pool. */
let hits = 0;
let misses = 0;
/**
 * Arrays handed back (to the pool, or offered and left to the garbage collector) and not handed
 * out again since: their last holder promised never to touch them. `tidy` never hands one back a
 * second time (NOTE(tidy)): a later `takeStorage` may have given it to someone else.
 */
const returned = new WeakSet<FloatStorage>();

const keyOf = (dtype: FloatDType, n: number) => `${dtype}:${n}`;

/**
 * Storage for `n` elements of `dtype` whose contents are unspecified (a recycled array, or a fresh
 * one, not zero-filled when the backend has `uninitializedStorage`): the caller writes every element.
 */
export function takeStorage(dtype: 'float32', n: number): Float32Array;
export function takeStorage(dtype: 'float64', n: number): Float64Array;
export function takeStorage(dtype: FloatDType, n: number): FloatStorage;
export function takeStorage(dtype: FloatDType, n: number): FloatStorage {
  const list = free.get(keyOf(dtype, n));
  let s = list?.pop();
  if (s) {
    pooled.delete(s);
    heldBytes -= s.byteLength;
    returned.delete(s);
    hits++;
  } else {
    if (n * (dtype === 'float64' ? 8 : 4) >= POOL_MIN_BYTES) misses++;
    s =
      backend().uninitializedStorage?.(dtype, n) ??
      (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  }
  // What tidy and dispose may hand back (NOTE(tidy-scope)).
  handedOut.add(s);
  current?.storages.push(s);
  return s;
}

/** Storage for `n` elements of any dtype whose every element the caller writes (floats: the pool). */
export function writableStorage(dtype: DType, n: number): Storage {
  return dtype === 'float32' || dtype === 'float64' ? takeStorage(dtype, n) : allocate(dtype, n);
}

/** Zeroed storage for `n` elements of any dtype (floats: from the pool, then filled with 0). */
export function zeroedStorage(dtype: DType, n: number): Storage {
  return dtype === 'float32' || dtype === 'float64' ? takeStorage(dtype, n).fill(0) : allocate(dtype, n);
}

/**
 * Hands `data` back for a later `takeStorage` of its dtype and length. Ignored (left to the
 * garbage collector) when it is small, a view into a larger buffer, already pooled, or the pool is
 * full.
 */
export function releaseStorage(data: FloatStorage): void {
  returned.add(data);
  const bytes = data.byteLength;
  if (bytes < POOL_MIN_BYTES || data.byteOffset !== 0 || bytes !== data.buffer.byteLength) return;
  if (pooled.has(data) || heldBytes + bytes > POOL_MAX_BYTES) return;
  const key = keyOf(data instanceof Float64Array ? 'float64' : 'float32', data.length);
  const list = free.get(key);
  if (list) list.push(data);
  else free.set(key, [data]);
  pooled.set(data, step);
  heldBytes += bytes;
}

/** What the storage pool holds (`storagePoolSize`). */
export interface StoragePoolSize {
  /** Arrays waiting to be taken again. */
  arrays: number;
  /** Their bytes in all. */
  bytes: number;
}

/** What the pool holds: arrays and bytes (for tests and diagnostics). */
export function storagePoolSize(): StoragePoolSize {
  let arrays = 0;
  for (const list of free.values()) arrays += list.length;
  return { arrays, bytes: heldBytes };
}

/**
 * Whether `data` was handed back (`releaseStorage`) and not handed out again since: whoever held
 * it is done with it, and handing it back again could give it to two later tensors.
 */
export function wasReleased(data: FloatStorage): boolean {
  return returned.has(data);
}

/** Counts of the storage pool's answers since the process started (`storagePoolStats`). */
export interface StoragePoolStats {
  /** Requests the pool answered with an array handed back earlier. */
  hits: number;
  /** Requests of a poolable size (16 KiB and up) it answered with a new array. */
  misses: number;
}

/**
 * How often `takeStorage` took an array from the pool (`hits`) or allocated one big enough to be
 * pooled (`misses`) since the process started: a training step in `tidy` of the same shapes as
 * the last should miss nothing (for tests and diagnostics).
 */
export function storagePoolStats(): StoragePoolStats {
  return { hits, misses };
}

/** Whether `data` is in the pool now (for tests: a tensor someone holds must never be). */
export function isPooled(data: FloatStorage): boolean {
  return pooled.has(data);
}

/** Empties the pool (its arrays go to the garbage collector). */
export function clearStoragePool(): void {
  free.clear();
  pooled.clear();
  heldBytes = 0;
}

/**
 * Ends a step (the autograd engine calls it after each backward): what was released before the
 * step that just ended and not taken back during it is evicted, left to the garbage collector. A
 * training step of the same shapes as the last takes back all it can; shapes that change from step
 * to step (batches of other lengths) leave the releases of two steps at most in the pool, not the
 * bound.
 */
export function endPoolStep(): void {
  for (const [data, released] of pooled) {
    if (released >= step) break;
    const list = free.get(keyOf(data instanceof Float64Array ? 'float64' : 'float32', data.length));
    list?.splice(list.indexOf(data), 1);
    pooled.delete(data);
    heldBytes -= data.byteLength;
  }
  step++;
}
