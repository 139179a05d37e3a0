// The WebAssembly SIMD GEMM: every edge of its register blocking, the resident packed B of
// NOTE(wasm-copies), memory growth, the float64 fallback, and that Node 20 runs it by default.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, getBackend, listBackends } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import type { FloatStorage } from '../../dtype';
import { RECURRENT_GATES, type RecurrentBackwardArgs, type RecurrentCell } from '../backend';
import { gemmNaive, gemmPacked as jsGemmPacked, packB } from '../js/gemm';
import {
  recurrentBackward as jsRecurrentBackward,
  recurrentForward as jsRecurrentForward,
} from '../js/recurrent/loop';
import { loadWasmKernels, stepwiseRecurrent } from './index';

const g = new Generator(7);
const fill = (n: number) => Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);
const load = loadWasmKernels();
if (!load.ok) throw new Error(`the wasm kernels must load in Node 20: ${load.reason}`);
const { gemmPacked, gemm, gemmBias, addBias } = load;
const stepwise = stepwiseRecurrent(load);

/**
 * Why the staleness test of kernels.ts cannot run here (null when it can): it needs the clang that
 * built the committed module, named on kernels.ts's second line (other versions emit other bytes),
 * and lld. `.ci/run` installs both (Debian: apt-get install clang lld).
 */
const rebuildSkipped = ((): string | null => {
  const builtWith = readFileSync(new URL('./kernels.ts', import.meta.url), 'utf8')
    .split('\n')[1]
    .replace(/^\/\/ /, '');
  let clang: string;
  try {
    clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    execFileSync('wasm-ld', ['--version'], { encoding: 'utf8' });
  } catch {
    return ' [skipped: clang or wasm-ld is missing here; apt-get install clang lld]';
  }
  return clang === builtWith ? null : ` [skipped: kernels.ts was built with ${builtWith}, this is ${clang}]`;
})();
if (rebuildSkipped !== null) console.warn(`wasm.test.ts: the staleness test of kernels.ts${rebuildSkipped}`);

/** gemmPacked on fresh random data at offsets, against the naive float64-accumulating reference. */
function check(
  m: number,
  n: number,
  k: number,
  accumulate: boolean,
  packed?: Float32Array,
  bSrc?: Float32Array,
) {
  const b = bSrc ?? fill(k * n);
  const p = packed ?? (packB(false, k, n, b, 0) as Float32Array);
  const a = fill(m * k + 5);
  const c0 = fill(m * n + 3);
  const want = c0.slice();
  const got = c0.slice();
  gemmNaive(false, false, m, n, k, a, 5, b, 0, want, 3, accumulate);
  gemmPacked(m, n, k, a, 5, p, got, 3, accumulate);
  expectClose(got, want, { rtol: 1e-5, atol: 1e-5 }, `wasm gemm ${m}x${n}x${k} acc=${accumulate}`);
  // The 3 values before the offset and none after the block are touched.
  expect(Array.from(got.subarray(0, 3))).toEqual(Array.from(c0.subarray(0, 3)));
}

