// The addon's GEMM against a float64 reference, for every instruction set this CPU runs and for
// one and two threads: every transpose pair, accumulate, offsets, the edge sizes of the
// micro-kernels (1, 3, 17, 33: not multiples of any MR or NR), k past the 256-deep cache block,
// and shapes big enough to be split over the pool by rows and by column panels.
//
// Tolerance per element: (k + 2)·u·(|op(A)||op(B)| + |C|) with u = 2^-24, the bound of a float32
// dot product of k terms in any summation order (the kernels accumulate in float32).
import { afterAll, describe, expect, test } from 'vitest';
import type { NativeIsa } from './addon';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

/** A seeded uniform [-1, 1) generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

const floats = (next: () => number, n: number) => Float32Array.from({ length: n }, next);

/** C (+)= op(A) op(B) in float64, and the same over absolute values for the error bound. */
function reference(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  accumulate: boolean,
): { want: Float64Array; bound: Float64Array } {
  const want = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = accumulate ? c[cOff + i * n + j] : 0;
      let t = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const x = a[aOff + (transA ? p * m + i : i * k + p)];
        const y = b[bOff + (transB ? j * k + p : p * n + j)];
        s += x * y;
        t += Math.abs(x * y);
      }
      want[i * n + j] = s;
      bound[i * n + j] = ((k + 2) * 2 ** -24 + 2 ** -24) * t;
    }
  }
  return { want, bound };
}

function expectWithin(
  got: Float32Array,
  cOff: number,
  want: Float64Array,
  bound: Float64Array,
  label: string,
) {
  for (let e = 0; e < want.length; e++) {
    const err = Math.abs(got[cOff + e] - want[e]);
    if (!(err <= bound[e])) {
      expect.fail(`${label}: element ${e} is ${got[cOff + e]}, expected ${want[e]} ± ${bound[e]}`);
    }
  }
}

function expectSame(got: Float32Array, want: Float32Array, label: string) {
  expect(got.length, label).toBe(want.length);
  const e = got.findIndex((x, i) => !Object.is(x, want[i]));
  if (e >= 0) expect.fail(`${label}: element ${e} is ${got[e]}, expected ${want[e]}`);
}

const EDGE: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 33],
  [33, 3, 17],
  [17, 33, 3],
  [9, 31, 1],
  [1, 64, 257],
  [40, 100, 520],
  [0, 5, 3],
  [4, 0, 3],
  [3, 5, 0],
];
// Over the pool's split threshold: many row blocks (split by rows), and few (split by panels);
// the last with a packed B over the 4 MB that `gemm` keeps from one call to the next.
const SPLIT: [number, number, number][] = [
  [203, 77, 300],
  [32, 1030, 256],
  [2, 1000, 1100],
];

