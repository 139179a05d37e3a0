// The storage pool: a released array comes back for the same dtype and length, once; what is
// small, a view, already pooled or over the bounds is left to the garbage collector.

import { afterEach, describe, expect, test } from 'vitest';
import {
  clearStoragePool,
  endPoolStep,
  POOL_MAX_BYTES,
  POOL_MIN_BYTES,
  releaseStorage,
  storagePoolSize,
  takeStorage,
  writableStorage,
  zeroedStorage,
} from './storage-pool';

// W2's saved gates: [N = B·T = 6400, G·H = 512] floats (13 MB).
const N = 6400 * 512;

afterEach(() => clearStoragePool());

describe('storage pool', () => {
  test('a released array is taken back for its dtype and length, once', () => {
    const a = takeStorage('float32', N);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(N);
    releaseStorage(a);
    expect(storagePoolSize()).toEqual({ arrays: 1, bytes: 4 * N });
    expect(takeStorage('float32', N) === a).toBe(true);
    expect(takeStorage('float32', N) === a).toBe(false);
    expect(storagePoolSize()).toEqual({ arrays: 0, bytes: 0 });
  });

  test('float64 arrays are pooled apart from float32 ones of the same length', () => {
    const d = new Float64Array(N);
    const f = new Float32Array(N);
    releaseStorage(d);
    releaseStorage(f);
    expect(takeStorage('float32', N) === f).toBe(true);
    expect(storagePoolSize().arrays).toBe(1);
    expect(takeStorage('float64', N) === d).toBe(true);
  });

  test('what no step took back is evicted at the end of the next step', () => {
    const [a, b] = [new Float32Array(N), new Float32Array(N / 2)];
    releaseStorage(a);
    endPoolStep(); // the step a was released in ends: a stays for the next one
    expect(storagePoolSize()).toEqual({ arrays: 1, bytes: 4 * N });
    releaseStorage(b);
    endPoolStep(); // a step that did not take a back: a goes, b stays
    expect(storagePoolSize()).toEqual({ arrays: 1, bytes: 2 * N });
    expect(takeStorage('float32', N / 2) === b).toBe(true);
  });

  test('shapes that change every step (batches of another length) do not pile up', () => {
    // Each step takes storage of a length the pool has never held, then gives it back.
    for (let i = 0; i < 40; i++) {
      releaseStorage(takeStorage('float32', N + 1000 * i));
      endPoolStep();
      expect(storagePoolSize().arrays).toBeLessThanOrEqual(2);
    }
  });

  test('steps of the same shapes take back everything', () => {
    let first: Float32Array | undefined;
    for (let i = 0; i < 5; i++) {
      const a = takeStorage('float32', N);
      if (i === 1) first = a;
      if (i > 1) expect(a === first).toBe(true);
      releaseStorage(a);
      endPoolStep();
    }
  });

  test('releasing an array twice pools it once', () => {
    const a = new Float32Array(N);
    releaseStorage(a);
    releaseStorage(a);
    expect(storagePoolSize().arrays).toBe(1);
    expect(takeStorage('float32', N) === a).toBe(true);
    expect(takeStorage('float32', N) === a).toBe(false);
  });

  test('small arrays and views into a larger buffer are not pooled', () => {
    releaseStorage(new Float32Array(POOL_MIN_BYTES / 4 - 1));
    const whole = new Float32Array(2 * N);
    releaseStorage(whole.subarray(0, N));
    releaseStorage(whole.subarray(N));
    expect(storagePoolSize()).toEqual({ arrays: 0, bytes: 0 });
  });

  test('at most POOL_MAX_BYTES in all', () => {
    const big = Math.floor(POOL_MAX_BYTES / 4 / 3); // three of these fill the pool
    for (let i = 0; i < 4; i++) releaseStorage(new Float32Array(big - i));
    expect(storagePoolSize()).toEqual({ arrays: 3, bytes: 4 * (3 * big - 3) });
  });

  test('fresh storage has the length asked for and its own buffer', () => {
    for (const n of [0, 7, POOL_MIN_BYTES / 4, N]) {
      const a = takeStorage('float32', n);
      expect(a.length).toBe(n);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(4 * n);
      const b = takeStorage('float64', n);
      expect(b).toBeInstanceOf(Float64Array);
      expect(b.length).toBe(n);
    }
  });

  test('zeroedStorage zeroes a recycled array; writableStorage gives other dtypes zeroed', () => {
    const a = new Float32Array(N).fill(Number.NaN);
    releaseStorage(a);
    const z = zeroedStorage('float32', N);
    expect(z === a).toBe(true);
    expect(z.every((v) => v === 0)).toBe(true);
    const i = writableStorage('int32', N);
    expect(i).toBeInstanceOf(Int32Array);
    expect(i.every((v) => v === 0)).toBe(true);
    expect(zeroedStorage('bool', 3)).toEqual(new Uint8Array(3));
  });
});