describe('wasm gemmPacked', () => {
  test('every row and panel edge of the 4 x 8 blocking, with and without accumulation', () => {
    for (const m of [1, 3, 4, 5, 8, 13])
      for (const n of [1, 3, 4, 5, 7, 8, 9, 12, 33])
        for (const k of [1, 7, 64]) for (const acc of [false, true]) check(m, n, k, acc);
  });

  test('k = 0 and empty outputs behave like the js kernel', () => {
    const c = fill(6);
    const before = c.slice();
    gemmPacked(2, 3, 0, new Float32Array(0), 0, new Float32Array(0), c, 0, true);
    expect(Array.from(c)).toEqual(Array.from(before));
    gemmPacked(2, 3, 0, new Float32Array(0), 0, new Float32Array(0), c, 0, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    gemmPacked(0, 3, 4, new Float32Array(0), 0, fill(16), c, 0, false);
  });

  test('keeps no packed B alive but the last: a synchronous training loop does not leak', () => {
    // A WeakRef keeps its target alive until the current job ends, and a bench or diagnose loop
    // is one long job: each step's new packed weights would pile up (~3 MB a step at hidden 64).
    // 200 distinct 4 MB packed arrays in one synchronous loop: without the leak, garbage
    // collection (forced by the allocation pressure) keeps external memory near one array's size.
    const [k, n] = [1024, 1024];
    const a = fill(k);
    const c = new Float32Array(n);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      const packed = new Float32Array(k * n); // packB's layout size; zeros are fine here
      packed[i] = 1;
      gemmPacked(1, n, k, a, 0, packed, c, 0, false);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(peak / 2 ** 20, 'MB of array buffers held').toBeLessThan(300);
  });

  test('a packed B stays resident only while the same array comes back', () => {
    const [k, n] = [16, 20];
    const b1 = fill(k * n);
    const b2 = fill(k * n);
    const p1 = packB(false, k, n, b1, 0) as Float32Array;
    const p2 = packB(false, k, n, b2, 0) as Float32Array;
    for (let round = 0; round < 3; round++) {
      check(6, n, k, false, p1, b1); // copied in
      check(6, n, k, true, p1, b1); // resident, new A
      check(9, n, k, false, p2, b2); // another B of the same size replaces it
      check(2, n, k, false, p1, b1);
    }
  });

  test('grows its memory for a large product and keeps working for small ones after', () => {
    check(600, 700, 300, false); // 4 x (0.21 M + 0.18 M + 0.42 M) floats: past the initial 2 MiB
    check(3, 5, 7, true);
  });

  test('gemm with a transposed A (transposed in wasm, 4 x 4 blocks) for every block edge', () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [3, 2, 6],
      [6, 3, 3],
      [7, 5, 9],
      [8, 8, 8],
      [12, 4, 13],
      [9, 12, 17],
      [130, 33, 70],
    ]) {
      for (const transB of [false, true]) {
        for (const acc of [false, true]) {
          const a = fill(k * m + 2);
          const b = fill(k * n + 1);
          const c0 = fill(m * n + 4);
          const want = c0.slice();
          const got = c0.slice();
          gemmNaive(true, transB, m, n, k, a, 2, b, 1, want, 4, acc);
          gemm(true, transB, m, n, k, a, 2, b, 1, got, 4, acc);
          expectClose(
            got,
            want,
            { rtol: 1e-5, atol: 1e-5 },
            `gemm tA ${m}x${n}x${k} tB=${transB} acc=${acc}`,
          );
        }
      }
    }
  });

  test('gemm packs op(B) in wasm from B as stored: every transpose pair, every edge of the blocking', () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [5, 7, 3],
      [4, 8, 16],
      [13, 33, 9],
      [9, 12, 64],
    ]) {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const acc of [false, true]) {
            const a = fill(k * m + 3);
            const b = fill(k * n + 2);
            const c0 = fill(m * n + 1);
            const want = c0.slice();
            const got = c0.slice();
            gemmNaive(transA, transB, m, n, k, a, 3, b, 2, want, 1, acc);
            gemm(transA, transB, m, n, k, a, 3, b, 2, got, 1, acc);
            const what = `gemm ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${acc}`;
            expectClose(got, want, { rtol: 1e-5, atol: 1e-5 }, what);
            expect(got[0], `${what}: the float before the offset`).toBe(c0[0]);
          }
    }
  });

  test('gemm on W1 widths (input projection, recurrent step, weight gradient) agrees with the naive GEMM', () => {
    // W1's widths (I = 128, H = 256, 4H = 1024) on fewer rows than its B·T = 1600, to keep the
    // float64 reference quick: [rows, I] x [4H, I]ᵀ (the input projection reads W_ih as stored),
    // [B, H] x [H, 4H], and dW_ih = dGatesᵀ x over the rows.
    for (const [transA, transB, m, n, k] of [
      [false, true, 100, 1024, 128],
      [false, false, 32, 1024, 256],
      [true, false, 1024, 128, 101],
    ] as const) {
      const a = fill(m * k);
      const b = fill(k * n);
      const want = new Float32Array(m * n);
      const got = new Float32Array(m * n);
      gemmNaive(transA, transB, m, n, k, a, 0, b, 0, want, 0, false);
      gemm(transA, transB, m, n, k, a, 0, b, 0, got, 0, false);
      expectClose(got, want, { rtol: 1e-4, atol: 1e-4 }, `gemm ${m}x${n}x${k} tA=${transA} tB=${transB}`);
    }
  });

  test('gemm overwrites the resident packed B: the next gemmPacked with it copies it in again', () => {
    const [k, n] = [16, 20];
    const b = fill(k * n);
    const p1 = packB(false, k, n, b, 0) as Float32Array;
    check(6, n, k, false, p1, b); // p1 resident
    const other = fill(k * n);
    gemm(false, false, 6, n, k, fill(6 * k), 0, other, 0, new Float32Array(6 * n), 0, false);
    check(6, n, k, false, p1, b); // must not read the other B's panels
  });

  test('gemmBias on W1 shapes: the bits of gemm then one addBias per bias (Object.is), C copied out by blocks', () => {
    // W1's input projections (1600 rows, 4H = 1024, I = 128 and 2H = 512; b_ih then b_hh), its
    // classifier (one bias), rows wider than a block of BLOCK floats (one row a block), a width
    // that is not a multiple of 4 with three biases; biases with −0, ±∞ and NaN.
    const specials = [-0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
    for (const [m, n, k, count] of [
      [1600, 1024, 128, 2],
      [1600, 1024, 512, 2],
      [32, 2, 512, 1],
      [7, 9000, 5, 2],
      [33, 1023, 17, 3],
    ] as const) {
      const a = fill(m * k);
      const b = fill(n * k);
      const biases = Array.from({ length: count }, (_, i) => {
        const v = fill(n);
        if (i === count - 1) for (let j = 0; j < specials.length; j++) v[(j * 7) % n] = specials[j];
        return v;
      });
      const want = fill(m * n);
      const got = fill(m * n);
      gemm(false, true, m, n, k, a, 0, b, 0, want, 0, false);
      for (const v of biases) addBias(want, m, n, v);
      gemmBias(m, n, k, a, b, got, biases);
      let bad = -1;
      for (let i = 0; i < want.length && bad < 0; i++) if (!Object.is(got[i], want[i])) bad = i;
      expect(bad, `gemmBias ${m}x${n}x${k} biases=${count}: first element that differs`).toBe(-1);
    }
  });

  test('gemmBias with k = 0 or float64 storage: the GEMM, then each bias in turn', () => {
    const biases = [fill(6), fill(6)];
    const got = fill(30);
    gemmBias(5, 6, 0, new Float32Array(0), new Float32Array(0), got, biases);
    const want = new Float32Array(30);
    for (const v of biases) addBias(want, 5, 6, v);
    expect(Array.from(got)).toEqual(Array.from(want));
    const [a, b] = [Float64Array.from(fill(5 * 9)), Float64Array.from(fill(6 * 9))];
    const b64 = biases.map((v) => Float64Array.from(v));
    const got64 = new Float64Array(30);
    const want64 = new Float64Array(30);
    gemmBias(5, 6, 9, a, b, got64, b64);
    gemm(false, true, 5, 6, 9, a, 0, b, 0, want64, 0, false);
    for (const v of b64) addBias(want64, 5, 6, v);
    expect(Array.from(got64)).toEqual(Array.from(want64));
  });

  test('float64 storage runs the js kernel, bit for bit', () => {
    const a = Float64Array.from(fill(5 * 9));
    const b = Float64Array.from(fill(9 * 6));
    const p = packB(false, 9, 6, b, 0);
    const want = new Float64Array(30);
    const got = new Float64Array(30);
    jsGemmPacked(5, 6, 9, a, 0, p, want, 0, false);
    gemmPacked(5, 6, 9, a, 0, p, got, 0, false);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

/** Sizes of a recurrent problem for `recurrentArgs`. */
interface Problem {
  cell: RecurrentCell;
  H: number;
  O: number;
  B: number;
  T: number;
  packed: boolean;
  reverse: boolean;
}

/**
 * A fresh argument set of `p` (float32, or float64 when `f64`), every input drawn from `seed`, so
 * two calls with one seed give two identical problems to run on two kernels.
 */
function recurrentArgs(p: Problem, seed: number, f64 = false): RecurrentBackwardArgs {
  const r = new Generator(seed);
  const F = (n: number, scale = 1) => {
    const x = f64 ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = scale * (r.uniform() * 2 - 1);
    return x;
  };
  const { cell, H, O, B, T } = p;
  const lengths = Array.from({ length: B }, (_, j) =>
    p.packed && j > 0 ? 1 + Math.floor(r.uniform() * T) : T,
  );
  lengths.sort((x, y) => y - x);
  const batchSizes = Int32Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
  const N = lengths.reduce((s, l) => s + l, 0);
  const GH = RECURRENT_GATES[cell] * H;
  const lstm = cell === 'lstm';
  const gru = cell === 'gru';
  const proj = O < H;
  const w = 1 / Math.sqrt(H);
  return {
    cell,
    hidden: H,
    outSize: O,
    batch: B,
    batchSizes,
    reverse: p.reverse,
    xProj: F(N * GH, 1.5),
    wHh: F(GH * O, w),
    bHh: gru ? F(GH, w) : null,
    wHr: proj ? F(O * H, w) : null,
    h0: F(B * O),
    c0: lstm ? F(B * H) : null,
    out: F(N * O, 0),
    hN: F(B * O, 0),
    cN: lstm ? F(B * H, 0) : null,
    gates: F(N * GH, 0),
    hPrev: F(N * O, 0),
    cells: lstm ? F(N * H, 0) : null,
    cPrev: lstm ? F(N * H, 0) : null,
    hFull: proj ? F(N * H, 0) : null,
    hhN: gru ? F(N * H, 0) : null,
    dOut: F(N * O),
    dhN: F(B * O),
    dcN: lstm ? F(B * H) : null,
    dxProj: F(N * GH, 0),
    dwHh: F(GH * O),
    dbHh: gru ? F(GH) : null,
    dwHr: proj ? F(O * H) : null,
    dh0: F(B * O, 0),
    dc0: lstm ? F(B * H, 0) : null,
    dhTrace: F(N * O, 0),
    dcTrace: lstm ? F(N * H, 0) : null,
  };
}

const RESULTS = [
  'out',
  'hN',
  'cN',
  'gates',
  'hPrev',
  'cells',
  'cPrev',
  'hFull',
  'hhN',
  'dxProj',
  'dwHh',
  'dbHh',
  'dwHr',
  'dh0',
  'dc0',
  'dhTrace',
  'dcTrace',
] as const;

/** max |got − want| over max |want|, per result buffer. */
function normwiseErrors(got: RecurrentBackwardArgs, want: RecurrentBackwardArgs): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const key of RESULTS) {
    const [x, y] = [got[key], want[key]] as (FloatStorage | null)[];
    if (!x || !y) continue;
    let diff = 0;
    let size = 0;
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      size = Math.max(size, Math.abs(y[i]));
    }
    errors[key] = diff / size;
  }
  return errors;
}

