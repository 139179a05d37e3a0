// The storage pool: a released array comes back for the same dtype and length, once; what is
// small, a view, already pooled or over the bounds is left to the garbage collector.

import { afterEach, describe, expect, test } from 'vitest';
import { jsBackend, registerBackend } from './backend/index';
import {
  cat,
  embedding,
  getBackend,
  listBackends,
  noGrad,
  randn,
  recurrentLayer,
  setBackend,
  tensor,
  tidy,
} from './index';
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

const initialBackend = getBackend().name;
afterEach(() => {
  clearStoragePool();
  setBackend(initialBackend);
});

/** The js backend with an uninitializedStorage that hands out NaN-filled arrays (stale memory). */
function staleBackend(): { given: (Float32Array | Float64Array)[] } {
  const given: (Float32Array | Float64Array)[] = [];
  registerBackend({
    ...jsBackend,
    name: 'stale-memory',
    uninitializedStorage(dtype, n) {
      const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      given.push(a.fill(Number.NaN));
      return a;
    },
  });
  setBackend('stale-memory');
  return { given };
}

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

  test("W1's [32, 256] states (32 KiB) are pooled (NOTE(pool-sizes))", () => {
    expect(POOL_MIN_BYTES).toBeLessThanOrEqual(32 * 256 * 4);
    const a = takeStorage('float32', 32 * 256);
    releaseStorage(a);
    expect(storagePoolSize()).toEqual({ arrays: 1, bytes: 32 * 256 * 4 });
    expect(takeStorage('float32', 32 * 256) === a).toBe(true);
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

describe("the backend's uninitializedStorage", () => {
  test('a fresh array comes from it; a pooled one is still taken back first; zeroedStorage fills it', () => {
    const { given } = staleBackend();
    const a = takeStorage('float32', N);
    expect(given).toHaveLength(1);
    expect(a === given[0]).toBe(true);
    releaseStorage(a);
    expect(takeStorage('float32', N) === a).toBe(true);
    expect(given).toHaveLength(1);
    expect(writableStorage('float64', 16) === given[1]).toBe(true);
    const z = zeroedStorage('float32', 8);
    expect(Array.from(z)).toEqual(Array(8).fill(0));
    expect(writableStorage('int32', 4)).toEqual(new Int32Array(4));
    expect(given).toHaveLength(3);
  });

  test('embedding, linear and the saved buffers of the recurrent layer: every element of what they take is written', () => {
    const weight = randn([10, 3]);
    const ids = tensor(
      [
        [1, 4, 4],
        [0, 9, 2],
      ],
      { dtype: 'int32' },
    );
    const x = randn([6, 5]);
    const layer = [0, 1].map((d) => ({
      cell: 'lstm' as const,
      input: { x, wIh: randn([8, 5]), biases: [randn([8])] },
      wHh: randn([8, 2]),
      bHh: null,
      wHr: null,
      h0: randn([2, 2]),
      c0: randn([2, 2]),
      batchSizes: Int32Array.of(2, 2, 2),
      reverse: d === 1,
    }));
    setBackend('js');
    const want = [embedding(ids, weight), noGrad(() => recurrentLayer(layer).out)];
    const { given } = staleBackend();
    const got = [embedding(ids, weight), noGrad(() => recurrentLayer(layer).out)];
    expect(given.length).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) expect(Array.from(got[i].data)).toEqual(Array.from(want[i].data));
  });
});

describe.each(listBackends())('[%s backend] cat into pooled storage (NOTE(pool-sizes))', (name) => {
  afterEach(() => clearStoragePool());

  test('a recycled NaN-filled array comes back zeroed: the same values and signs as on fresh storage', () => {
    setBackend(name);
    // The stacked final states of W1's LSTM layer: four [1, 32, 256] pieces, with −0, NaN and ±inf in them.
    const pieces = [0, 1, 2, 3].map((k) => {
      const t = randn([1, 32, 256]);
      const d = t.data as Float32Array;
      d[k] = -0;
      d[k + 1] = Number.NaN;
      d[k + 2] = k % 2 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      return t;
    });
    const want = cat(pieces, 0);
    const stale = new Float32Array(4 * 32 * 256).fill(Number.NaN);
    releaseStorage(stale);
    const got = cat(pieces, 0);
    expect(got.data === stale).toBe(true);
    expect(got.shape).toEqual([4, 32, 256]);
    const [g, w] = [got.data as Float32Array, want.data as Float32Array];
    for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) expect([i, g[i]]).toEqual([i, w[i]]);
    // Along dim 1 too (strided pieces), and its storage goes back to the pool when a tidy drops it.
    const wide = cat([pieces[0], pieces[1]], 1);
    const w1 = Array.from(wide.data);
    releaseStorage(new Float32Array(2 * 32 * 256).fill(Number.NaN));
    const kept = tidy(() => cat([pieces[0], pieces[1]], 1));
    expect(Array.from(kept.data).every((v, i) => Object.is(v, w1[i]))).toBe(true);
    const before = storagePoolSize().arrays;
    tidy(() => {
      cat([pieces[0], pieces[1]], 1);
    });
    expect(storagePoolSize().arrays).toBe(before + 1);
  });
});
