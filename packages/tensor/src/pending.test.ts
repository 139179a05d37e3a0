// NOTE(pending-data): a tensor whose storage waits for work runs it on the first read of `data`;
// views that know what they read (reshape's whole storage, select/narrow's complete ranges, cat's
// pieces along dim 0) do not.
import { describe, expect, test } from 'vitest';
import { cat } from './ops/movement';
import { defer } from './pending';
import { Tensor } from './tensor';

/** A [4, 3] tensor whose rows 0–2 are pending (filled with 10 + i) and row 3 complete (7, 8, 9). */
function pendingRows() {
  const storage = new Float32Array(12);
  storage.set([7, 8, 9], 9);
  const runs = { n: 0 };
  const t = defer(new Tensor(storage, [4, 3], 'float32'), {
    storage,
    finish: () => {
      runs.n++;
      for (let i = 0; i < 9; i++) storage[i] = 10 + i;
    },
    complete: (s, e) => s >= 9 || e <= s,
  });
  return { t, runs };
}

const own = (t: Tensor) => Object.getOwnPropertyDescriptor(t, 'data');

describe('pending data', () => {
  test('reading data runs the work once, then data is a plain value property again', () => {
    const { t, runs } = pendingRows();
    expect(typeof own(t)?.get).toBe('function');
    expect(Array.from(t.data)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 7, 8, 9]);
    expect(Array.from(t.data)).toHaveLength(12);
    expect(runs.n).toBe(1);
    expect(own(t)).toMatchObject({ writable: true, enumerable: true, configurable: true });
    expect(Object.keys(t)).toEqual(Object.keys(new Tensor(new Float32Array(1), [1], 'float32')));
  });

  test('select, narrow and reshape of complete elements run nothing; of pending ones, the work', () => {
    const { t, runs } = pendingRows();
    expect(t.select(0, -1).toArray()).toEqual([7, 8, 9]);
    expect(t.narrow(0, 3, 1).toArray()).toEqual([[7, 8, 9]]);
    expect(runs.n).toBe(0);
    // A whole-storage view carries the work; reading it runs it, for both.
    const flat = t.reshape([12]);
    expect(runs.n).toBe(0);
    expect(flat.numel).toBe(12);
    expect(runs.n).toBe(0);
    expect(flat.data[0]).toBe(10);
    expect(runs.n).toBe(1);
    expect(t.toArray()).toEqual([
      [10, 11, 12],
      [13, 14, 15],
      [16, 17, 18],
      [7, 8, 9],
    ]);
    expect(runs.n).toBe(1);
  });

  test('a strided read that touches a pending element finishes first', () => {
    const { t, runs } = pendingRows();
    // Column 0 reads rows 0–3: pending ones among them.
    expect(t.select(1, 0).toArray()).toEqual([10, 13, 16, 7]);
    expect(runs.n).toBe(1);
  });

  test('cat along dim 0 keeps a pending piece pending, and its complete pieces readable', () => {
    const { t, runs } = pendingRows();
    const done = new Tensor(Float32Array.from([1, 2, 3]), [1, 3], 'float32');
    const both = cat([done, t], 0);
    expect(runs.n).toBe(0);
    expect(both.select(0, 0).toArray()).toEqual([1, 2, 3]);
    expect(runs.n).toBe(0);
    expect(both.toArray()).toEqual([
      [1, 2, 3],
      [10, 11, 12],
      [13, 14, 15],
      [16, 17, 18],
      [7, 8, 9],
    ]);
    expect(runs.n).toBe(1);
    // A cat of finished tensors is an ordinary one.
    expect(typeof own(cat([done, t], 0))?.get).toBe('undefined');
  });

  test('work that throws leaves the data pending: the next read runs it again', () => {
    const storage = new Float32Array(2);
    let fail = true;
    const t = defer(new Tensor(storage, [2], 'float32'), {
      storage,
      finish: () => {
        if (fail) throw new Error('backend failed');
        storage.set([1, 2]);
      },
      complete: () => false,
    });
    expect(() => t.data).toThrow('backend failed');
    fail = false;
    expect(Array.from(t.data)).toEqual([1, 2]);
  });

  test('structuredClone and toEqual read finished data', () => {
    const a = pendingRows();
    const b = pendingRows();
    expect(Array.from(structuredClone(a.t).data)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 7, 8, 9]);
    expect(b.t.data).toHaveLength(12);
    expect(pendingRows().t).toEqual(b.t);
  });
});