describe('wasm fused recurrence (recurrent.c)', () => {
  const problems: Problem[] = [
    // ~9 MB of buffers: grows the module's memory past what the GEMM tests above left.
    { cell: 'lstm', H: 64, O: 64, B: 32, T: 60, packed: true, reverse: false },
    { cell: 'lstm', H: 37, O: 21, B: 5, T: 9, packed: true, reverse: true },
    { cell: 'gru', H: 64, O: 64, B: 16, T: 40, packed: false, reverse: true },
    { cell: 'gru', H: 13, O: 13, B: 7, T: 11, packed: true, reverse: false },
    { cell: 'rnn_tanh', H: 30, O: 30, B: 6, T: 8, packed: true, reverse: true },
    { cell: 'rnn_relu', H: 30, O: 30, B: 6, T: 8, packed: true, reverse: false },
  ];

  test.each(problems)(
    'agrees with the js gate math over the same GEMMs: $cell H=$H O=$O B=$B T=$T packed=$packed reverse=$reverse',
    (p) => {
      // The stepwise kernels run js/recurrent/loop.ts (float64 gate math, rounded once) over the
      // wasm GEMM, whose sums have the same order as recurrent.c's: what differs is only the
      // float32 gate math of lstm.c, gru.c, rnn.c (activations.h), carried through T steps.
      const want = recurrentArgs(p, 11);
      const got = recurrentArgs(p, 11);
      stepwise.recurrentForward(want);
      stepwise.recurrentBackward(want);
      load.recurrentForward(got);
      load.recurrentBackward(got);
      // Measured: at most 5e-7 of each buffer's largest magnitude (about 8 float32 ulps); relu,
      // with no transcendental, is bit for bit. The backends promise each other 1e-5.
      const bound = p.cell === 'rnn_relu' ? 0 : 2e-6;
      for (const [key, e] of Object.entries(normwiseErrors(got, want)))
        expect(e, key).toBeLessThanOrEqual(bound);
    },
  );

  test('float64 storage (gradcheck) runs the js kernels, bit for bit', () => {
    const p: Problem = { cell: 'lstm', H: 9, O: 5, B: 3, T: 4, packed: true, reverse: true };
    const want = recurrentArgs(p, 5, true);
    const got = recurrentArgs(p, 5, true);
    jsRecurrentForward(want);
    jsRecurrentBackward(want);
    load.recurrentForward(got);
    load.recurrentBackward(got);
    for (const key of RESULTS) expect(got[key], key).toEqual(want[key]);
  });

  test('a recurrent call overwrites the resident packed B: the next GEMM with it copies it in again', () => {
    const [k, n] = [16, 20];
    const b = fill(k * n);
    const p1 = packB(false, k, n, b, 0) as Float32Array;
    check(6, n, k, false, p1, b); // p1 resident
    const a = recurrentArgs({ cell: 'gru', H: 24, O: 24, B: 4, T: 5, packed: false, reverse: false }, 3);
    load.recurrentForward(a);
    load.recurrentBackward(a);
    check(6, n, k, false, p1, b); // must not read the recurrence's buffers as B
  });

  test('an empty sequence (T = 0) passes the initial states through and zero gradients back', () => {
    const a = recurrentArgs({ cell: 'lstm', H: 6, O: 6, B: 2, T: 0, packed: false, reverse: false }, 4);
    load.recurrentForward(a);
    expect(Array.from(a.hN)).toEqual(Array.from(a.h0));
    expect(Array.from(a.cN as FloatStorage)).toEqual(Array.from(a.c0 as FloatStorage));
    const dwHh = a.dwHh.slice();
    load.recurrentBackward(a);
    expect(Array.from(a.dh0)).toEqual(Array.from(a.dhN as FloatStorage));
    expect(Array.from(a.dc0 as FloatStorage)).toEqual(Array.from(a.dcN as FloatStorage));
    expect(Array.from(a.dwHh)).toEqual(Array.from(dwHh));
  });
});

