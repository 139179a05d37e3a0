// The native fused recurrence (src/c/recurrent-binding.c over the wasm backend's C cells): one
// addon call per sequence and direction, both builds of the gate math (AVX2 + FMA and portable)
// against the js kernels in float64 on shapes with full SIMD vectors and a tail; the batch's rows
// split over the pool (W2's layer and odd batches, every cell, padded, packed, reverse, projected,
// every build's micro-kernel) and, for a batch too small to split, each step split by slices of
// hidden units, both giving the same bits on 1 to 4 threads and agreeing with js; the directions
// of a bidirectional layer in one call giving the bits of one call each, NaN passing through as
// in js, and typed errors for bad buffers. The conformance suite
// (packages/tensor/src/backend/conformance.test.ts) checks every combination on small random
// shapes against the reference kernels.

import {
  jsBackend,
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentCell,
} from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import type { NativeAddon, NativeIsa } from './addon';
import { createNativeBackend } from './backend';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

interface Problem {
  cell: RecurrentCell;
  H: number;
  O: number;
  B: number;
  lengths: number[];
  reverse: boolean;
  bias: boolean;
}

/** Deterministic values in [-scale, scale]. */
function values(n: number, seed: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => scale * Math.sin(i * 12.9898 + seed * 78.233));
}

/** Every buffer of a forward + backward call, float32 or float64, from the same values. */
function recurrentArgs(p: Problem, dtype: 'float32' | 'float64'): RecurrentBackwardArgs {
  const F = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const V = (n: number, seed: number, scale = 1) => {
    const v = values(n, seed, scale);
    return dtype === 'float64' ? v : Float32Array.from(v);
  };
  const { cell, H, O, B } = p;
  const T = p.lengths[0];
  const batchSizes = Int32Array.from({ length: T }, (_, t) => p.lengths.filter((l) => l > t).length);
  const N = p.lengths.reduce((s, l) => s + l, 0);
  const GH = RECURRENT_GATES[cell] * H;
  const lstm = cell === 'lstm';
  const w = 1 / Math.sqrt(H);
  return {
    cell,
    hidden: H,
    outSize: O,
    batch: B,
    batchSizes,
    reverse: p.reverse,
    xProj: V(N * GH, 1, 1.5),
    wHh: V(GH * O, 2, w),
    bHh: cell === 'gru' && p.bias ? V(GH, 3, w) : null,
    wHr: O < H ? V(O * H, 4, w) : null,
    h0: V(B * O, 5),
    c0: lstm ? V(B * H, 6) : null,
    out: F(N * O),
    hN: F(B * O),
    cN: lstm ? F(B * H) : null,
    gates: F(N * GH),
    hPrev: F(N * O),
    cells: lstm ? F(N * H) : null,
    cPrev: lstm ? F(N * H) : null,
    hFull: O < H ? F(N * H) : null,
    hhN: cell === 'gru' ? F(N * H) : null,
    dOut: V(N * O, 7),
    dhN: V(B * O, 8),
    dcN: lstm ? V(B * H, 9) : null,
    dxProj: F(N * GH),
    dwHh: V(GH * O, 10),
    dbHh: cell === 'gru' && p.bias ? V(GH, 11) : null,
    dwHr: O < H ? V(O * H, 12) : null,
    dh0: F(B * O),
    dc0: lstm ? F(B * H) : null,
    dhTrace: F(N * O),
    dcTrace: lstm ? F(N * H) : null,
  };
}

const FORWARD = ['out', 'hN', 'cN', 'gates', 'hPrev', 'cells', 'cPrev', 'hFull', 'hhN'] as const;
const BACKWARD = ['dxProj', 'dwHh', 'dbHh', 'dwHr', 'dh0', 'dc0', 'dhTrace', 'dcTrace'] as const;

