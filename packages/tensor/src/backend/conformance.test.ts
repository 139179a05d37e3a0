// Conformance: every kernel of every registered backend (js, wasm, and any backend registered
// later) against the reference backend in backend/reference/, on seeded random shapes and the
// edge cases fast kernels get wrong: size-1 and empty dims, sizes that are not multiples of a tile
// or SIMD width, transposes, offsets, permuted/flipped/broadcast (0-stride) views, repeated
// indices, packed recurrent batches with uneven lengths, both directions, every cell.
//
// The table CASES is keyed by the Backend interface's kernel names, so a kernel added to the
// interface without a case fails the typecheck, and the first test fails for a backend object
// whose kernels differ from the table's.
//
// Tolerances, with u the unit roundoff of the storage (float32 2^-24 ≈ 6e-8, float64 2^-53):
// - exact: copies, fills, index/gather kernels, where, clamp, comparisons, max/min and arg-reductions.
// - elementwise functions: 8u relative (and absolute) — a few ulps, for a libm that rounds differently.
// - sums and dot products of n terms: per element (n + 2)·u·Σ|terms|, the classical bound γ_n of
//   recursive float summation (Higham, Accuracy and Stability of Numerical Algorithms, §3.1),
//   computed element by element by running the reference on |operands|. A SIMD kernel that
//   accumulates in float32 in any order stays inside it.
// - softmax: (size + 8)·u, the sum of `size` exponentials plus a few roundings.
// - the recurrence: each step adds a dot-product error of (G·H + O)·u and the state is rounded to
//   the storage once; the activations are 1-Lipschitz and the random weights keep the step map
//   non-expansive, so errors add up over T steps: forward 4·T·(G·H + O + 4)·u, backward the same
//   plus (N + 4)·u for the weight gradients' sums over N rows, scaled by their magnitude.

import { Generator, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FloatStorage, Storage } from '../dtype';
import { keptArgs, keptSteps } from '../ops/recurrent-skip';
import { uniformState } from '../random';
import {
  type Backend,
  type BinaryOp,
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentCell,
  type ReduceOp,
  type StridedView,
  type UnaryOp,
} from './backend';
import { referenceBackend as ref } from './reference/index';

type Kernel = Exclude<keyof Backend, 'name' | 'layerInference' | 'uninitializedStorage'>;
type FloatDType = 'float32' | 'float64';
/** One seeded trial of one kernel: run `fast` and the reference on the same inputs, compare. */
type Conformance = (fast: Backend, g: Random, trial: number) => void;

const TRIALS = 12;

// --- random inputs -------------------------------------------------------------------------------