describe('the wasm backend', () => {
  test('is registered and, unless SEQLAB_BACKEND says otherwise, the default in Node 20', () => {
    expect(listBackends()).toEqual(['js', 'wasm']);
    if (process.env.SEQLAB_BACKEND) return;
    expect(getBackend()).toEqual({
      name: 'wasm',
      reason: 'default: WebAssembly SIMD is available (float64 work runs in js)',
    });
  });

  test('SEQLAB_BACKEND picks the backend at start-up and names the choices when wrong', () => {
    const entry = fileURLToPath(new URL('../../index.ts', import.meta.url));
    const run = (value: string) =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `import(${JSON.stringify(entry)}).then((t) => console.log(JSON.stringify(t.getBackend())), (e) => console.log(e.message))`,
        ],
        { env: { ...process.env, SEQLAB_BACKEND: value }, encoding: 'utf8' },
      ).trim();
    expect(JSON.parse(run('js'))).toEqual({ name: 'js', reason: 'selected with SEQLAB_BACKEND=js' });
    expect(run('cuda')).toBe("SEQLAB_BACKEND: expected one of js, wasm, got 'cuda'");
  });

  test.skipIf(rebuildSkipped !== null)(
    `kernels.ts is what gemm.c compiles to (with the clang that built it)${rebuildSkipped ?? ''}`,
    () => {
      const script = fileURLToPath(new URL('../../../../../tools/wasm/build.mjs', import.meta.url));
      expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toContain(
        'is up to date',
      );
    },
  );
});
