import { ConfigError, Generator, manualSeed } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { addingProblem, copyTask } from './index';

/** The positions of the markers of sequence b, and its values, from a [B, T, 2] input. */
function row(data: Float32Array, b: number, T: number): { values: number[]; marks: number[] } {
  const values: number[] = [];
  const marks: number[] = [];
  for (let t = 0; t < T; t++) {
    values.push(data[(b * T + t) * 2]);
    if (data[(b * T + t) * 2 + 1] === 1) marks.push(t);
  }
  return { values, marks };
}

describe('addingProblem', () => {
  it('follows the reference rule: two markers, one in each half, target = their sum', () => {
    for (const T of [2, 3, 10, 101]) {
      const B = 200;
      const { input, target } = addingProblem(B, T, { seed: T });
      expect(input.shape).toEqual([B, T, 2]);
      expect(target.shape).toEqual([B]);
      const data = input.data as Float32Array;
      const half = Math.floor(T / 2);
      for (let b = 0; b < B; b++) {
        const { values, marks } = row(data, b, T);
        expect(marks.length).toBe(2);
        expect(marks[0]).toBeLessThan(half);
        expect(marks[1]).toBeGreaterThanOrEqual(half);
        expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
        expect(target.data[b]).toBe(Math.fround(values[marks[0]] + values[marks[1]]));
      }
    }
  });

  it('places markers uniformly over each half', () => {
    const T = 10;
    const { input } = addingProblem(5000, T, { seed: 1 });
    const seen = new Array(T).fill(0);
    for (let b = 0; b < 5000; b++) for (const t of row(input.data as Float32Array, b, T).marks) seen[t]++;
    // Each position gets ~1000 of its half's 5000 markers.
    for (const n of seen) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('draws all values, then all first markers, then all second markers, from the generator', () => {
    const B = 3;
    const T = 6;
    const g = new Generator(5);
    const values = Array.from({ length: B * T }, () => g.uniform());
    const first = Array.from({ length: B }, () => g.int(3));
    const second = Array.from({ length: B }, () => 3 + g.int(3));
    const { input } = addingProblem(B, T, { generator: new Generator(5) });
    for (let b = 0; b < B; b++) {
      const r = row(input.data as Float32Array, b, T);
      expect(r.values).toEqual(values.slice(b * T, (b + 1) * T).map(Math.fround));
      expect(r.marks).toEqual([first[b], second[b]]);
    }
  });

  it('lays out [T, B, 2] with batchFirst false, same numbers', () => {
    const a = addingProblem(4, 5, { seed: 2 });
    const b = addingProblem(4, 5, { seed: 2, batchFirst: false });
    expect(b.input.shape).toEqual([5, 4, 2]);
    expect(b.input.transpose(0, 1).toArray()).toEqual(a.input.toArray());
    expect(b.target.toArray()).toEqual(a.target.toArray());
  });

  it('is reproducible by seed or manualSeed and differs across seeds', () => {
    expect(addingProblem(8, 20, { seed: 1 }).input.toArray()).toEqual(
      addingProblem(8, 20, { seed: 1 }).input.toArray(),
    );
    expect(addingProblem(8, 20, { seed: 1 }).input.toArray()).not.toEqual(
      addingProblem(8, 20, { seed: 2 }).input.toArray(),
    );
    manualSeed(3);
    const x = addingProblem(2, 4).input.toArray();
    manualSeed(3);
    expect(addingProblem(2, 4).input.toArray()).toEqual(x);
  });

  it('rejects T < 2 and bad batch sizes', () => {
    expect(() => addingProblem(4, 1)).toThrow(ConfigError);
    expect(() => addingProblem(4, 1)).toThrow(
      /addingProblem: expected T \(sequence length\) an integer ≥ 2, got 1/,
    );
    expect(() => addingProblem(0, 10)).toThrow(/batchSize an integer ≥ 1, got 0/);
    expect(() => addingProblem(2, 10, { seed: 1.5 })).toThrow(/seed a safe integer/);
  });
});

describe('copyTask', () => {
  it('lays out symbols, blanks, the delimiter and the target as Arjovsky et al.', () => {
    const T = 5;
    const S = 3;
    const { input, target, delimiter } = copyTask(4, T, { seed: 0, copyLength: S, numSymbols: 4 });
    expect(input.shape).toEqual([4, T + 2 * S]);
    expect(input.dtype).toBe('int32');
    expect(delimiter).toBe(5);
    for (const [x, y] of (input.toArray() as number[][]).map((r, b) => [
      r,
      (target.toArray() as number[][])[b],
    ])) {
      const symbols = x.slice(0, S);
      expect(symbols.every((s) => s >= 1 && s <= 4)).toBe(true);
      expect(x.slice(S)).toEqual([0, 0, 0, 0, 5, 0, 0, 0]);
      expect(y).toEqual([0, 0, 0, 0, 0, 0, 0, 0, ...symbols]);
    }
  });

  it('defaults to 10 symbols out of 8, total length T + 20, and supports [L, B]', () => {
    const { input } = copyTask(2, 100, { seed: 1 });
    expect(input.shape).toEqual([2, 120]);
    const tb = copyTask(2, 100, { seed: 1, batchFirst: false });
    expect(tb.input.shape).toEqual([120, 2]);
    expect(tb.input.transpose(0, 1).toArray()).toEqual(input.toArray());
  });

  it('rejects bad sizes', () => {
    expect(() => copyTask(2, 0)).toThrow(/copyTask: expected T \(delay\) an integer ≥ 1, got 0/);
    expect(() => copyTask(2, 5, { copyLength: 0 })).toThrow(/copyLength/);
  });
});