class Random {
  private readonly gen: Generator;
  constructor(seed: number) {
    this.gen = new Generator(seed);
  }
  /** Uniform in [lo, hi). */
  uniform(lo = -1, hi = 1): number {
    return lo + (hi - lo) * this.gen.uniform();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.gen.uniform() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  bool(p = 0.5): boolean {
    return this.gen.uniform() < p;
  }
  floats(dtype: FloatDType, n: number, lo = -1, hi = 1): FloatStorage {
    const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }
  /** A dim size: often 1, sometimes `min`, else small and rarely a multiple of 4 or 8. */
  dim(min = 0): number {
    return this.pick([min, 1, 1, 2, 3, 5, 7, 9].map((d) => Math.max(d, min)));
  }
  shape(rank: number, min = 0): number[] {
    return Array.from({ length: rank }, () => this.dim(min));
  }
}

const count = (shape: readonly number[]): number => shape.reduce((p, s) => p * s, 1);
const unit = (dtype: FloatDType): number => (dtype === 'float64' ? 2 ** -53 : 2 ** -24);
const dtypeOf = (trial: number): FloatDType => (trial % 3 === 2 ? 'float64' : 'float32');
const like = (s: Storage, n = s.length): Storage => new (s.constructor as new (n: number) => Storage)(n);
const abs = <S extends Storage>(s: S): S => s.map(Math.abs) as S;

/**
 * A strided view of `shape` over fresh data: dims laid out in a random order, some flipped
 * (negative stride), some broadcast (stride 0, only if `broadcast`), from a random offset.
 */
function randomView(
  g: Random,
  shape: readonly number[],
  make: (n: number) => Storage,
  broadcast = true,
): StridedView {
  const rank = shape.length;
  const order = Array.from({ length: rank }, (_, d) => d);
  for (let i = rank - 1; i > 0; i--) {
    const j = g.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const strides = new Array<number>(rank).fill(0);
  let size = 1;
  for (let q = rank - 1; q >= 0; q--) {
    const d = order[q];
    if (broadcast && shape[d] > 1 && g.bool(0.2)) continue;
    strides[d] = size;
    size *= shape[d];
  }
  let offset = g.int(0, 3);
  for (let d = 0; d < rank; d++) {
    if (strides[d] > 0 && shape[d] > 0 && g.bool(0.3)) {
      offset += (shape[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
  }
  return { data: make(offset + size + g.int(0, 2)), offset, strides };
}

// --- comparisons ---------------------------------------------------------------------------------

/** Bit-for-bit equality (NaN equals NaN, 0 and −0 are equal). */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${label}: expected ${want[i]} at flat index ${i}, got ${got[i]}`);
    }
  }
}

/** |got − want| ≤ bound[i] per element, bound from `boundFrom` (the reference on |operands|). */
function expectWithin(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: ArrayLike<number>,
  label: string,
) {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    if (!(Math.abs(got[i] - want[i]) <= bound[i])) {
      throw new Error(`${label}: expected ${want[i]} ± ${bound[i]} at flat index ${i}, got ${got[i]}`);
    }
  }
}

const scaled = (s: ArrayLike<number>, factor: number): Float64Array =>
  Float64Array.from(s, (v) => v * factor);

// --- the cases, one per kernel -------------------------------------------------------------------

const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'sign'];
const BINARY: BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
];
const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const SPECIALS = [0, -0, 1, -1, Number.NaN, Infinity, -Infinity, 20, -20];

/** Floats in [-3, 3) with the special values mixed in. */
function withSpecials(g: Random, dtype: FloatDType, n: number): FloatStorage {
  const x = g.floats(dtype, n, -3, 3);
  for (let i = 0; i < n; i++) if (g.bool(0.15)) x[i] = g.pick(SPECIALS);
  return x;
}

/** x [outer, size, inner] of a softmax-like kernel, with size ≥ 1. */
function osi(g: Random): [number, number, number] {
  return [g.dim(), g.dim(1), g.dim()];
}

/** The choices `recurrentProblem` draws at random unless a case fixes them. */
interface RecurrentChoice {
  H: number;
  /** Projected LSTM (O < H). */
  projected: boolean;
  B: number;
  T: number;
  padded: boolean;
  reverse: boolean;
  /** GRU: a b_hh. */
  bias: boolean;
  traces: boolean;
}

/** A recurrent problem: sizes, packed batch sizes, every input buffer. */
function recurrentProblem(
  g: Random,
  cell: RecurrentCell,
  dtype: FloatDType,
  fixed: Partial<RecurrentChoice> = {},
) {
  const H = fixed.H ?? g.int(cell === 'lstm' ? 2 : 1, 6);
  const projected = fixed.projected ?? (cell === 'lstm' && g.bool(0.4));
  const O = projected ? g.int(1, H - 1) : H; // projected LSTM: O < H
  const B = fixed.B ?? g.int(1, 4);
  const T = fixed.T ?? g.int(1, 6);
  // Uneven lengths (descending, the longest is T), or a padded batch with all lengths T.
  const padded = fixed.padded ?? g.bool(0.25);
  const lengths = Array.from({ length: B }, (_, j) => (padded || j === 0 ? T : g.int(1, T))).sort(
    (x, y) => y - x,
  );
  const batchSizes = Int32Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
  const N = lengths.reduce((p, l) => p + l, 0);
  const GH = RECURRENT_GATES[cell] * H;
  const w = 1 / Math.sqrt(H);
  return {
    cell,
    H,
    O,
    B,
    T,
    N,
    GH,
    batchSizes,
    reverse: fixed.reverse ?? g.bool(),
    xProj: g.floats(dtype, N * GH, -1.5, 1.5),
    wHh: g.floats(dtype, GH * O, -w, w),
    bHh: cell === 'gru' && (fixed.bias ?? g.bool(0.8)) ? g.floats(dtype, GH, -w, w) : null,
    wHr: O < H ? g.floats(dtype, O * H, -w, w) : null,
    h0: g.floats(dtype, B * O),
    c0: cell === 'lstm' ? g.floats(dtype, B * H) : null,
    dOut: g.bool(0.8) ? g.floats(dtype, N * O) : null,
    dhN: g.bool(0.6) ? g.floats(dtype, B * O) : null,
    dcN: cell === 'lstm' && g.bool(0.6) ? g.floats(dtype, B * H) : null,
    traces: fixed.traces ?? g.bool(),
    // Accumulated into by the backward: start from nonzero values.
    dwHh0: g.floats(dtype, GH * O),
    dbHh0: g.floats(dtype, GH),
    dwHr0: g.floats(dtype, O * H),
  };
}
type RecurrentProblem = ReturnType<typeof recurrentProblem>;

/** Fresh argument buffers of `p` in storage `dtype` (float64 for the reference). */
function recurrentArgs(p: RecurrentProblem, dtype: FloatDType): RecurrentBackwardArgs {
  const F = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const copy = (s: FloatStorage | null) =>
    s ? (dtype === 'float64' ? Float64Array.from(s) : Float32Array.from(s)) : null;
  const { cell, H, O, B, N, GH } = p;
  const lstm = cell === 'lstm';
  return {
    cell,
    hidden: H,
    outSize: O,
    batch: B,
    batchSizes: p.batchSizes,
    reverse: p.reverse,
    xProj: copy(p.xProj) as FloatStorage,
    wHh: copy(p.wHh) as FloatStorage,
    bHh: copy(p.bHh),
    wHr: copy(p.wHr),
    h0: copy(p.h0) as FloatStorage,
    c0: copy(p.c0),
    out: F(N * O),
    hN: F(B * O),
    cN: lstm ? F(B * H) : null,
    gates: F(N * GH),
    hPrev: F(N * O),
    cells: lstm ? F(N * H) : null,
    cPrev: lstm ? F(N * H) : null,
    hFull: p.wHr ? F(N * H) : null,
    hhN: cell === 'gru' ? F(N * H) : null,
    dOut: copy(p.dOut),
    dhN: copy(p.dhN),
    dcN: copy(p.dcN),
    dxProj: F(N * GH),
    dwHh: copy(p.dwHh0) as FloatStorage,
    dbHh: p.bHh ? copy(p.dbHh0) : null,
    dwHr: p.wHr ? copy(p.dwHr0) : null,
    dh0: F(B * O),
    dc0: lstm ? F(B * H) : null,
    dhTrace: p.traces ? F(N * O) : null,
    dcTrace: p.traces && lstm ? F(N * H) : null,
  };
}

const FORWARD_OUTPUTS = ['out', 'hN', 'cN', 'gates', 'hPrev', 'cells', 'cPrev', 'hFull', 'hhN'] as const;
const BACKWARD_OUTPUTS = ['dxProj', 'dwHh', 'dbHh', 'dwHr', 'dh0', 'dc0', 'dhTrace', 'dcTrace'] as const;

/** The same values, −0 and +0 apart (NaN equal to NaN), or an error naming the first difference. */
function expectBits(got: ArrayLike<number> | null, want: ArrayLike<number> | null, label: string): void {
  expect(got?.length, `${label}: length`).toBe(want?.length);
  if (!got || !want) return;
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))
      throw new Error(`${label}: expected ${Object.is(want[i], -0) ? '-0' : want[i]} at ${i}, got ${got[i]}`);
  }
}

/**
 * The capability `recurrentBatchFirst` (RecurrentForwardArgs.outBatchStride): a padded batch's
 * forward and backward with out and dOut in batch-first rows against the same backend's time-major
 * call on 0 + dOut (the layout path's transposed gradient), bit for bit. dOut and dhN hold −0 in the
 * same columns, so that the first processed step adds −0 to −0 (0 + dOut reads +0:
 * NOTE(layout-bits)); the later processed steps' dOut is zero in
 * some trials, which narrows both calls to the kept steps (NOTE(zero-gradient-steps)) as the op does.
 * Some trials take the native addon's two splits: 64 rows by ranges, 8 rows by hidden units.
 */
function recurrentBatchFirstConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.recurrentBatchFirst) throw new Error('recurrentBatchFirst: expected the capability');
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const dtype = dtypeOf(Math.floor(trial / 4));
  const shape = [{}, { B: 64, T: 5, H: 24 }, { B: 8, T: 4, H: 160, projected: false }][trial % 3];
  const p = recurrentProblem(g, cell, dtype, { padded: true, ...shape });
  const { B, T, N, O, GH } = p;
  if (p.dOut && p.dhN) {
    for (let k = 0; k < N * O; k++) if ((k % O) % 3 === 0) p.dOut[k] = -0;
    for (let k = 0; k < B * O; k++) if ((k % O) % 3 === 0) p.dhN[k] = -0;
  }
  const zeroSteps = p.dOut && !p.dhN && !p.dcN ? g.int(0, T) : 0;
  if (p.dOut)
    for (let s = 0; s < zeroSteps; s++) {
      const t = p.reverse ? s : T - 1 - s;
      p.dOut.fill(g.bool() ? 0 : -0, t * B * O, (t + 1) * B * O);
    }
  // Row (t, j) of a time-major [N, O] is row (j, t) of the batch-first one.
  const transpose = (from: FloatStorage, toBatchFirst: boolean): FloatStorage => {
    const to = from.slice();
    for (let t = 0; t < T; t++)
      for (let j = 0; j < B; j++) {
        const [src, dst] = toBatchFirst ? [t * B + j, j * T + t] : [j * T + t, t * B + j];
        to.set(from.subarray(src * O, (src + 1) * O), dst * O);
      }
    return to;
  };
  // The time-major path's dOut is the layout's transposed gradient, 0 + g (−0 read as +0).
  const tm = recurrentArgs(p, dtype);
  tm.dOut = tm.dOut?.map((v) => 0 + v) ?? null;
  const bf: RecurrentBackwardArgs = {
    ...recurrentArgs(p, dtype),
    outBatchStride: T,
    dOut: p.dOut ? transpose(p.dOut, true) : null,
  };
  const label = `recurrentBatchFirst ${cell} B=${B} T=${T} H=${p.H} O=${O} reverse=${p.reverse} ${dtype}`;
  fast.recurrentForward(tm);
  fast.recurrentForward(bf);
  expectBits(transpose(bf.out, false), tm.out, `${label}: out`);
  for (const k of FORWARD_OUTPUTS) if (k !== 'out') expectBits(bf[k], tm[k], `${label}: ${k}`);
  const kept = keptSteps(p.batchSizes, p.reverse, O, tm.dOut, tm.dhN, tm.dcN);
  expect(keptSteps(p.batchSizes, p.reverse, O, bf.dOut, bf.dhN, bf.dcN, T), label).toEqual(kept);
  if (kept.r0 === kept.r1) return;
  const whole = kept.r0 === 0 && kept.r1 === N;
  fast.recurrentBackward(whole ? tm : keptArgs(tm, kept, GH));
  fast.recurrentBackward(whole ? bf : keptArgs(bf, kept, GH));
  for (const k of BACKWARD_OUTPUTS) expectBits(bf[k], tm[k], `${label}: ${k} (steps ${kept.t0}-${kept.t1})`);
}

/**
 * The capability `recurrentOutStride` (RecurrentForwardArgs.outStride, NOTE(layer-columns)): a
 * direction's forward and backward with out and dOut the columns [off, off + O) of a wider array
 * (rows W apart; batch-first rows too in some trials, with `recurrentBatchFirst`) against the same
 * backend's own-array call, bit for bit: its columns of out hold 0 + out (the concatenation into
 * zeros), no other element is written, and the backward reads its dOut columns alone (the others
 * hold NaN and noise). dOut holds −0 as in recurrentBatchFirst's case; some trials zero the later
 * processed steps, which narrows both calls to the kept steps as the op does. Some trials take the
 * native addon's two splits: 64 rows by ranges, 8 rows by hidden units.
 */
function recurrentOutStrideConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.recurrentOutStride) throw new Error('recurrentOutStride: expected the capability');
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const dtype = dtypeOf(Math.floor(trial / 4));
  const shape = [{}, { B: 64, T: 5, H: 24 }, { B: 8, T: 4, H: 160, projected: false }][trial % 3];
  const batchFirst = fast.recurrentBatchFirst === true && trial % 2 === 1;
  const p = recurrentProblem(g, cell, dtype, { ...(batchFirst ? { padded: true } : {}), ...shape });
  const { B, T, N, O, GH } = p;
  if (p.dOut && p.dhN) {
    for (let k = 0; k < N * O; k++) if ((k % O) % 3 === 0) p.dOut[k] = -0;
    for (let k = 0; k < B * O; k++) if ((k % O) % 3 === 0) p.dhN[k] = -0;
  }
  const offsets = Int32Array.from(p.batchSizes, (_, t) =>
    p.batchSizes.subarray(0, t).reduce((x, y) => x + y, 0),
  );
  const zeroSteps = p.dOut && !p.dhN && !p.dcN ? g.int(0, T) : 0;
  if (p.dOut)
    for (let s = 0; s < zeroSteps; s++) {
      const t = p.reverse ? s : T - 1 - s;
      p.dOut.fill(g.bool() ? 0 : -0, offsets[t] * O, (offsets[t] + p.batchSizes[t]) * O);
    }
  // Direction `d` of D side by side: rows W apart from column off.
  const D = g.int(2, 3);
  const d = g.int(0, D - 1);
  const W = D * O;
  const off = d * O;
  /** Row r (time-major) of the wide array: itself, or batch-first row j·T + t. */
  const wideRow = (r: number): number => {
    if (!batchFirst) return r;
    const t = Math.floor(r / B);
    return (r % B) * T + t;
  };
  const alloc = (n: number): FloatStorage =>
    dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const sentinel = alloc(N * W).fill(Number.NaN);
  const outWide = sentinel.slice();
  const plain = recurrentArgs(p, dtype);
  // A batch-first dOut is read as 0 + g (the layout's transposed gradient): the plain call gets that.
  if (batchFirst && plain.dOut) plain.dOut = plain.dOut.map((v) => 0 + v);
  const wide: RecurrentBackwardArgs = {
    ...recurrentArgs(p, dtype),
    ...(batchFirst ? { outBatchStride: T } : {}),
    outStride: W,
    out: outWide.subarray(off),
    dOut: null,
  };
  if (p.dOut) {
    const dOut = alloc(N * W).map((_, k) => (k % 5 === 0 ? Number.NaN : g.uniform(-7, 7)));
    for (let r = 0; r < N; r++) dOut.set(p.dOut.subarray(r * O, (r + 1) * O), wideRow(r) * W + off);
    wide.dOut = dOut.subarray(off);
  }
  const label = `recurrentOutStride ${cell} B=${B} T=${T} H=${p.H} O=${O} D=${D} d=${d} batchFirst=${batchFirst} reverse=${p.reverse} ${dtype}`;
  fast.recurrentForward(plain);
  fast.recurrentForward(wide);
  // Its columns hold 0 + out; every other element is as it was.
  const want = sentinel.slice();
  for (let r = 0; r < N; r++)
    for (let k = 0; k < O; k++) want[wideRow(r) * W + off + k] = 0 + plain.out[r * O + k];
  expectBits(outWide, want, `${label}: out`);
  for (const k of FORWARD_OUTPUTS) if (k !== 'out') expectBits(wide[k], plain[k], `${label}: ${k}`);
  const S = batchFirst ? T : undefined;
  const kept = keptSteps(p.batchSizes, p.reverse, O, plain.dOut, plain.dhN, plain.dcN);
  expect(keptSteps(p.batchSizes, p.reverse, O, wide.dOut, wide.dhN, wide.dcN, S, W), label).toEqual(kept);
  if (kept.r0 === kept.r1) return;
  const all = kept.r0 === 0 && kept.r1 === N;
  fast.recurrentBackward(all ? plain : keptArgs(plain, kept, GH));
  fast.recurrentBackward(all ? wide : keptArgs(wide, kept, GH));
  for (const k of BACKWARD_OUTPUTS)
    expectBits(wide[k], plain[k], `${label}: ${k} (steps ${kept.t0}-${kept.t1})`);
}

/**
 * The optional `reserveSaved` (RecurrentForwardArgs.saved): a float32 forward and backward with the
 * saved buffers in the backend's block against the same backend's call with them in JavaScript,
 * bit for bit (the block's copy out, `materialize`, too), a GEMM between them (its scratch must
 * leave the block alone), and in some trials the kept steps of NOTE(zero-gradient-steps) (the
 * block's `rows` view). A freed block is never read: the call throws.
 */
function reserveSavedConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.reserveSaved) throw new Error('reserveSaved: expected the kernel');
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const p = recurrentProblem(g, cell, 'float32', trial % 3 === 2 ? { B: 16, T: 7, H: 33 } : {});
  const { T, N, O, GH } = p;
  const zeroSteps = p.dOut && !p.dhN && !p.dcN ? g.int(0, T) : 0;
  for (let s = 0; p.dOut && s < zeroSteps; s++) {
    const t = p.reverse ? s : T - 1 - s;
    const rows = p.batchSizes[t];
    const at = p.batchSizes.subarray(0, t).reduce((x, y) => x + y, 0);
    p.dOut.fill(0, at * O, (at + rows) * O);
  }
  const label = `reserveSaved ${p.cell} H=${p.H} O=${O} batchSizes=[${p.batchSizes.join(', ')}] reverse=${p.reverse}`;
  const plain = recurrentArgs(p, 'float32');
  const res = recurrentArgs(p, 'float32');
  const block = fast.reserveSaved(res);
  if (!block) throw new Error(`${label}: no block`);
  const SAVED = ['gates', 'hPrev', 'cells', 'cPrev', 'hFull', 'hhN'] as const;
  for (const k of SAVED) if (res[k]) res[k] = new Float32Array(0);
  res.saved = block;
  fast.recurrentForward(plain);
  fast.recurrentForward(res);
  for (const k of ['out', 'hN', 'cN'] as const) expectBits(res[k], plain[k], `${label}: ${k}`);
  // Another call's scratch between the forward and the backward.
  const a = g.floats('float32', 40 * 70);
  fast.gemm(
    false,
    false,
    40,
    90,
    70,
    a,
    0,
    g.floats('float32', 70 * 90),
    0,
    new Float32Array(40 * 90),
    0,
    false,
  );
  const kept = keptSteps(p.batchSizes, p.reverse, O, plain.dOut, plain.dhN, plain.dcN);
  if (kept.r0 !== kept.r1) {
    const whole = kept.r0 === 0 && kept.r1 === N;
    fast.recurrentBackward(whole ? plain : keptArgs(plain, kept, GH));
    fast.recurrentBackward(whole ? res : keptArgs(res, kept, GH));
    for (const k of BACKWARD_OUTPUTS)
      expectBits(res[k], plain[k], `${label}: ${k} (steps ${kept.t0}-${kept.t1})`);
  }
  const copied = { ...recurrentArgs(p, 'float32'), saved: block };
  // The backend that gave the block keeps it; another one copies it out.
  block.materialize(copied, fast);
  expect(copied.saved, `${label}: kept for its own backend`).toBe(block);
  block.materialize(copied, ref);
  for (const k of SAVED) expectBits(copied[k], plain[k], `${label}: ${k} (materialize)`);
  expect(copied.saved, `${label}: materialize frees the block`).toBeUndefined();
  block.free();
  expect(() => fast.recurrentBackward(res), `${label}: a freed block`).toThrow(/freed/);
}

/**
 * The capability `projectIntoSaved` (SavedBlock.project, NOTE(fused-projection)): an LSTM's or
 * RNN's input projection written into a saved block, the forward from it and the projection's
 * backward products on the dxProj the backward left (`projectionGradient`) against the same
 * backend's gemmBias into an xProj array, the forward from that, and its gemm and reduce on the
 * backward's dxProj array: bit for bit, over the kept steps of NOTE(zero-gradient-steps) in some trials.
 */
function projectIntoSavedConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.projectIntoSaved || !fast.reserveSaved || !fast.gemmBias)
    throw new Error('projectIntoSaved: expected the capability, reserveSaved and gemmBias');
  const cell = (['lstm', 'rnn_tanh', 'rnn_relu'] as const)[trial % 3];
  const p = recurrentProblem(g, cell, 'float32', trial % 2 === 1 ? { B: 16, T: 7, H: 33 } : {});
  const { T, N, O, GH } = p;
  const zeroSteps = p.dOut && !p.dhN && !p.dcN ? g.int(0, T) : 0;
  for (let s = 0; p.dOut && s < zeroSteps; s++) {
    const t = p.reverse ? s : T - 1 - s;
    const at = p.batchSizes.subarray(0, t).reduce((x, y) => x + y, 0);
    p.dOut.fill(0, at * O, (at + p.batchSizes[t]) * O);
  }
  const I = g.int(1, 40);
  const x = g.floats('float32', N * I) as Float32Array;
  const wIh = g.floats('float32', GH * I) as Float32Array;
  const biases = [g.floats('float32', GH), g.floats('float32', GH)] as Float32Array[];
  const label = `projectIntoSaved ${cell} H=${p.H} I=${I} batchSizes=[${p.batchSizes.join(', ')}] reverse=${p.reverse}`;
  const plain = recurrentArgs(p, 'float32');
  fast.gemmBias(N, GH, I, x, wIh, plain.xProj, biases);
  const res = recurrentArgs(p, 'float32');
  const block = fast.reserveSaved(res);
  if (!block?.project?.(x, wIh, biases)) throw new Error(`${label}: no projected block`);
  for (const k of ['xProj', 'gates', 'hPrev', 'cells', 'cPrev', 'dxProj'] as const)
    if (res[k]) res[k] = new Float32Array(0);
  res.saved = block;
  fast.recurrentForward(plain);
  fast.recurrentForward(res);
  for (const k of ['out', 'hN', 'cN'] as const) expectBits(res[k], plain[k], `${label}: ${k}`);
  const kept = keptSteps(p.batchSizes, p.reverse, O, plain.dOut, plain.dhN, plain.dcN);
  const { r0, r1 } = kept;
  if (r0 !== r1) {
    const whole = r0 === 0 && r1 === N;
    fast.recurrentBackward(whole ? plain : keptArgs(plain, kept, GH));
    fast.recurrentBackward(whole ? res : keptArgs(res, kept, GH));
    for (const k of BACKWARD_OUTPUTS)
      if (k !== 'dxProj') expectBits(res[k], plain[k], `${label}: ${k} (steps ${kept.t0}-${kept.t1})`);
    const held = block.projectionGradient?.();
    if (!held) throw new Error(`${label}: no projectionGradient`);
    const rows = r1 - r0;
    const [got, want] = [0, 1].map(() => [
      new Float32Array(rows * I + 5),
      new Float32Array(GH * I),
      new Float32Array(GH),
    ]);
    held.dx(wIh, I, got[0], 5);
    fast.gemm(false, false, rows, I, GH, plain.dxProj, r0 * GH, wIh, 0, want[0], 5, false);
    held.dw(x, r0 * I, I, got[1]);
    fast.gemm(true, false, GH, I, rows, plain.dxProj, r0 * GH, x, r0 * I, want[1], 0, false);
    held.db(got[2]);
    fast.reduce('sum', plain.dxProj.subarray(r0 * GH, r1 * GH), [rows, GH], [true, false], want[2]);
    held.free();
    for (const [k, name] of ['dx', 'dW_ih', 'db'].entries())
      expectBits(got[k], want[k], `${label}: ${name} (rows ${r0}-${r1})`);
  }
  block.free();
}

/** Runs forward (and backward) on `fast` in the trial's dtype and on the reference in float64, compares. */
function recurrentConformance(fast: Backend, g: Random, trial: number, withBackward: boolean): void {
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const dtype = dtypeOf(Math.floor(trial / 4));
  recurrentCheck(fast, recurrentProblem(g, cell, dtype), dtype, withBackward);
}

/** Forward (and backward) of problem `p` on `fast` in `dtype` and on the reference in float64, compared. */
function recurrentCheck(fast: Backend, p: RecurrentProblem, dtype: FloatDType, withBackward: boolean): void {
  recurrentCheckAll(fast, [p], dtype, withBackward, false);
}

/**
 * Forward (and backward) of every problem of `ps` on `fast` in `dtype`, in one
 * `recurrentForwardMany` / `recurrentBackwardMany` call when `many`, else one call each, and on the
 * reference in float64 one by one, compared problem by problem.
 */
function recurrentCheckAll(
  fast: Backend,
  ps: readonly RecurrentProblem[],
  dtype: FloatDType,
  withBackward: boolean,
  many: boolean,
): void {
  const label = (p: RecurrentProblem) =>
    `${p.cell} H=${p.H} O=${p.O} batchSizes=[${p.batchSizes.join(', ')}] reverse=${p.reverse} bHh=${p.bHh !== null} ${dtype}${many ? ' (many)' : ''}`;
  const got = ps.map((p) => recurrentArgs(p, dtype));
  const want = ps.map((p) => recurrentArgs(p, 'float64'));
  if (many) fast.recurrentForwardMany?.(got);
  else for (const a of got) fast.recurrentForward(a);
  for (const a of want) ref.recurrentForward(a);
  const u = unit(dtype);
  const forwardTol = (p: RecurrentProblem) => 4 * p.T * (p.GH + p.O + 4) * u;
  ps.forEach((p, i) => {
    const tol = forwardTol(p);
    for (const key of FORWARD_OUTPUTS) {
      const w = want[i][key];
      if (w) expectClose(got[i][key] as FloatStorage, w, { rtol: tol, atol: tol }, `${label(p)}: ${key}`);
      else expect(got[i][key], `${label(p)}: ${key}`).toBeNull();
    }
  });
  if (!withBackward) return;
  if (many) fast.recurrentBackwardMany?.(got);
  else for (const a of got) fast.recurrentBackward(a);
  for (const a of want) ref.recurrentBackward(a);
  ps.forEach((p, i) => {
    const backwardTol = forwardTol(p) + 4 * (p.N + 4) * u;
    for (const key of BACKWARD_OUTPUTS) {
      const w = want[i][key];
      if (!w) continue;
      const magnitude = Math.max(1, ...Array.from(w, Math.abs));
      expectClose(
        got[i][key] as FloatStorage,
        w,
        { rtol: backwardTol, atol: backwardTol * magnitude },
        `${label(p)}: ${key}`,
      );
    }
  });
}

/**
 * The optional `recurrentForwardMany` / `recurrentBackwardMany` (a backend without them skips the
 * case): one to three independent problems in one call, the directions of a
 * bidirectional layer among them.
 */
function recurrentManyConformance(fast: Backend, g: Random, trial: number, withBackward: boolean): void {
  const many = withBackward ? fast.recurrentBackwardMany : fast.recurrentForwardMany;
  if (!many)
    throw new Error(
      `${withBackward ? 'recurrentBackwardMany' : 'recurrentForwardMany'}: expected the kernel`,
    );
  const dtype = dtypeOf(Math.floor(trial / 4));
  const cells = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const;
  const ps = Array.from({ length: 1 + (trial % 3) }, (_, i) =>
    recurrentProblem(g, cells[(trial + i) % 4], dtype, { reverse: i % 2 === 1 }),
  );
  recurrentCheckAll(fast, ps, dtype, withBackward, true);
}

/**
 * The optional `recurrentInferMany`: one or two directions of a layer (the same rows, the second
 * reversed) written through a row stride into one output, against the reference's
 * `recurrentForward` out, hN and cN; a lone direction sometimes at an offset inside a wider stride.
 * No projection (a projected LSTM never runs it).
 */
function recurrentInferConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.recurrentInferMany) throw new Error('recurrentInferMany: expected the kernel');
  const dtype = dtypeOf(Math.floor(trial / 4));
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const p = recurrentProblem(g, cell, dtype, {
    projected: false,
    ...(trial % 3 === 2 ? { H: g.int(30, 70) } : {}),
  });
  const D = trial % 2 === 0 ? 2 : 1;
  const problems = D === 2 ? [p, { ...p, reverse: !p.reverse, wHh: p.wHh.map((v) => -v) }] : [p];
  const pad = D === 1 && trial % 3 === 1 ? 3 : 0;
  const stride = D * p.H + pad;
  const F = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const copy = (x: FloatStorage | null) =>
    x ? (dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x)) : null;
  const out = F(p.N * stride);
  const got = problems.map((q, d) => ({
    cell: q.cell,
    hidden: q.H,
    batch: q.B,
    batchSizes: q.batchSizes,
    reverse: q.reverse,
    xProj: copy(q.xProj) as FloatStorage,
    wHh: copy(q.wHh) as FloatStorage,
    bHh: copy(q.bHh),
    h0: copy(q.h0) as FloatStorage,
    c0: copy(q.c0),
    out,
    outStride: stride,
    outOffset: d * q.H + (pad ? 2 : 0),
    hN: F(q.B * q.H),
    cN: q.cell === 'lstm' ? F(q.B * q.H) : null,
  }));
  fast.recurrentInferMany(got);
  const u = unit(dtype);
  problems.forEach((q, d) => {
    const want = recurrentArgs(q, 'float64');
    ref.recurrentForward(want);
    const tol = 4 * q.T * (q.GH + q.O + 4) * u;
    const label = `${q.cell} H=${q.H} batchSizes=[${q.batchSizes.join(', ')}] reverse=${q.reverse} D=${D} stride=${stride} ${dtype}`;
    const mine = F(q.N * q.H);
    for (let r = 0; r < q.N; r++)
      mine.set(out.subarray(r * stride + got[d].outOffset, r * stride + got[d].outOffset + q.H), r * q.H);
    expectClose(mine, want.out, { rtol: tol, atol: tol }, `${label}: out`);
    expectClose(got[d].hN, want.hN, { rtol: tol, atol: tol }, `${label}: hN`);
    if (want.cN) expectClose(got[d].cN as FloatStorage, want.cN, { rtol: tol, atol: tol }, `${label}: cN`);
  });
  // Columns outside every direction's are never written.
  for (let r = 0; r < p.N && pad; r++) {
    for (const k of [0, 1, stride - 1]) expect(out[r * stride + k], `${cell} pad column ${k}`).toBe(0);
  }
}

/**
 * The optional `recurrentInferInputMany`: `recurrentInferMany` with the input projection inside.
 * The reference runs on the float64 xProj = x W_ihᵀ + biases of the same (rounded) inputs; the
 * bound adds the projection's I-term sum to the recurrence's.
 */
function recurrentInferInputConformance(fast: Backend, g: Random, trial: number): void {
  if (!fast.recurrentInferInputMany) throw new Error('recurrentInferInputMany: expected the kernel');
  const dtype = dtypeOf(Math.floor(trial / 4));
  const cell = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)[trial % 4];
  const p = recurrentProblem(g, cell, dtype, { projected: false });
  const I = g.int(0, 9);
  const biasCount = g.int(0, 2);
  const x = g.floats(dtype, p.N * I, -1.5, 1.5);
  const wIh = g.floats(dtype, p.GH * I, -0.5, 0.5);
  const biases = Array.from({ length: biasCount }, () => g.floats(dtype, p.GH, -0.5, 0.5));
  const xProj = new Float64Array(p.N * p.GH);
  for (let r = 0; r < p.N; r++) {
    for (let j = 0; j < p.GH; j++) {
      let sum = 0;
      for (let k = 0; k < I; k++) sum += x[r * I + k] * wIh[j * I + k];
      for (const b of biases) sum += b[j];
      xProj[r * p.GH + j] = sum;
    }
  }
  const D = trial % 2 === 0 ? 2 : 1;
  const problems = D === 2 ? [p, { ...p, reverse: !p.reverse, wHh: p.wHh.map((v) => -v) }] : [p];
  const F = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const out = F(p.N * D * p.H);
  const got = problems.map((q, d) => ({
    cell: q.cell,
    hidden: q.H,
    batch: q.B,
    batchSizes: q.batchSizes,
    reverse: q.reverse,
    x,
    inputSize: I,
    wIh,
    xBiases: biases,
    wHh: q.wHh,
    bHh: q.bHh,
    h0: q.h0,
    c0: q.c0,
    out,
    outStride: D * q.H,
    outOffset: d * q.H,
    hN: F(q.B * q.H),
    cN: q.cell === 'lstm' ? F(q.B * q.H) : null,
  }));
  fast.recurrentInferInputMany(got);
  const u = unit(dtype);
  problems.forEach((q, d) => {
    const want = recurrentArgs({ ...q, xProj }, 'float64');
    ref.recurrentForward(want);
    const tol = 4 * q.T * (q.GH + q.O + I + 6) * u;
    const label = `${q.cell} H=${q.H} I=${I} biases=${biasCount} batchSizes=[${q.batchSizes.join(', ')}] reverse=${q.reverse} D=${D} ${dtype}`;
    const mine = F(q.N * q.H);
    for (let r = 0; r < q.N; r++)
      mine.set(out.subarray(r * D * q.H + d * q.H, r * D * q.H + (d + 1) * q.H), r * q.H);
    expectClose(mine, want.out, { rtol: tol, atol: tol }, `${label}: out`);
    expectClose(got[d].hN, want.hN, { rtol: tol, atol: tol }, `${label}: hN`);
    if (want.cN) expectClose(got[d].cN as FloatStorage, want.cN, { rtol: tol, atol: tol }, `${label}: cN`);
  });
}

const CASES: { [K in Kernel]: Conformance } = {
  unary: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const x = withSpecials(g, dtype, g.int(0, 40));
    for (const op of UNARY) {
      const got = like(x) as FloatStorage;
      const want = like(x) as FloatStorage;
      fast.unary(op, x, got);
      ref.unary(op, x, want);
      const tol = 8 * unit(dtype);
      expectClose(got, want, { rtol: tol, atol: tol }, `unary ${op} ${dtype}`);
    }
  },
  unaryBackward: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const n = g.int(0, 40);
    for (const op of UNARY) {
      const x = g.floats(dtype, n, -3, 3);
      if (op === 'log' || op === 'sqrt') for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]) + 0.1;
      const y = like(x) as FloatStorage;
      ref.unary(op, x, y);
      const dy = g.floats(dtype, n);
      const got = like(x) as FloatStorage;
      const want = like(x) as FloatStorage;
      fast.unaryBackward(op, x, y, dy, got);
      ref.unaryBackward(op, x, y, dy, want);
      const tol = 8 * unit(dtype);
      expectClose(got, want, { rtol: tol, atol: tol }, `unaryBackward ${op} ${dtype}`);
    }
  },
  clamp: (fast, g, trial) => {
    const x = withSpecials(g, dtypeOf(trial), g.int(0, 40));
    const [lo, hi] = g.pick([
      [-0.5, 0.5],
      [-Infinity, 0.2],
      [-0.3, Infinity],
      [0.1, 0.1],
    ] as const);
    const got = like(x) as FloatStorage;
    const want = like(x) as FloatStorage;
    fast.clamp(x, lo, hi, got);
    ref.clamp(x, lo, hi, want);
    expectSame(got, want, `clamp [${lo}, ${hi}]`);
  },
  clampBackward: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const n = g.int(0, 40);
    const x = withSpecials(g, dtype, n);
    const dy = g.floats(dtype, n);
    const [lo, hi] = g.pick([
      [-0.5, 0.5],
      [-Infinity, 0.2],
      [-0.3, Infinity],
      [1, 1],
    ] as const);
    const got = like(x) as FloatStorage;
    const want = like(x) as FloatStorage;
    fast.clampBackward(x, lo, hi, dy, got);
    ref.clampBackward(x, lo, hi, dy, want);
    expectSame(got, want, `clampBackward [${lo}, ${hi}]`);
  },
  binary: (fast, g, trial) => {
    const shape = g.shape(g.int(0, 4));
    const int = trial % 4 === 3;
    const dtype = dtypeOf(trial);
    const make = (n: number) =>
      int ? Int32Array.from({ length: n }, () => g.int(-3, 3)) : withSpecials(g, dtype, n);
    for (const op of BINARY) {
      if (int && (op === 'div' || op === 'pow')) continue;
      const a = randomView(g, shape, make);
      const b = randomView(g, shape, make);
      const n = count(shape);
      const out = () => (COMPARISONS.has(op) ? new Uint8Array(n) : like(a.data, n));
      const got = out();
      const want = out();
      fast.binary(op, a, b, shape, got);
      ref.binary(op, a, b, shape, want);
      const label = `binary ${op} [${shape.join(', ')}] strides ${a.strides}/${b.strides}`;
      if (COMPARISONS.has(op) || int || op === 'maximum' || op === 'minimum') expectSame(got, want, label);
      else
        expectClose(
          got as FloatStorage,
          want as FloatStorage,
          { rtol: 8 * unit(dtype), atol: 8 * unit(dtype) },
          label,
        );
    }
  },
  where: (fast, g, trial) => {
    const shape = g.shape(g.int(0, 4));
    const cond = randomView(g, shape, (n) => Uint8Array.from({ length: n }, () => g.int(0, 1)));
    const a = randomView(g, shape, (n) => withSpecials(g, dtypeOf(trial), n));
    const b = randomView(g, shape, (n) => withSpecials(g, dtypeOf(trial), n));
    const got = like(a.data, count(shape));
    const want = like(a.data, count(shape));
    fast.where(cond, a, b, shape, got);
    ref.where(cond, a, b, shape, want);
    expectSame(got, want, `where [${shape.join(', ')}]`);
  },
  reduce: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const shape = g.shape(g.int(1, 4));
    const reduced = shape.map(() => g.bool());
    const x =
      trial % 4 === 3
        ? Int32Array.from({ length: count(shape) }, () => g.int(-9, 9))
        : g.floats(dtype, count(shape));
    const outSize = count(shape.filter((_, d) => !reduced[d]));
    const terms = count(shape.filter((_, d) => reduced[d]));
    for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
      const got = like(x, outSize);
      const want = like(x, outSize);
      fast.reduce(op, x, shape, reduced, got);
      ref.reduce(op, x, shape, reduced, want);
      const label = `reduce ${op} [${shape.join(', ')}] over [${reduced.join(', ')}]`;
      if (op !== 'sum' || x instanceof Int32Array) {
        expectSame(got, want, label);
      } else {
        const bound = like(x, outSize);
        ref.reduce('sum', abs(x), shape, reduced, bound);
        expectWithin(got, want, scaled(bound, (terms + 2) * unit(dtype)), label);
      }
    }
  },
  argReduce: (fast, g, trial) => {
    const [outer, size, inner] = osi(g);
    // Rounded values make ties; the first extremum wins, and a NaN is the extremum.
    const x = Float32Array.from({ length: outer * size * inner }, () =>
      g.bool(0.05) ? Number.NaN : g.int(-3, 3),
    );
    for (const op of ['argmax', 'argmin'] as const) {
      const got = new Int32Array(outer * inner);
      const want = new Int32Array(outer * inner);
      fast.argReduce(op, trial % 2 ? Float64Array.from(x) : x, outer, size, inner, got);
      ref.argReduce(op, trial % 2 ? Float64Array.from(x) : x, outer, size, inner, want);
      expectSame(got, want, `${op} [${outer}, ${size}, ${inner}]`);
    }
  },
  stridedCopy: (fast, g, trial) => {
    const shape = g.shape(g.int(0, 5));
    const makers = [
      (n: number) => g.floats('float32', n),
      (n: number) => g.floats('float64', n),
      (n: number) => Int32Array.from({ length: n }, () => g.int(-100, 100)),
      (n: number) => Uint8Array.from({ length: n }, () => g.int(0, 1)),
    ];
    const src = randomView(g, shape, makers[trial % 4]);
    const got = like(src.data, count(shape));
    const want = like(src.data, count(shape));
    fast.stridedCopy(src, shape, got);
    ref.stridedCopy(src, shape, want);
    expectSame(got, want, `stridedCopy [${shape.join(', ')}] strides [${src.strides}] offset ${src.offset}`);
  },
  stridedAccumulate: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const shape = g.shape(g.int(0, 4));
    const src = g.floats(dtype, count(shape));
    const dst = randomView(g, shape, (n) => g.floats(dtype, n));
    const got = { ...dst, data: dst.data.slice() };
    const want = { ...dst, data: dst.data.slice() };
    fast.stridedAccumulate(src, shape, got);
    ref.stridedAccumulate(src, shape, want);
    const bound = { ...dst, data: abs(dst.data) };
    ref.stridedAccumulate(abs(src), shape, bound);
    const label = `stridedAccumulate [${shape.join(', ')}] strides [${dst.strides}]`;
    expectWithin(got.data, want.data, scaled(bound.data, (src.length + 2) * unit(dtype)), label);
  },
  fill: (fast, g, trial) => {
    const n = g.int(0, 20);
    const out = [new Float32Array(n), new Float64Array(n), new Int32Array(n), new Uint8Array(n)][trial % 4];
    const value =
      out instanceof Int32Array
        ? -7
        : out instanceof Uint8Array
          ? 1
          : g.pick([0.1, -2.5, Number.NaN, -Infinity]);
    const got = like(out);
    const want = like(out);
    fast.fill(got, value);
    ref.fill(want, value);
    expectSame(got, want, `fill ${value}`);
  },
  gemm: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const size = () => g.pick([0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33]);
    // The first trials walk the edge shapes; later ones are random.
    const edges = [
      [1, 1, 1],
      [3, 5, 7],
      [4, 4, 4],
      [9, 6, 13],
      [32, 33, 17],
      [2, 0, 3],
      [3, 2, 0],
      [0, 3, 2],
    ];
    const [m, n, k] = edges[trial] ?? [size(), size(), size()];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const [aOff, bOff, cOff] = [g.int(0, 3), g.int(0, 3), g.int(0, 3)];
          const a = g.floats(dtype, aOff + m * k + 2);
          const b = g.floats(dtype, bOff + k * n + 2);
          const c = g.floats(dtype, cOff + m * n + 2);
          const got = c.slice();
          const want = c.slice();
          fast.gemm(transA, transB, m, n, k, a, aOff, b, bOff, got, cOff, accumulate);
          ref.gemm(transA, transB, m, n, k, a, aOff, b, bOff, want, cOff, accumulate);
          // Per element: (k + 2)·u·(|op(A)||op(B)| + |C|).
          const bound = abs(c);
          ref.gemm(transA, transB, m, n, k, abs(a), aOff, abs(b), bOff, bound, cOff, accumulate);
          const label = `gemm ${m}x${n}x${k} transA=${transA} transB=${transB} accumulate=${accumulate} ${dtype}`;
          expectWithin(got, want, scaled(bound, (k + 2) * unit(dtype)), label);
        }
      }
    }
  },
  indexSelect: (fast, g, trial) => {
    const [outer, size, inner] = [g.dim(), g.dim(1), g.dim()];
    const index = Int32Array.from({ length: g.int(0, 7) }, () => g.int(0, size - 1));
    const x =
      trial % 2
        ? g.floats('float32', outer * size * inner)
        : Int32Array.from({ length: outer * size * inner }, (_, i) => i);
    const got = like(x, outer * index.length * inner);
    const want = like(x, outer * index.length * inner);
    fast.indexSelect(x, outer, size, inner, index, got);
    ref.indexSelect(x, outer, size, inner, index, want);
    expectSame(got, want, `indexSelect [${outer}, ${size}, ${inner}] index [${index}]`);
  },
  indexAdd: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const [outer, size, inner] = [g.dim(), g.dim(1), g.dim()];
    const index = Int32Array.from({ length: g.int(0, 9) }, () => g.int(0, size - 1)); // repeats accumulate
    const src = g.floats(dtype, outer * index.length * inner);
    const dst = g.floats(dtype, outer * size * inner);
    const got = dst.slice();
    const want = dst.slice();
    fast.indexAdd(got, outer, size, inner, index, src);
    ref.indexAdd(want, outer, size, inner, index, src);
    const bound = abs(dst);
    ref.indexAdd(bound, outer, size, inner, index, abs(src));
    const label = `indexAdd [${outer}, ${size}, ${inner}] index [${index}]`;
    expectWithin(got, want, scaled(bound, (index.length + 2) * unit(dtype)), label);
  },
  gather: (fast, g) => {
    const xShape = g.shape(g.int(1, 3), 1);
    const dim = g.int(0, xShape.length - 1);
    const indexShape = xShape.map((s, d) => (d === dim ? g.int(0, 4) : g.int(Math.min(1, s), s)));
    const index = Int32Array.from({ length: count(indexShape) }, () => g.int(0, xShape[dim] - 1));
    const x = g.floats('float32', count(xShape));
    const got = new Float32Array(index.length);
    const want = new Float32Array(index.length);
    fast.gather(x, xShape, dim, index, indexShape, got);
    ref.gather(x, xShape, dim, index, indexShape, want);
    expectSame(got, want, `gather x [${xShape}] dim ${dim} index [${indexShape}]`);
  },
  scatterAdd: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const dstShape = g.shape(g.int(1, 3), 1);
    const dim = g.int(0, dstShape.length - 1);
    const indexShape = dstShape.map((s, d) => (d === dim ? g.int(0, 6) : g.int(Math.min(1, s), s)));
    const index = Int32Array.from({ length: count(indexShape) }, () => g.int(0, dstShape[dim] - 1));
    const src = g.floats(dtype, index.length);
    const dst = g.floats(dtype, count(dstShape));
    const got = dst.slice();
    const want = dst.slice();
    fast.scatterAdd(got, dstShape, dim, index, indexShape, src);
    ref.scatterAdd(want, dstShape, dim, index, indexShape, src);
    const bound = abs(dst);
    ref.scatterAdd(bound, dstShape, dim, index, indexShape, abs(src));
    const label = `scatterAdd dst [${dstShape}] dim ${dim} index [${indexShape}]`;
    expectWithin(got, want, scaled(bound, (index.length + 2) * unit(dtype)), label);
  },
  softmax: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const [outer, size, inner] = osi(g);
    const x = g.floats(dtype, outer * size * inner, -8, 8);
    for (const log of [false, true]) {
      const got = like(x) as FloatStorage;
      const want = like(x) as FloatStorage;
      fast.softmax(x, outer, size, inner, log, got);
      ref.softmax(x, outer, size, inner, log, want);
      const tol = (size + 8) * unit(dtype);
      expectClose(
        got,
        want,
        { rtol: tol, atol: log ? 10 * tol : tol },
        `softmax log=${log} [${outer}, ${size}, ${inner}]`,
      );
    }
  },
  softmaxBackward: (fast, g, trial) => {
    const dtype = dtypeOf(trial);
    const [outer, size, inner] = osi(g);
    const x = g.floats(dtype, outer * size * inner, -4, 4);
    const dy = g.floats(dtype, x.length);
    for (const log of [false, true]) {
      const y = like(x) as FloatStorage;
      ref.softmax(x, outer, size, inner, log, y);
      const got = like(x) as FloatStorage;
      const want = like(x) as FloatStorage;
      fast.softmaxBackward(y, dy, outer, size, inner, log, got);
      ref.softmaxBackward(y, dy, outer, size, inner, log, want);
      const tol = (size + 8) * unit(dtype);
      expectClose(
        got,
        want,
        { rtol: tol, atol: size * tol },
        `softmaxBackward log=${log} [${outer}, ${size}, ${inner}]`,
      );
    }
  },
  recurrentForward: (fast, g, trial) => recurrentConformance(fast, g, trial, false),
  recurrentBackward: (fast, g, trial) => recurrentConformance(fast, g, trial, true),
  recurrentForwardMany: (fast, g, trial) => recurrentManyConformance(fast, g, trial, false),
  recurrentBackwardMany: (fast, g, trial) => recurrentManyConformance(fast, g, trial, true),
  recurrentBatchFirst: recurrentBatchFirstConformance,
  recurrentOutStride: recurrentOutStrideConformance,
  reserveSaved: reserveSavedConformance,
  projectIntoSaved: projectIntoSavedConformance,
  recurrentInferMany: recurrentInferConformance,
  recurrentInferInputMany: recurrentInferInputConformance,
  // The optional bias add of linear: each element y + b rounded once, so exact.
  addBias: (fast, g, trial) => {
    if (!fast.addBias) throw new Error('addBias: expected the kernel');
    const dtype = dtypeOf(trial);
    const rows = g.int(0, trial % 3 === 0 ? 300 : 9);
    const n = g.int(1, 70);
    const y = g.floats(dtype, rows * n);
    const bias = g.floats(dtype, n);
    const want = y.slice();
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) want[r * n + j] += bias[j];
    fast.addBias(y, rows, n, bias);
    expect(Array.from(y), `addBias rows=${rows} n=${n} ${dtype}`).toEqual(Array.from(want));
  },
  // The optional GEMM with linear's bias adds: the numbers of this backend's own gemm (A Bᵀ, into
  // C) followed by one addBias per bias (each add rounded), bit for bit; shapes around the
  // micro-kernel's blocks, one deep enough for two blocks of k, products big enough to split over
  // the pool by rows and by columns, 0 to 5 biases (the native addon takes four in one call), with
  // the specials in the biases.
  gemmBias: (fast, g, trial) => {
    if (!fast.gemmBias) throw new Error('gemmBias: expected the kernel');
    const dtype = dtypeOf(trial);
    const edges = [
      [1, 1, 1],
      [9, 33, 7],
      [17, 31, 300],
      [520, 96, 48],
      [20, 1100, 100],
      [0, 5, 3],
      [4, 3, 0],
      [64, 512, 64],
    ];
    const [m, n, k] = edges[trial] ?? [g.int(1, 40), g.int(1, 70), g.int(0, 40)];
    const a = g.floats(dtype, m * k);
    const b = g.floats(dtype, n * k);
    const count = [2, 1, 2, 3, 4, 5, 0, 2][trial] ?? g.int(0, 5);
    const biases = Array.from({ length: count }, () =>
      trial % 4 === 1 ? withSpecials(g, dtype, n) : g.floats(dtype, n),
    );
    const got = g.floats(dtype, m * n);
    const want = got.slice();
    fast.gemmBias(m, n, k, a, b, got, biases);
    fast.gemm(false, true, m, n, k, a, 0, b, 0, want, 0, false);
    for (const bias of biases) {
      if (fast.addBias) fast.addBias(want, m, n, bias);
      else for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) want[r * n + j] += bias[j];
    }
    const label = `gemmBias ${m}x${n}x${k} biases=${biases.length} ${dtype}`;
    expect(Array.from(got), label).toEqual(Array.from(want));
  },
  // dropout's mask and product from a Generator's state (optional): the numbers of the loop it
  // replaces (one uniform() per element, mask = scale where u ≥ p, out = x · mask in float32) and
  // the generator's state after it, bit for bit; x with the specials, lengths around the native
  // kernel's blocks of 2048 and the wasm one's of 8192, p from 0 to just under 1.
  dropout: (fast, g, trial) => {
    if (!fast.dropout) throw new Error('dropout: expected the kernel');
    const n = g.pick([0, 1, 7, 2047, 2048, 2049, 5000, 8193]);
    const p = g.pick([0, 1e-9, 0.3, 0.5, 0.999999]);
    const x = withSpecials(g, 'float32', n) as Float32Array;
    const drawn = new Generator(trial);
    const want = new Generator(trial);
    const mask = new Float32Array(n);
    const out = new Float32Array(n);
    fast.dropout(uniformState(drawn) as Uint32Array, p, 1 / (1 - p), x, mask, out);
    const scale = 1 / (1 - p);
    const wantMask = Float32Array.from(x, () => (want.uniform() >= p ? scale : 0));
    const wantOut = Float32Array.from(x, (v, i) => v * wantMask[i]);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer));
    const label = `dropout n=${n} p=${p}`;
    expect(bits(mask), label).toEqual(bits(wantMask));
    expect(bits(out), label).toEqual(bits(wantOut));
    expect(drawn.getState(), label).toEqual(want.getState());
  },
  // The optional optimizer kernels: Adam's update must be the reference's bit for bit (it is what
  // @seqlab/optim's golden tests against PyTorch rest on); sizes up to 70 give SIMD kernels whole
  // vectors and a tail, 8195 the wasm kernel's copy blocks of 8192 and an odd tail; steps go past
  // the first, where the bias corrections are still large.
  adamStep: (fast, g, trial) => {
    if (!fast.adamStep || !ref.adamStep) throw new Error('adamStep: expected the kernel on both backends');
    const dtype = dtypeOf(trial);
    const n = g.pick([0, 1, 7, 16, 17, 70, 8195]);
    const amsgrad = trial % 4 >= 2;
    const adamw = trial % 2 === 1;
    const lr = g.pick([1e-3, 0.05]);
    const weightDecay = g.pick([0, 0.01, 0.3]);
    const [beta1, beta2] = g.pick([
      [0.9, 0.999],
      [0.5, 0.8],
    ] as const);
    const t = g.int(1, 5);
    const param = withSpecials(g, dtype, n);
    const grad = withSpecials(g, dtype, n);
    const expAvg = g.floats(dtype, n, -0.1, 0.1);
    const expAvgSq = g.floats(dtype, n, 0, 0.1);
    const maxExpAvgSq = amsgrad ? g.floats(dtype, n, 0, 0.1) : null;
    if (maxExpAvgSq && n > 0) maxExpAvgSq[0] = Number.NaN;
    const scalars = {
      beta1,
      beta2,
      eps: 1e-8,
      stepSize: lr / (1 - beta1 ** t),
      bias2Sqrt: Math.sqrt(1 - beta2 ** t),
      l2: adamw ? 0 : weightDecay,
      decay: adamw ? 1 - lr * weightDecay : 1,
      maximize: g.bool(0.25),
    };
    const copy = (x: FloatStorage) => x.slice();
    const got = { param: copy(param), grad, expAvg: copy(expAvg), expAvgSq: copy(expAvgSq) };
    const want = { param: copy(param), grad, expAvg: copy(expAvg), expAvgSq: copy(expAvgSq) };
    const gotMax = maxExpAvgSq && copy(maxExpAvgSq);
    const wantMax = maxExpAvgSq && copy(maxExpAvgSq);
    fast.adamStep({ ...got, maxExpAvgSq: gotMax, ...scalars });
    ref.adamStep({ ...want, maxExpAvgSq: wantMax, ...scalars });
    const label = `adamStep n=${n} amsgrad=${amsgrad} ${JSON.stringify(scalars)} ${dtype}`;
    expectSame(got.param, want.param, `${label}: param`);
    expectSame(got.expAvg, want.expAvg, `${label}: expAvg`);
    expectSame(got.expAvgSq, want.expAvgSq, `${label}: expAvgSq`);
    if (gotMax && wantMax) expectSame(gotMax, wantMax, `${label}: maxExpAvgSq`);
  },
  // Σ x² in float64, in any order: (n + 2)·u64 relative to the sum (every term is ≥ 0).
  sumSquares: (fast, g, trial) => {
    if (!fast.sumSquares || !ref.sumSquares)
      throw new Error('sumSquares: expected the kernel on both backends');
    const x = g.floats(dtypeOf(trial), g.pick([0, 1, 5, 8, 9, 33, 4097, 9000]), -3, 3);
    const init = g.pick([0, 2.5]);
    const want = ref.sumSquares(x, init);
    const got = fast.sumSquares(x, init);
    expectWithin([got], [want], [(x.length + 2) * 2 ** -53 * want], `sumSquares n=${x.length} init=${init}`);
  },
  // A state memory's adamStep (NOTE(wasm-adam-state)) over moment buffers that are views of the
  // memory, packed one after another from `start` as Adam packs them (odd sizes, whose buffers it
  // copies, and 8195 over two blocks): the reference's bits on plain arrays, twice, and the
  // memory's buffer the same ArrayBuffer after both steps (it never grows, so views stay valid).
  stateMemory: (fast, g, trial) => {
    if (!fast.stateMemory || !ref.adamStep)
      throw new Error('stateMemory: expected it and a reference adamStep');
    const n = g.pick([2, 7, 16, 70, 8195, 8196]);
    const amsgrad = trial % 2 === 1;
    const floats = (n + 3) & ~3;
    const memory = fast.stateMemory(floats * 4 * 3);
    if (memory === null) throw new Error('stateMemory: expected a memory of a few KiB');
    const { buffer, start } = memory;
    expect(memory.end - start).toBe(floats * 4 * 3);
    const views = [0, 1, 2].map((k) => new Float32Array(buffer, start + k * floats * 4, n));
    const [m, v, vMax] = views as [Float32Array, Float32Array, Float32Array];
    m.set(g.floats('float32', n, -0.1, 0.1));
    v.set(g.floats('float32', n, 0, 0.1));
    vMax.set(g.floats('float32', n, 0, 0.1));
    const want = { param: withSpecials(g, 'float32', n), expAvg: m.slice(), expAvgSq: v.slice() };
    const wantMax = amsgrad ? vMax.slice() : null;
    const param = want.param.slice();
    for (const t of [1, 2]) {
      const grad = withSpecials(g, 'float32', n);
      const scalars = {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        stepSize: 0.01 / (1 - 0.9 ** t),
        bias2Sqrt: Math.sqrt(1 - 0.999 ** t),
        l2: trial % 4 >= 2 ? 0.1 : 0,
        decay: 1,
        maximize: g.bool(0.25),
      };
      memory.adamStep({
        param,
        grad,
        expAvg: m,
        expAvgSq: v,
        maxExpAvgSq: amsgrad ? vMax : null,
        ...scalars,
      });
      ref.adamStep({ ...want, grad, maxExpAvgSq: wantMax, ...scalars });
    }
    const label = `stateMemory adamStep n=${n} amsgrad=${amsgrad}`;
    expect(memory.buffer, label).toBe(buffer);
    expect(m.length, `${label}: a view still attached`).toBe(n);
    expectSame(param, want.param, `${label}: param`);
    expectSame(m, want.expAvg, `${label}: expAvg`);
    expectSame(v, want.expAvgSq, `${label}: expAvgSq`);
    if (wantMax) expectSame(vMax, wantMax, `${label}: maxExpAvgSq`);
  },
};

const KERNELS = Object.keys(CASES).sort() as Kernel[];
// Kernels a backend may leave out (callers fall back to the others).
const OPTIONAL = new Set([
  'recurrentForwardMany',
  'recurrentBackwardMany',
  'recurrentInferMany',
  'recurrentInferInputMany',
  'recurrentBatchFirst',
  'recurrentOutStride',
  'reserveSaved',
  'projectIntoSaved',
  'addBias',
  'gemmBias',
  'dropout',
  'stateMemory',
]);
// Every key but the name, what a backend may report about itself (the native backend's isa()
// and threads(), read by seqlab bench and doctor), the `layerInference` hook (recurrentLayer's,
// over the inference kernels tested here) and the `uninitializedStorage` allocator (no arithmetic:
// storage-pool.test.ts and the native backend.test.ts) is a kernel.
const NOT_KERNELS = new Set(['name', 'isa', 'threads', 'layerInference', 'uninitializedStorage']);
const kernelsOf = (b: Backend): string[] =>
  Object.keys(b)
    .filter((k) => !NOT_KERNELS.has(k))
    .sort();

test('the conformance table has a case for every kernel of every registered backend, and no other', () => {
  expect(KERNELS.filter((k) => !OPTIONAL.has(k))).toEqual(kernelsOf(ref));
  const initial = getBackend().name;
  try {
    for (const name of listBackends()) {
      setBackend(name);
      const has = new Set(kernelsOf(backend()));
      expect(kernelsOf(backend()), `backend ${name}`).toEqual(
        KERNELS.filter((k) => has.has(k) || !OPTIONAL.has(k)),
      );
    }
  } finally {
    setBackend(initial);
  }
});

describe.each(listBackends())('backend %s agrees with the reference kernels', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.for(KERNELS)('%s', (kernel, context) => {
    // An optional kernel the backend leaves out (callers fall back): a visible skip, not a pass.
    if (OPTIONAL.has(kernel) && !(kernel in backend())) context.skip();
    // Seeded per kernel, so each kernel sees the same shapes on every backend.
    const g = new Random(KERNELS.indexOf(kernel) + 1);
    for (let trial = 0; trial < TRIALS; trial++) CASES[kernel](backend(), g, trial);
  });
});

// Every combination the fused recurrence branches on, in float32 on every backend: packed or padded,
// forward or reverse, projected LSTM, GRU with and without b_hh, traces on and off; H = 9 and 13
// give SIMD kernels whole vectors and a partial last one, B = 5 a partial row block.
const RECURRENT_COMBINATIONS = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const).flatMap((cell) =>
  [false, true].flatMap((padded) =>
    [false, true].flatMap((reverse) =>
      (cell === 'rnn_tanh' || cell === 'rnn_relu' ? [false] : [false, true]).map((variant) => ({
        cell,
        padded,
        reverse,
        projected: cell === 'lstm' && variant,
        bias: cell === 'gru' && variant,
        traces: reverse !== padded,
        H: variant ? 13 : 9,
      })),
    ),
  ),
);

describe.each(listBackends())('backend %s: the recurrence on every combination', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each(RECURRENT_COMBINATIONS)(
    '$cell padded=$padded reverse=$reverse projected=$projected bias=$bias',
    ({ cell, ...fixed }) => {
      const g = new Random(RECURRENT_COMBINATIONS.findIndex((c) => c.cell === cell) + 100);
      recurrentCheck(
        backend(),
        recurrentProblem(g, cell, 'float32', { B: 5, T: 7, ...fixed }),
        'float32',
        true,
      );
    },
  );
});

describe('the conformance checks can fail', () => {
  const broken = (patch: Partial<Backend>): Backend => ({ ...ref, ...patch });

  test('a GEMM that drops the last column of an odd-width tile is caught', () => {
    const gemm: Backend['gemm'] = (tA, tB, m, n, k, a, aOff, b, bOff, c, cOff, acc) => {
      ref.gemm(tA, tB, m, n, k, a, aOff, b, bOff, c, cOff, acc);
      if (n % 4 === 1 && m > 0 && k > 0) c[cOff + n - 1] += 1;
    };
    const g = new Random(1);
    expect(() => {
      for (let trial = 0; trial < TRIALS; trial++) CASES.gemm(broken({ gemm }), g, trial);
    }).toThrow(/gemm .*transA/);
  });

  test('a recurrent backward with dL/dh0 off by 1e-3 in one element is caught', () => {
    const recurrentBackward: Backend['recurrentBackward'] = (a) => {
      ref.recurrentBackward(a);
      a.dh0[a.dh0.length - 1] += 1e-3;
    };
    const g = new Random(2);
    expect(() => {
      for (let trial = 0; trial < TRIALS; trial++)
        CASES.recurrentBackward(broken({ recurrentBackward }), g, trial);
    }).toThrow(/dh0/);
  });

  test('a float32 recurrence with one gate off by 1e-4 is outside the derived tolerance', () => {
    const recurrentForward: Backend['recurrentForward'] = (a) => {
      ref.recurrentForward(a);
      a.gates[0] += 1e-4;
    };
    const g = new Random(3);
    expect(() => CASES.recurrentForward(broken({ recurrentForward }), g, 0)).toThrow(/lstm .*float32: gates/);
  });
});

test('setBackend rejects an unknown backend with the list of known ones', () => {
  // js and wasm, and native when the test matrix registered it (tools/vitest/native-backend.ts).
  expect(() => setBackend('cuda')).toThrow(
    `setBackend: expected one of ${listBackends().join(', ')}, got 'cuda'`,
  );
  expect(listBackends().slice(0, 2)).toEqual(['js', 'wasm']);
});
