// The native float32 kernels of src/ops.ts at the sizes training runs (the conformance suite in
// @seqlab/tensor covers small odd shapes, views and special values on every backend): against the
// js kernels bit for bit where NOTE(native-ops-accuracy) says so, on every instruction set this
// CPU runs, and with the same bits for 1, 2 and 3 threads. Plus the addon's argument checks.
import type { Storage } from '@seqlab/tensor';
import { type Backend, jsBackend, type StridedView } from '@seqlab/tensor/backend';
import { afterAll, describe, expect, test } from 'vitest';
import type { NativeIsa } from './addon';
import { createNativeBackend } from './backend';
import { loadNative } from './load';
import { reduceGroups } from './ops';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

/** Deterministic floats in [lo, hi) (a 32-bit LCG), with a NaN every `nanEvery` elements if set. */
function floats(n: number, seed: number, lo = -1, hi = 1, nanEvery = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = nanEvery && i % nanEvery === nanEvery - 1 ? Number.NaN : lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** Bit-for-bit equality (NaN equals NaN), naming the first difference. */
function expectBits(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${label}: expected ${want[i]} at ${i}, got ${got[i]}`);
    }
  }
}

/** |got − want| ≤ rel·|want| (+ the same absolute), per element. */
function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    if (!(Math.abs(got[i] - want[i]) <= rel * (Math.abs(want[i]) + 1))) {
      throw new Error(`${label}: expected ${want[i]} ± ${rel} relative at ${i}, got ${got[i]}`);
    }
  }
}

const view = (data: Storage, strides: number[], offset = 0): StridedView => ({ data, offset, strides });

/**
 * One training-sized case per kernel: runs `b` (native or js) and returns every output. The shapes
 * are W1's (B·T = 1600 rows, 4H = 1024, 2H = 512, E = 128, V = 10,000) and a few odd ones.
 */
const CASES: Record<string, { exact: boolean; run: (b: Backend) => ArrayLike<number>[] }> = {
  'binary add, a [1600, 1024] + bias [1024] (row broadcast)': {
    exact: true,
    run: (b) => {
      const out = new Float32Array(1600 * 1024);
      b.binary(
        'add',
        view(floats(1600 * 1024, 1), [1024, 1]),
        view(floats(1024, 2), [0, 1]),
        [1600, 1024],
        out,
      );
      return [out];
    },
  },
  'binary mul, dropout mask [1600, 512] (same shape), div and minimum with NaNs, [7, 333] columns broadcast':
    {
      exact: true,
      run: (b) => {
        const a = floats(1600 * 512, 3, -2, 2, 97);
        const m = floats(1600 * 512, 4, 0, 2, 101);
        const outs = (['mul', 'div', 'minimum', 'maximum', 'sub'] as const).map((op) => {
          const out = new Float32Array(1600 * 512);
          b.binary(op, view(a, [512, 1]), view(m, [512, 1]), [1600, 512], out);
          return out;
        });
        const col = new Float32Array(7 * 333);
        b.binary('sub', view(floats(7, 5), [1, 0]), view(floats(7 * 333, 6), [333, 1]), [7, 333], col);
        const flipped = new Float32Array(999 * 3);
        b.binary('add', view(a, [3, 1]), view(m, [-1, 0], 998), [999, 3], flipped);
        return [...outs, col, flipped];
      },
    },
  'reduce sum/max/min over rows [1600, 1024] (bias gradient), last dim [333, 1001], all, middle [5, 1600, 37]':
    {
      exact: false, // sums over a last axis add in another order (NOTE(native-ops-accuracy))
      run: (b) => {
        const x = floats(1600 * 1024, 7, -1, 1);
        const outs: Float32Array[] = [];
        for (const op of ['sum', 'max', 'min'] as const) {
          const cols = new Float32Array(1024);
          b.reduce(op, x, [1600, 1024], [true, false], cols);
          const rows = new Float32Array(333);
          b.reduce(op, x.subarray(0, 333 * 1001), [333, 1001], [false, true], rows);
          const all = new Float32Array(1);
          b.reduce(op, x, [1, 1600, 1024], [true, true, true], all);
          const middle = new Float32Array(5 * 37);
          b.reduce(op, x.subarray(0, 5 * 1600 * 37), [5, 1600, 37], [false, true, false], middle);
          outs.push(cols, rows, all, middle);
        }
        return outs;
      },
    },
  'stridedCopy: transpose [512, 1024], directions [1600, 256] of [1600, 512], permute [32, 50, 512]': {
    exact: true,
    run: (b) => {
      const w = floats(1600 * 512, 8);
      const t = new Float32Array(512 * 1024);
      b.stridedCopy(view(w, [1, 512]), [512, 1024], t);
      const half = new Float32Array(1600 * 256);
      b.stridedCopy(view(w, [512, 1], 256), [1600, 256], half);
      const perm = new Float32Array(32 * 50 * 512);
      b.stridedCopy(view(w, [512, 16384, 1]), [32, 50, 512], perm);
      const odd = new Float32Array(37 * 29 * 3);
      b.stridedCopy(view(w, [3, -111, 37 * 29 * 3 + 7], 111 * 28), [37, 29, 3], odd);
      return [t, half, perm, odd];
    },
  },
  'stridedAccumulate: into a transpose, into a half, into a permute, and repeated positions (stride 0)': {
    exact: true,
    run: (b) => {
      const src = floats(1600 * 512, 9);
      const t = floats(1024 * 512, 10);
      b.stridedAccumulate(src.subarray(0, 512 * 1024), [512, 1024], view(t, [1, 512]));
      const half = floats(1600 * 512, 11);
      b.stridedAccumulate(src.subarray(0, 1600 * 256), [1600, 256], view(half, [512, 1], 256));
      const perm = floats(32 * 50 * 512, 12);
      b.stridedAccumulate(src.subarray(0, 32 * 50 * 512), [32, 50, 512], view(perm, [512, 16384, 1]));
      const rows = floats(512, 13);
      b.stridedAccumulate(src, [1600, 512], view(rows, [0, 1])); // a bias gradient through expand
      const cols = floats(1600, 14);
      b.stridedAccumulate(src, [1600, 512], view(cols, [1, 0]));
      return [t, half, perm, rows, cols];
    },
  },
  'indexSelect and indexAdd on an embedding [10000, 128] with 1600 ids, many repeated': {
    exact: true,
    run: (b) => {
      const table = floats(10000 * 128, 15);
      const ids = Int32Array.from({ length: 1600 }, (_, i) => (i * 7919) % (i % 3 ? 10000 : 50));
      const rows = new Float32Array(1600 * 128);
      b.indexSelect(table, 1, 10000, 128, ids, rows);
      const grad = floats(10000 * 128, 16);
      b.indexAdd(grad, 1, 10000, 128, ids, floats(1600 * 128, 17));
      const odd = floats(3 * 11 * 41, 18);
      b.indexAdd(odd, 3, 11, 41, Int32Array.from([10, 0, 10, 3, 10]), floats(3 * 5 * 41, 19));
      return [rows, grad, odd];
    },
  },
  'unary and unaryBackward of every op on 100,003 elements': {
    exact: false, // exp, log and tanh are the C library's (NOTE(native-ops-accuracy))
    run: (b) => {
      const x = floats(100_003, 20, -4, 4, 1009);
      const pos = floats(100_003, 21, 0.01, 4);
      const dy = floats(100_003, 22);
      const outs: Float32Array[] = [];
      for (const op of ['neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'sign'] as const) {
        const input = op === 'log' || op === 'sqrt' ? pos : x;
        const y = new Float32Array(input.length);
        b.unary(op, input, y);
        const dx = new Float32Array(input.length);
        b.unaryBackward(op, input, y, dy, dx);
        outs.push(y, dx);
      }
      return outs;
    },
  },
  'softmax and log-softmax with their backwards, [64, 1000] (last axis) and [8, 100, 37] (middle axis)': {
    exact: false,
    run: (b) => {
      const outs: Float32Array[] = [];
      for (const [outer, size, inner] of [
        [64, 1000, 1],
        [8, 100, 37],
      ]) {
        const n = outer * size * inner;
        const x = floats(n, 23, -8, 8);
        const dy = floats(n, 24);
        for (const log of [false, true]) {
          const y = new Float32Array(n);
          b.softmax(x, outer, size, inner, log, y);
          const dx = new Float32Array(n);
          b.softmaxBackward(y, dy, outer, size, inner, log, dx);
          outs.push(y, dx);
        }
      }
      return outs;
    },
  },
  'fill 1,000,001 floats': {
    exact: true,
    run: (b) => {
      const out = new Float32Array(1_000_001);
      b.fill(out, -0.1);
      return [out];
    },
  },
  "Adam's update of 1,000,003 parameters, two steps, Adam with L2 + amsgrad and AdamW + maximize": {
    exact: true,
    run: (b) => {
      const outs: Float32Array[] = [];
      for (const variant of [0, 1]) {
        const param = floats(1_000_003, 25);
        const m = new Float32Array(param.length);
        const v = new Float32Array(param.length);
        const vMax = variant === 0 ? new Float32Array(param.length) : null;
        for (const t of [1, 2]) {
          (b.adamStep ?? jsBackend.adamStep)({
            param,
            grad: floats(param.length, 26 + t),
            expAvg: m,
            expAvgSq: v,
            maxExpAvgSq: vMax,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            stepSize: 1e-3 / (1 - 0.9 ** t),
            bias2Sqrt: Math.sqrt(1 - 0.999 ** t),
            l2: variant === 0 ? 0.01 : 0,
            decay: variant === 1 ? 1 - 1e-3 * 0.01 : 1,
            maximize: variant === 1,
          });
        }
        outs.push(param, m, v, ...(vMax ? [vMax] : []));
      }
      return outs;
    },
  },
  'sumSquares of 1,280,000 floats (the embedding gradient) from a running total': {
    exact: false, // blocked order (NOTE(native-ops-accuracy))
    run: (b) => [[(b.sumSquares ?? jsBackend.sumSquares)(floats(1_280_000, 30), 2.5)]],
  },
};

describe.skipIf(!load.ok)(`native float32 kernels at training sizes${skipped}`, () => {
  if (!load.ok) return;
  const { addon } = load;
  const native = createNativeBackend(addon);
  const initialThreads = addon.threads();
  const initialIsa = addon.gemmInfo().isa;
  afterAll(() => {
    addon.setThreads(initialThreads);
    addon.setIsa(initialIsa);
  });
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => {
    const ok = addon.setIsa(isa);
    addon.setIsa(initialIsa);
    return ok;
  });

  describe.each(Object.entries(CASES))('%s', (_, { exact, run }) => {
    const want = run(jsBackend);

    test.each(isas)('agrees with the js kernels on %s', (isa) => {
      expect(addon.setIsa(isa)).toBe(true);
      addon.setThreads(2);
      const got = run(native);
      got.forEach((g, i) => {
        if (exact) expectBits(g, want[i], `output ${i}`);
        else expectNear(g, want[i], 2 ** -21, `output ${i}`);
      });
    });

    test('gives the same bits on 1, 2 and 3 threads', () => {
      addon.setIsa(initialIsa);
      addon.setThreads(1);
      const one = run(native);
      for (const n of [2, 3]) {
        addon.setThreads(n);
        for (const [i, g] of run(native).entries()) expectBits(g, one[i], `${n} threads, output ${i}`);
      }
    });
  });

  test('the native kernels are the ones that ran (the js kernels would pass the comparisons)', () => {
    expect(addon.opsInfo().isa).toBe(initialIsa === 'scalar' ? 'portable' : initialIsa);
    // A NaN index is a RangeError from C; the js kernel would read x[NaN] and write NaN.
    const out = new Float32Array(4);
    expect(() => native.indexSelect(new Float32Array(8), 1, 2, 4, Int32Array.from([2]), out)).toThrow(
      'opsIndexSelect: expected indices in [0, 2), got 2 at position 0',
    );
  });
});

describe.skipIf(!load.ok)(`native kernels refuse bad arguments${skipped}`, () => {
  if (!load.ok) return;
  const { addon } = load;
  const f = (n: number) => new Float32Array(n);

  test('lengths that do not match', () => {
    expect(() => addon.opsUnary(1, f(4), f(3))).toThrow('opsUnary: expected out of length 4, got 3');
    expect(() => addon.opsReduce(0, f(6), 2, 3, 1, f(3))).toThrow(
      'opsReduce: expected out of length 2, got 3',
    );
    expect(() => addon.opsSoftmaxBackward(f(6), f(5), 2, 3, 1, false, f(6))).toThrow(
      'opsSoftmaxBackward: expected dy of length 6, got 5',
    );
    expect(() => addon.opsAdam(f(3), f(3), f(3), f(2), null, new Float64Array(7), false)).toThrow(
      'opsAdam: expected expAvgSq of length 3, got 2',
    );
  });

  test('views reaching outside their arrays, bad strides and ranks', () => {
    const g = (...v: number[]) => Int32Array.from(v);
    // [2, 3] view of a 5-element array: positions 0..5.
    expect(() => addon.opsStridedCopy(f(5), f(6), g(2, 2, 3, 0, 3, 1))).toThrow(
      "opsStridedCopy: expected src's view inside its 5 elements, got positions 0 to 5",
    );
    expect(() => addon.opsStridedAccumulate(f(6), f(6), g(2, 2, 3, 0, -3, 1))).toThrow(
      "opsStridedAccumulate: expected dst's view inside its 6 elements, got positions -3 to 2",
    );
    expect(() => addon.opsBinary(0, f(6), f(6), f(6), g(1, 6, 0, 1, 0, 2))).toThrow(
      "opsBinary: expected b's last stride 0 or 1, got 2",
    );
    expect(() => addon.opsBinary(0, f(6), f(6), f(6), g(7))).toThrow(
      'opsBinary: expected geometry [rank in 1..6',
    );
    expect(() => addon.opsBinary(9, f(6), f(6), f(6), g(1, 6, 0, 1, 0, 1))).toThrow(
      'opsBinary: expected an op code in [0, count), got 9',
    );
  });

  test('wrong types', () => {
    expect(() => addon.opsFill(new Float64Array(2) as unknown as Float32Array, 1)).toThrow(
      'opsFill: expected out to be a Float32Array',
    );
    expect(() => addon.opsIndexAdd(f(4), 1, 2, 2, [0] as unknown as Int32Array, f(2))).toThrow(
      'opsIndexAdd: expected index to be an Int32Array',
    );
  });
});

describe('reduceGroups', () => {
  test('merges size-1 dims and neighbours with the same flag into [outer, size, inner]', () => {
    expect(reduceGroups([1600, 1024], [true, false])).toEqual([1, 1600, 1024]);
    expect(reduceGroups([32, 50, 512], [false, false, true])).toEqual([1600, 512, 1]);
    expect(reduceGroups([4, 1, 5, 6, 7], [false, false, true, true, false])).toEqual([4, 30, 7]);
    expect(reduceGroups([3, 4], [true, true])).toEqual([1, 12, 1]);
    expect(reduceGroups([3, 1], [false, true])).toEqual([3, 1, 1]);
    expect(reduceGroups([], [])).toEqual([1, 1, 1]);
    expect(reduceGroups([2, 0, 3], [false, true, false])).toEqual([2, 0, 3]);
  });

  test('is null for two reduced groups, or for more than one kept group on a side', () => {
    expect(reduceGroups([2, 3, 4], [true, false, true])).toBeNull();
    expect(reduceGroups([2, 3, 4, 5], [false, true, false, true])).toBeNull();
  });
});