/** The first index where two arrays differ in their bits (NaN equal to itself), or -1: a fast toEqual for big arrays. */
function firstDifference(
  a: Float32Array | Float64Array | null,
  b: Float32Array | Float64Array | null,
): number {
  if (a === null || b === null) return a === b ? -1 : 0;
  if (a.length !== b.length) return 0;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (Buffer.compare(x, y) === 0) return -1;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** The largest |value|, at least 1. */
function magnitudeOf(w: ArrayLike<number>): number {
  let m = 1;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]));
  return m;
}

/** The addon with a count of its recurrent calls. */
function counting(addon: NativeAddon): { addon: NativeAddon; calls: Record<string, number> } {
  const calls: Record<string, number> = { forward: 0, backward: 0, gemm: 0, gemmPacked: 0 };
  return {
    calls,
    addon: {
      ...addon,
      recurrentForward: (a) => {
        calls.forward++;
        addon.recurrentForward(a);
      },
      recurrentBackward: (a) => {
        calls.backward++;
        addon.recurrentBackward(a);
      },
      gemm: (...args) => {
        calls.gemm++;
        addon.gemm(...args);
      },
      gemmPacked: (...args) => {
        calls.gemmPacked++;
        addon.gemmPacked(...args);
      },
    },
  };
}

describe.skipIf(!load.ok)(`the native fused recurrence${skipped}`, () => {
  if (!load.ok) return;
  const addon = load.addon;
  const native = createNativeBackend(addon);

  test('is one addon call per sequence and direction; float64 runs the js kernels', () => {
    const { addon: counted, calls } = counting(addon);
    const backend = createNativeBackend(counted);
    const p: Problem = { cell: 'lstm', H: 8, O: 8, B: 3, lengths: [5, 4, 2], reverse: false, bias: false };
    const a = recurrentArgs(p, 'float32');
    backend.recurrentForward(a);
    backend.recurrentBackward(a);
    expect(calls).toEqual({ forward: 1, backward: 1, gemm: 0, gemmPacked: 0 });
    const a64 = recurrentArgs(p, 'float64');
    const want = recurrentArgs(p, 'float64');
    backend.recurrentForward(a64);
    backend.recurrentBackward(a64);
    jsBackend.recurrentForward(want);
    jsBackend.recurrentBackward(want);
    expect(calls).toEqual({ forward: 1, backward: 1, gemm: 0, gemmPacked: 0 });
    for (const key of [...FORWARD, ...BACKWARD]) expect(a64[key], key).toEqual(want[key]);
  });

  // Every build of the gate math: AVX-512 (16 lanes) under the AVX-512 GEMM, AVX2 + FMA (8) under
  // the AVX2 one, portable C (4) under the scalar one.
  const initial = addon.gemmInfo().isa;
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => {
    const ok = addon.setIsa(isa);
    addon.setIsa(initial);
    return ok;
  });
  const problems: Problem[] = [
    // H = 37: full vectors of 4, 8 or 16 and a tail; uneven lengths (packed); both directions.
    { cell: 'lstm', H: 37, O: 37, B: 5, lengths: [6, 6, 4, 3, 1], reverse: false, bias: false },
    { cell: 'lstm', H: 37, O: 23, B: 5, lengths: [6, 5, 4, 3, 1], reverse: true, bias: false },
    { cell: 'gru', H: 37, O: 37, B: 5, lengths: [6, 5, 5, 2, 2], reverse: true, bias: true },
    { cell: 'gru', H: 21, O: 21, B: 4, lengths: [5, 5, 5, 5], reverse: false, bias: false },
    { cell: 'rnn_tanh', H: 37, O: 37, B: 5, lengths: [6, 5, 4, 3, 1], reverse: false, bias: false },
    { cell: 'rnn_relu', H: 37, O: 37, B: 5, lengths: [6, 6, 6, 6, 6], reverse: true, bias: false },
  ];
  describe.each(isas)('with the %s GEMM', (isa) => {
    test.each(problems)(
      '$cell H=$H O=$O lengths=$lengths reverse=$reverse agrees with js in float64',
      (p) => {
        addon.setIsa(isa);
        try {
          expect(addon.recurrentInfo().isa).toBe(isa === 'scalar' ? 'portable' : isa);
          const got = recurrentArgs(p, 'float32');
          const want = recurrentArgs(p, 'float64');
          native.recurrentForward(got);
          jsBackend.recurrentForward(want);
          // float32 GEMMs and gate math over T = 6 steps of H + O terms (conformance.test.ts derives the bound).
          for (const key of FORWARD) {
            const w = want[key];
            if (w) expectClose(got[key] as Float32Array, w, { rtol: 2e-4, atol: 2e-4 }, key);
            else expect(got[key], key).toBeNull();
          }
          native.recurrentBackward(got);
          jsBackend.recurrentBackward(want);
          for (const key of BACKWARD) {
            const w = want[key];
            if (!w) continue;
            const magnitude = Math.max(1, ...Array.from(w, Math.abs));
            expectClose(got[key] as Float32Array, w, { rtol: 5e-4, atol: 5e-4 * magnitude }, key);
          }
        } finally {
          addon.setIsa(initial);
        }
      },
    );
  });

  const withThreads = <T>(n: number, run: () => T): T => {
    const threads = addon.threads();
    addon.setThreads(n);
    try {
      return run();
    } finally {
      addon.setThreads(threads);
    }
  };
  const forwardBackward = (p: Problem) => {
    const a = recurrentArgs(p, 'float32');
    native.recurrentForward(a);
    native.recurrentBackward(a);
    return a;
  };
  const sameBitsOnThreads = (p: Problem, counts: number[]) => {
    const one = withThreads(1, () => forwardBackward(p));
    for (const n of counts) {
      const many = withThreads(n, () => forwardBackward(p));
      for (const key of [...FORWARD, ...BACKWARD])
        expect(firstDifference(many[key], one[key]), `${key} on ${n} threads`).toBe(-1);
    }
  };
  const agreesWithJs = (p: Problem, threads: number) => {
    const got = withThreads(threads, () => forwardBackward(p));
    const want = recurrentArgs(p, 'float64');
    jsBackend.recurrentForward(want);
    jsBackend.recurrentBackward(want);
    // A step sums H (forward) or G·H (backward) products, dW_hh N rows: the float32 bound grows with them.
    for (const key of FORWARD) {
      const w = want[key];
      if (w) expectClose(got[key] as Float32Array, w, { rtol: 1e-3, atol: 1e-3 }, key);
    }
    for (const key of BACKWARD) {
      const w = want[key];
      if (!w) continue;
      expectClose(got[key] as Float32Array, w, { rtol: 2e-3, atol: 2e-3 * magnitudeOf(w) }, key);
    }
  };

  // The batch split (recurrent-steps.c's *_rows, the ranges from recurrent-binding.c's
  // split_rows): W2's layer (B = 64, H = 128) over fewer steps, padded and packed (lengths
  // falling from T to 1, so the ranges of the long rows get fewer rows), forward and reverse, every
  // cell; a batch that no thread count divides (61), one of 13 rows (ranges of 8 + 5 rows with
  // AVX-512's micro-kernel, 6 + 6 + 1 with AVX2's), and a projected LSTM; with every build's
  // micro-kernel, whose row block sets the ranges. Each range
  // runs its rows' whole sequence: an offset of a range's state, scratch or rows gone wrong
  // changes the bits against one thread (one range from row 0).
  const packedLengths = (B: number, T: number) =>
    Array.from({ length: B }, (_, i) => T - Math.floor((i * T) / B));
  const byRows: Problem[] = [
    { cell: 'lstm', H: 128, O: 128, B: 64, lengths: Array(64).fill(6), reverse: false, bias: false },
    { cell: 'lstm', H: 128, O: 128, B: 64, lengths: packedLengths(64, 9), reverse: true, bias: false },
    { cell: 'gru', H: 128, O: 128, B: 64, lengths: packedLengths(64, 7), reverse: false, bias: true },
    { cell: 'gru', H: 40, O: 40, B: 61, lengths: packedLengths(61, 6), reverse: true, bias: false },
    { cell: 'rnn_tanh', H: 128, O: 128, B: 61, lengths: Array(61).fill(5), reverse: true, bias: false },
    { cell: 'rnn_relu', H: 37, O: 37, B: 40, lengths: packedLengths(40, 7), reverse: false, bias: false },
    { cell: 'lstm', H: 37, O: 37, B: 13, lengths: packedLengths(13, 5), reverse: false, bias: false },
    { cell: 'lstm', H: 48, O: 24, B: 40, lengths: packedLengths(40, 6), reverse: true, bias: false },
  ];
  describe.each(isas)('with the %s GEMM', (isa) => {
    test.each(byRows)(
      'the batch split over the pool: $cell H=$H O=$O B=$B reverse=$reverse gives the same bits on 1, 2, 3 and 4 threads',
      (p) => {
        addon.setIsa(isa);
        try {
          sameBitsOnThreads(p, [2, 3, 4]);
        } finally {
          addon.setIsa(initial);
        }
      },
    );
  });
  test.each(byRows.filter((p) => p.H === 128))(
    'the batch split over the pool: W2-sized $cell (B=$B) agrees with js in float64 on 2 threads',
    (p) => agreesWithJs(p, 2),
  );

  // A batch of one micro-kernel block or less (B ≤ 4 rows: every build's block)
  // splits each step by slices of hidden units when the step is big enough (recurrent-steps.c:
  // 1 MFLOP or more per step), with H a multiple of the panel width or not (a partial last panel),
  // uneven lengths whose last steps are too small to split, both directions; a projected LSTM
  // (which cannot) runs its rows on one thread, and a batch of one row (its steps too small to
  // split) the steps' loop on one thread.
  const byUnits: Problem[] = [
    { cell: 'lstm', H: 256, O: 256, B: 4, lengths: [3, 3, 2, 2], reverse: false, bias: false },
    { cell: 'gru', H: 300, O: 300, B: 4, lengths: [3, 3, 2, 1], reverse: true, bias: true },
    { cell: 'gru', H: 256, O: 256, B: 4, lengths: Array(4).fill(2), reverse: false, bias: false },
    { cell: 'rnn_tanh', H: 400, O: 400, B: 4, lengths: [3, 2, 1, 1], reverse: false, bias: false },
    { cell: 'rnn_relu', H: 400, O: 400, B: 4, lengths: Array(4).fill(2), reverse: true, bias: false },
    { cell: 'lstm', H: 200, O: 120, B: 4, lengths: Array(4).fill(2), reverse: true, bias: false },
    { cell: 'lstm', H: 256, O: 256, B: 1, lengths: [4], reverse: false, bias: false },
  ];
  test.each(byUnits)(
    'steps split by hidden units: $cell H=$H O=$O B=$B reverse=$reverse gives the same bits on 1, 2 and 3 threads',
    (p) => sameBitsOnThreads(p, [2, 3]),
  );
  test.each(byUnits.slice(0, 2))('steps split by hidden units: $cell H=$H agrees with js in float64', (p) =>
    agreesWithJs(p, 2),
  );

  test.each([byRows[1], byUnits[0]])(
    'the gates may be xProj itself (the products added in place): $cell B=$B, 2 threads',
    (p) => {
      const want = withThreads(2, () => forwardBackward(p));
      const a = recurrentArgs(p, 'float32');
      a.gates = a.xProj;
      withThreads(2, () => native.recurrentForward(a));
      for (const key of FORWARD) expect(firstDifference(a[key], want[key]), key).toBe(-1);
    },
  );

  // W1's layer (B = 32, H = 256) on packed lengths 12 down to 5: the weight gradients' one GEMM
  // over all N rows reads dgates [N, G·H] as its transposed operand.
  const w1Lengths = Array.from({ length: 32 }, (_, i) => 12 - Math.floor(i / 4));
  test.each([
    { cell: 'lstm', H: 256, O: 256, B: 32, lengths: w1Lengths, reverse: true, bias: false },
    { cell: 'gru', H: 256, O: 256, B: 32, lengths: w1Lengths, reverse: false, bias: true },
  ] satisfies Problem[])(
    'W1-sized $cell (B=32, H=256, packed, reverse=$reverse) agrees with js in float64 on 1 and 2 threads',
    (p) => {
      const want = recurrentArgs(p, 'float64');
      jsBackend.recurrentForward(want);
      jsBackend.recurrentBackward(want);
      for (const threads of [1, 2]) {
        const got = withThreads(threads, () => forwardBackward(p));
        for (const key of BACKWARD) {
          const w = want[key];
          if (!w) continue;
          // dW_hh sums N = 272 rows of products: the float32 bound grows with them.
          expectClose(
            got[key] as Float32Array,
            w,
            { rtol: 2e-3, atol: 2e-3 * magnitudeOf(w) },
            `${key} on ${threads}`,
          );
        }
      }
    },
  );

  // On 4 threads each of the three calls gets ranges of rows of its own.
  test.each([1, 2, 4])(
    'recurrentForwardMany / recurrentBackwardMany on %i thread(s) give the bits of one call each',
    (threads) => {
      // The two directions of a bidirectional layer, a GRU beside them, one of them packed.
      const ps: Problem[] = [
        { ...byRows[0], reverse: false },
        { ...byRows[0], reverse: true },
        { cell: 'gru', H: 37, O: 37, B: 5, lengths: [6, 5, 5, 2, 2], reverse: true, bias: true },
      ];
      withThreads(threads, () => {
        const alone = ps.map(forwardBackward);
        const together = ps.map((p) => recurrentArgs(p, 'float32'));
        native.recurrentForwardMany?.(together);
        native.recurrentBackwardMany?.(together);
        ps.forEach((_, i) => {
          for (const key of [...FORWARD, ...BACKWARD])
            expect(firstDifference(together[i][key], alone[i][key]), `${key} of call ${i}`).toBe(-1);
        });
      });
    },
  );

  // W1 and W3's last layer: the reverse direction's backward keeps one step (the zero-gradient
  // skip), so one call holds nearly all the work. The weight gradients split every call's dW_hh
  // rows over the threads (recurrent-binding.c's plan_weights) by its share of the flops, where one
  // thread ran each call's: the big call's GEMM in parts, the small one whole. Every part computes
  // its rows as the one GEMM did, so the bits are those of one thread; a part's rows or db_hh
  // columns gone wrong changes them.
  test.each(['gru', 'lstm'] as const)(
    'a bidirectional %s layer with one direction skipped to one step: the weight gradients split over 2 and 3 threads give the bits of one',
    (cell) => {
      const big: Problem = {
        cell,
        H: 256,
        O: 256,
        B: 32,
        lengths: Array(32).fill(7),
        reverse: false,
        bias: true,
      };
      const small: Problem = { ...big, lengths: Array(32).fill(1), reverse: true };
      const run = (threads: number) =>
        withThreads(threads, () => {
          const calls = [recurrentArgs(big, 'float32'), recurrentArgs(small, 'float32')];
          native.recurrentForwardMany?.(calls);
          native.recurrentBackwardMany?.(calls);
          return calls;
        });
      const one = run(1);
      for (const threads of [2, 3]) {
        const many = run(threads);
        one.forEach((want, i) => {
          for (const key of BACKWARD)
            expect(firstDifference(many[i][key], want[key]), `${key} of call ${i} on ${threads}`).toBe(-1);
        });
      }
    },
  );

  // The calls' scratch (packed weights, a GRU's dhh, the packed hPrev) is a buffer the calling
  // thread keeps and grows: a call after a bigger one, and after a smaller one, reads nothing a
  // previous call left in it.
  test('a call gives the same bits after a bigger and after a smaller call (the kept scratch)', () => {
    const p: Problem = {
      cell: 'gru',
      H: 40,
      O: 40,
      B: 13,
      lengths: packedLengths(13, 5),
      reverse: false,
      bias: true,
    };
    const bigger: Problem = {
      cell: 'gru',
      H: 96,
      O: 96,
      B: 24,
      lengths: Array(24).fill(9),
      reverse: true,
      bias: true,
    };
    const smaller: Problem = { ...p, H: 8, O: 8, B: 3, lengths: [2, 2, 1] };
    const first = withThreads(2, () => forwardBackward(p));
    for (const before of [bigger, smaller]) {
      withThreads(2, () => forwardBackward(before));
      const again = withThreads(2, () => forwardBackward(p));
      for (const key of [...FORWARD, ...BACKWARD])
        expect(firstDifference(again[key], first[key]), `${key} after H=${before.H}`).toBe(-1);
    }
  });

  test('recurrentForwardMany checks every argument object before running any', () => {
    const p: Problem = { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 2], reverse: false, bias: false };
    const good = recurrentArgs(p, 'float32');
    good.out.fill(7);
    expect(() =>
      addon.recurrentForwardMany([good, { ...recurrentArgs(p, 'float32'), gates: new Float32Array(3) }]),
    ).toThrow(new RangeError('recurrentForwardMany: expected gates of 80 elements, got 3'));
    // The first call did not run: its output is untouched.
    expect(good.out.every((v) => v === 7)).toBe(true);
    expect(() => addon.recurrentBackwardMany({} as never)).toThrow(
      new TypeError('recurrentBackwardMany: expected an array of argument objects'),
    );
  });

  test.each(['recurrentForwardMany', 'recurrentBackwardMany', 'recurrentInferMany'] as const)(
    '%s takes an array of at most 64 argument objects',
    (fn) => {
      const call = addon[fn] as (list: unknown) => void;
      expect(() => call({})).toThrow(new TypeError(`${fn}: expected an array of argument objects`));
      expect(() => call(Array.from({ length: 65 }, () => ({})))).toThrow(
        new RangeError(`${fn}: expected at most 64 calls, got 65`),
      );
    },
  );

  test('NaN in a gate reaches the output as in the js kernels', () => {
    for (const cell of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const) {
      const p: Problem = { cell, H: 5, O: 5, B: 2, lengths: [3, 2], reverse: false, bias: false };
      const got = recurrentArgs(p, 'float32');
      const want = recurrentArgs(p, 'float64');
      got.xProj[0] = Number.NaN;
      want.xProj[0] = Number.NaN;
      native.recurrentForward(got);
      jsBackend.recurrentForward(want);
      expect(Array.from(got.out, Number.isNaN), cell).toEqual(Array.from(want.out, Number.isNaN));
      expect(Number.isNaN(got.out[0]), cell).toBe(true);
    }
  });

  test('refuses buffers of the wrong length or type, and inconsistent sizes, before touching memory', () => {
    const p: Problem = { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 2], reverse: false, bias: false };
    const a = recurrentArgs(p, 'float32');
    expect(() => addon.recurrentForward({ ...a, gates: new Float32Array(3) })).toThrow(
      new RangeError('recurrentForward: expected gates of 80 elements, got 3'),
    );
    expect(() => addon.recurrentForward({ ...a, hN: new Float64Array(8) })).toThrow(
      new TypeError('recurrentForward: expected hN to be a Float32Array'),
    );
    expect(() => addon.recurrentForward({ ...a, cells: null })).toThrow(
      new TypeError('recurrentForward: expected cells to be a Float32Array of 20 elements, got null'),
    );
    expect(() => addon.recurrentForward({ ...a, batchSizes: Int32Array.of(3, 2) })).toThrow(
      new RangeError('recurrentForward: expected batch sizes from 0 to batch'),
    );
    expect(() => addon.recurrentBackward({ ...a, dxProj: new Float32Array(79) })).toThrow(
      new RangeError('recurrentBackward: expected dxProj of 80 elements, got 79'),
    );
    const gru = recurrentArgs({ ...p, cell: 'gru' }, 'float32');
    expect(() => addon.recurrentForward({ ...gru, wHr: new Float32Array(16) })).toThrow(
      new RangeError('recurrentForward: expected wHr only for an LSTM (a projection)'),
    );
    expect(() => addon.recurrentForward({ ...a, outSize: 3 })).toThrow(RangeError);
  });

  test('refuses batch-first rows (outBatchStride) off a padded batch, under the steps, or over too short an out', () => {
    // lengths [3, 2]: not padded.
    const packed = recurrentArgs(
      { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 2], reverse: false, bias: false },
      'float32',
    );
    const padded = recurrentArgs(
      { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 3], reverse: false, bias: false },
      'float32',
    );
    const what = 'expected outBatchStride >= the steps, on a padded batch (every batch size = batch)';
    expect(() => addon.recurrentForward({ ...packed, outBatchStride: 3 })).toThrow(
      new RangeError(`recurrentForward: ${what}`),
    );
    expect(() => addon.recurrentBackward({ ...padded, outBatchStride: 2 })).toThrow(
      new RangeError(`recurrentBackward: ${what}`),
    );
    // (B − 1)·S + T rows of 4: 24 floats at S = 3, 32 at S = 5.
    expect(() => addon.recurrentForward({ ...padded, outBatchStride: 5 })).toThrow(
      new RangeError('recurrentForward: expected out of at least 32 elements (batch-first rows)'),
    );
    expect(() =>
      addon.recurrentBackward({ ...padded, outBatchStride: 3, dOut: new Float32Array(19) }),
    ).toThrow(new RangeError('recurrentBackward: expected dOut of at least 24 elements (batch-first rows)'));
    expect(addon.recurrentInfo().batchFirstOut).toBe(true);
  });

  test('refuses rows outStride apart (NOTE(layer-columns)) under outSize, or over too short an out or dOut', () => {
    // lengths [3, 2]: 5 time-major rows of 4.
    const a = recurrentArgs(
      { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 2], reverse: false, bias: false },
      'float32',
    );
    expect(() => addon.recurrentForward({ ...a, outStride: 3 })).toThrow(
      new RangeError('recurrentForward: expected outStride >= outSize'),
    );
    // Row r at r · 8: the last (row 4) ends at 4 · 8 + 4 = 36.
    expect(() => addon.recurrentForward({ ...a, outStride: 8, out: new Float32Array(35) })).toThrow(
      new RangeError('recurrentForward: expected out of at least 36 elements (rows outStride apart)'),
    );
    expect(() => addon.recurrentBackward({ ...a, outStride: 8, dOut: new Float32Array(20) })).toThrow(
      new RangeError('recurrentBackward: expected dOut of at least 36 elements (rows outStride apart)'),
    );
    // Batch-first rows of a padded batch at S = 3: rows up to (B − 1)·S + T − 1 = 5, which ends at 5 · 8 + 4.
    const padded = recurrentArgs(
      { cell: 'lstm', H: 4, O: 4, B: 2, lengths: [3, 3], reverse: false, bias: false },
      'float32',
    );
    expect(() =>
      addon.recurrentForward({ ...padded, outBatchStride: 3, outStride: 8, out: new Float32Array(43) }),
    ).toThrow(new RangeError('recurrentForward: expected out of at least 44 elements (batch-first rows)'));
    const ok = { ...padded, outBatchStride: 3, outStride: 8, out: new Float32Array(44) };
    addon.recurrentForward(ok);
    expect(addon.recurrentInfo().outStride).toBe(true);
  });
});