describe.skipIf(!load.ok)(`native gemm${skipped}`, () => {
  if (!load.ok) return;
  const { addon } = load;
  const initialIsa = addon.gemmInfo().isa;
  const initialThreads = addon.threads();
  afterAll(() => {
    addon.setIsa(initialIsa);
    addon.setThreads(initialThreads);
  });
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => addon.setIsa(isa));
  addon.setIsa(initialIsa);

  test('the scalar micro-kernel is always available, and the chosen one is the fastest', () => {
    expect(isas).toContain('scalar');
    expect(initialIsa).toBe(isas[0]);
  });

  // One case per shape, transpose pair and accumulate flag, with its reference computed once and
  // shared by every instruction set and thread count.
  interface Case {
    label: string;
    args: [boolean, boolean, number, number, number, Float32Array, number, Float32Array, number];
    c: Float32Array;
    cOff: number;
    accumulate: boolean;
    want: Float64Array;
    bound: Float64Array;
  }
  const next = random(7);
  const cases: Case[] = [];
  for (const [m, n, k] of [...EDGE, ...SPLIT]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const [aOff, bOff, cOff] = [1, 2, 3];
          const a = floats(next, aOff + m * k + 1);
          const b = floats(next, bOff + k * n + 1);
          const c = floats(next, cOff + m * n + 1);
          const { want, bound } = reference(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
          const label = `gemm ${m}x${n}x${k} transA=${transA} transB=${transB} acc=${accumulate}`;
          cases.push({
            label,
            args: [transA, transB, m, n, k, a, aOff, b, bOff],
            c,
            cOff,
            accumulate,
            want,
            bound,
          });
        }
      }
    }
  }

  describe.each(isas)('isa %s', (isa) => {
    test.each([1, 2])(
      'agrees with the reference on every transpose, accumulate and edge shape (%i threads)',
      (threads) => {
        addon.setIsa(isa);
        addon.setThreads(threads);
        for (const { label, args, c, cOff, accumulate, want, bound } of cases) {
          const got = c.slice();
          addon.gemm(...args, got, cOff, accumulate);
          expectWithin(got, cOff, want, bound, `${isa} ${threads} threads ${label}`);
          // Nothing outside C[m, n] is written.
          expect(got[cOff - 1], label).toBe(c[cOff - 1]);
          expect(got[cOff + want.length], label).toBe(c[cOff + want.length]);
        }
      },
    );

    // The micro-kernel runs a block of fewer rows than it holds (the last block of m, a packed
    // batch's shrinking recurrent steps) on those rows alone: each of them must be the bits it is
    // in a full block. k = 300 crosses the 256-deep block (a second, accumulating pass).
    test('a row of C is the same bits whatever rows are computed with it (m = 1 to 17 against 24)', () => {
      addon.setIsa(isa);
      addon.setThreads(1);
      const next = random(17);
      const [n, k] = [70, 300];
      for (const transA of [false, true]) {
        for (const accumulate of [false, true]) {
          const a = floats(next, 24 * k);
          const b = floats(next, k * n);
          const c0 = floats(next, 24 * n);
          const full = c0.slice();
          addon.gemm(transA, false, 24, n, k, a, 0, b, 0, full, 0, accumulate);
          for (let m = 1; m <= 17; m++) {
            // op(A)'s first m rows: A [m, k] as it lies, or the first m columns of Aᵀ [k, 24].
            const am = transA
              ? Float32Array.from({ length: k * m }, (_, i) => a[Math.floor(i / m) * 24 + (i % m)])
              : a;
            const got = c0.slice(0, m * n);
            addon.gemm(transA, false, m, n, k, am, 0, b, 0, got, 0, accumulate);
            expectSame(got, full.subarray(0, m * n), `${isa} m=${m} transA=${transA} acc=${accumulate}`);
          }
        }
      }
    });

    test('packB lays op(B) out in panels of nr columns, zero past n, the same on 1, 2 and 3 threads', () => {
      addon.setIsa(isa);
      const nr = addon.gemmInfo().nr;
      const next = random(13);
      // k not a multiple of 4 and n not a multiple of any panel width (the transposing copy's
      // tails), and [301, 260] over the size at which the panels are packed by the pool.
      for (const [k, n] of [
        [1, 1],
        [3, 17],
        [7, 33],
        [257, 70],
        [301, 260],
      ]) {
        for (const transB of [false, true]) {
          const b = floats(next, k * n + 2);
          const packs = [1, 2, 3].map((threads) => {
            addon.setThreads(threads);
            return addon.packB(transB, k, n, b, 2);
          });
          const label = `packB k=${k} n=${n} transB=${transB}`;
          const panels = Math.ceil(n / nr);
          expect(packs[0].length, label).toBe(panels * k * nr);
          for (let jb = 0; jb < panels; jb++) {
            for (let p = 0; p < k; p++) {
              for (let t = 0; t < nr; t++) {
                const j = jb * nr + t;
                const want = j < n ? b[2 + (transB ? j * k + p : p * n + j)] : 0;
                const got = packs[0][(jb * k + p) * nr + t];
                if (!Object.is(got, want))
                  expect.fail(`${label}: op(B)[${p}, ${j}] is ${got}, expected ${want}`);
              }
            }
          }
          expectSame(packs[1], packs[0], `${label}, 2 threads against 1`);
          expectSame(packs[2], packs[0], `${label}, 3 threads against 1`);
        }
      }
    });

    test('gemmPacked over packB equals gemm, and splitting over threads changes no bit', () => {
      addon.setIsa(isa);
      const next = random(11);
      for (const [m, n, k] of [...EDGE, ...SPLIT]) {
        for (const transB of [false, true]) {
          const a = floats(next, m * k + 5);
          const b = floats(next, k * n);
          const packed = addon.packB(transB, k, n, b, 0);
          expect(packed.length % addon.gemmInfo().nr).toBe(0);
          const results = [1, 2].map((threads) => {
            addon.setThreads(threads);
            const viaGemm = new Float32Array(m * n);
            const viaPacked = new Float32Array(m * n);
            addon.gemm(false, transB, m, n, k, a, 5, b, 0, viaGemm, 0, false);
            addon.gemmPacked(m, n, k, a, 5, packed, viaPacked, 0, false, addon.gemmInfo().nr);
            expectSame(viaPacked, viaGemm, `gemmPacked ${m}x${n}x${k} transB=${transB}, ${threads} threads`);
            return viaPacked;
          });
          // Rows and panels are split, never k: each element sums in the same order.
          expectSame(
            results[1],
            results[0],
            `gemmPacked ${m}x${n}x${k} transB=${transB}, 2 threads against 1`,
          );
        }
      }
    });
  });

  test('fmaPeak runs the active instruction set and reports positive GFLOP/s', () => {
    const peak = addon.fmaPeak(1000);
    expect(peak.wall).toBeGreaterThan(0);
    expect(() => addon.fmaPeak('many' as unknown as number)).toThrow(
      'fmaPeak: expected iters to be a number',
    );
  });

  test('checks every array span and type before touching memory', () => {
    const a = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => addon.gemm(false, false, 2, 2, 3, a, 1, a, 0, c, 0, false)).toThrow(
      'gemm: expected a to hold 6 elements from offset 1, got length 6',
    );
    expect(() => addon.gemm(false, false, 2, 2, 3, a, 0, a, 0, c, 1, false)).toThrow(RangeError);
    expect(() => addon.gemm(false, false, -1, 2, 3, a, 0, a, 0, c, 0, false)).toThrow(
      'gemm: expected m, n, k >= 0, got -1, 2, 3',
    );
    expect(() =>
      addon.gemm(false, false, 2, 2, 3, new Float64Array(6) as unknown as Float32Array, 0, a, 0, c, 0, false),
    ).toThrow('gemm: expected a to be a Float32Array');
    const packed = addon.packB(false, 3, 2, a, 0);
    expect(() =>
      addon.gemmPacked(2, 40, 3, a, 0, packed, new Float32Array(80), 0, false, addon.gemmInfo().nr),
    ).toThrow(/gemmPacked: expected packed to hold \d+ elements/);
    expect(() => addon.packB(false, 3, 3, a, 0)).toThrow(
      'packB: expected b to hold 9 elements from offset 0, got length 6',
    );
  });
});
