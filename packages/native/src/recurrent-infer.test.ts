// The native forward-only recurrence (recurrentInferMany, src/c/recurrent-infer.c): on the anchor
// workloads' batch and hidden sizes (W1, W3: B = 32, H = 256; W2: B = 64, H = 128; fewer steps) and odd ones (H = 37, B = 13;
// H = 300, whose step sums two 256-deep blocks of k),
// padded and packed, forward and reverse, LSTM, GRU (with and without b_hh) and RNN, it gives the
// bits of recurrentForward's out, hN and cN, on 1, 2 and 3 threads (the threads split the batch),
// one direction alone or two written side by side into one output; float64 runs the js kernel;
// bad arguments are typed errors.
//
// The fused input projection (recurrentInferInputMany: x and W_ih in place of xProj, the
// projection made inside a chunk of steps at a time): on W1's layers (I = 128, then 512: two of the
// GEMM's 256-deep blocks of k), W2 (I = 64) and odd shapes (I = 300, 5, 0; no, one or two biases),
// it gives the bits of linear's xProj (the native gemm, then each bias added) fed to
// recurrentInferMany, on 1, 2 and 3 threads, both directions side by side; and the js backend's
// results (float64 sums, rounded once) within float32 bounds. x and out may be in batch-first row
// order (a padded batch): the same bits, rows permuted.

import {
  jsBackend,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentInferArgs,
  type RecurrentInferInputArgs,
} from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import type { NativeIsa } from './addon';
import { createNativeBackend } from './backend';
import { loadNative } from './load';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

interface Problem {
  name: string;
  cell: RecurrentCell;
  H: number;
  B: number;
  lengths: number[];
  bias?: boolean;
}

function values(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i * 12.9898 + seed * 78.233));
}

/** The inputs of one direction: xProj, W_hh, b_hh, h0, c0 and the batch sizes. */
function inputs(p: Problem, reverse: boolean, seed: number) {
  const T = p.lengths[0];
  const batchSizes = Int32Array.from({ length: T }, (_, t) => p.lengths.filter((l) => l > t).length);
  const N = p.lengths.reduce((s, l) => s + l, 0);
  const GH = RECURRENT_GATES[p.cell] * p.H;
  const w = 1 / Math.sqrt(p.H);
  return {
    N,
    batchSizes,
    reverse,
    xProj: values(N * GH, seed + 1, 1.5),
    wHh: values(GH * p.H, seed + 2, w),
    bHh: p.cell === 'gru' && p.bias !== false ? values(GH, seed + 3, w) : null,
    h0: values(p.B * p.H, seed + 5),
    c0: p.cell === 'lstm' ? values(p.B * p.H, seed + 6) : null,
  };
}
type Inputs = ReturnType<typeof inputs>;

/** recurrentForward's out, hN, cN for one direction. */
function forward(backend: ReturnType<typeof createNativeBackend>, p: Problem, x: Inputs) {
  const { N } = x;
  const { H, B, cell } = p;
  const GH = RECURRENT_GATES[cell] * H;
  const a = {
    cell,
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: x.batchSizes,
    reverse: x.reverse,
    xProj: x.xProj.slice(),
    wHh: x.wHh,
    bHh: x.bHh,
    wHr: null,
    h0: x.h0,
    c0: x.c0,
    out: new Float32Array(N * H),
    hN: new Float32Array(B * H),
    cN: cell === 'lstm' ? new Float32Array(B * H) : null,
    gates: new Float32Array(N * GH),
    hPrev: new Float32Array(N * H),
    cells: cell === 'lstm' ? new Float32Array(N * H) : null,
    cPrev: cell === 'lstm' ? new Float32Array(N * H) : null,
    hFull: null,
    hhN: cell === 'gru' ? new Float32Array(N * H) : null,
  };
  backend.recurrentForward(a);
  return a;
}

/** recurrentInferMany's arguments for direction d of D into one [N, D·H + pad] output. */
function inferArgs(
  p: Problem,
  x: Inputs,
  out: Float32Array,
  stride: number,
  offset: number,
): RecurrentInferArgs {
  return {
    cell: p.cell,
    hidden: p.H,
    batch: p.B,
    batchSizes: x.batchSizes,
    reverse: x.reverse,
    xProj: x.xProj.slice(),
    wHh: x.wHh,
    bHh: x.bHh,
    h0: x.h0,
    c0: x.c0,
    out,
    outStride: stride,
    outOffset: offset,
    hN: new Float32Array(p.B * p.H),
    cN: p.cell === 'lstm' ? new Float32Array(p.B * p.H) : null,
  };
}

/** Whether two arrays hold the same bits (toEqual is slow on arrays this big). */
function sameBits(a: Float32Array | Float64Array | null, b: Float32Array | Float64Array | null): boolean {
  if (a === null || b === null) return a === b;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y) === 0;
}

/** Columns [offset, offset + H) of every row of a strided output. */
function columns(out: Float32Array, N: number, stride: number, offset: number, H: number): Float32Array {
  const got = new Float32Array(N * H);
  for (let r = 0; r < N; r++) got.set(out.subarray(r * stride + offset, r * stride + offset + H), r * H);
  return got;
}

const problems: Problem[] = [
  { name: 'W1 layer', cell: 'lstm', H: 256, B: 32, lengths: Array(32).fill(10) },
  { name: 'W2', cell: 'lstm', H: 128, B: 64, lengths: Array(64).fill(16) },
  { name: 'W3 layer', cell: 'gru', H: 256, B: 32, lengths: Array(32).fill(8) },
  {
    name: 'W1-packed lengths',
    cell: 'lstm',
    H: 64,
    B: 32,
    lengths: Array.from({ length: 32 }, (_, i) => 20 - Math.floor((i * 15) / 31)),
  },
  { name: 'odd packed', cell: 'lstm', H: 37, B: 13, lengths: [9, 9, 8, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1] },
  { name: 'odd packed', cell: 'gru', H: 37, B: 13, lengths: [9, 9, 8, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1] },
  { name: 'odd, no b_hh', cell: 'gru', H: 21, B: 17, lengths: Array(17).fill(7), bias: false },
  { name: 'odd packed', cell: 'rnn_tanh', H: 37, B: 13, lengths: [9, 9, 8, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1] },
  { name: 'odd', cell: 'rnn_relu', H: 45, B: 19, lengths: Array(19).fill(6) },
  { name: 'unbatched', cell: 'lstm', H: 33, B: 1, lengths: [8] },
  // H > 256: the step's product sums two of the GEMM's 256-deep blocks of k into each gate.
  { name: 'two blocks of k', cell: 'lstm', H: 300, B: 11, lengths: [5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1] },
];

describe.skipIf(!load.ok)(`the native forward-only recurrence${skipped}`, () => {
  if (!load.ok) return;
  const addon = load.addon;
  const native = createNativeBackend(addon);
  const infer = native.recurrentInferMany as NonNullable<typeof native.recurrentInferMany>;
  const initialIsa = addon.gemmInfo().isa;
  const initialThreads = addon.threads();
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => {
    const ok = addon.setIsa(isa);
    addon.setIsa(initialIsa);
    return ok;
  });

  describe.each(isas)('with the %s GEMM', (isa) => {
    test.each(problems)(
      '$name: $cell H=$H B=$B lengths $lengths.length..: the bits of recurrentForward, both directions in one output, on 1, 2 and 3 threads',
      (p) => {
        addon.setIsa(isa);
        try {
          const x = [inputs(p, false, 0), inputs(p, true, 10)];
          addon.setThreads(1);
          const want = x.map((d) => forward(native, p, d));
          const { N } = x[0];
          for (const threads of [1, 2, 3]) {
            addon.setThreads(threads);
            // Two directions side by side, with a column on each side that no direction owns.
            const stride = 2 * p.H + 2;
            const out = new Float32Array(N * stride).fill(7);
            const args = x.map((d, i) => inferArgs(p, d, out, stride, 1 + i * p.H));
            infer(args);
            args.forEach((a, i) => {
              const label = `${threads} threads, ${i ? 'reverse' : 'forward'}`;
              expect(sameBits(columns(out, N, stride, a.outOffset, p.H), want[i].out), `${label}: out`).toBe(
                true,
              );
              expect(sameBits(a.hN, want[i].hN), `${label}: hN`).toBe(true);
              expect(sameBits(a.cN as Float32Array | null, want[i].cN), `${label}: cN`).toBe(true);
            });
            let untouched = true;
            for (let r = 0; r < N; r++)
              untouched &&= out[r * stride] === 7 && out[r * stride + stride - 1] === 7;
            expect(untouched, 'the columns no direction owns are left as they were').toBe(true);
            // One direction alone, in a plain [N, H] output.
            const alone = new Float32Array(N * p.H);
            const a = inferArgs(p, x[1], alone, p.H, 0);
            infer([a]);
            expect(sameBits(alone, want[1].out), `${threads} threads alone: out`).toBe(true);
            expect(sameBits(a.hN as Float32Array, want[1].hN), `${threads} threads alone: hN`).toBe(true);
          }
        } finally {
          addon.setIsa(initialIsa);
          addon.setThreads(initialThreads);
        }
      },
    );
  });

  test('reads W_hh, b_hh, h0 and c0 without changing them; float64 runs the js kernel', () => {
    const p = problems[4];
    const x = inputs(p, true, 3);
    const kept = [x.wHh, x.h0, x.c0].map((v) => v?.slice());
    infer([inferArgs(p, x, new Float32Array(x.N * p.H), p.H, 0)]);
    expect([x.wHh, x.h0, x.c0]).toEqual(kept);
    const f64 = (v: Float32Array | null) => (v ? Float64Array.from(v) : null);
    const out = new Float64Array(x.N * (p.H + 1));
    const a = {
      ...inferArgs(p, x, new Float32Array(0), p.H + 1, 1),
      out,
      xProj: f64(x.xProj) as Float64Array,
    };
    Object.assign(a, {
      wHh: f64(x.wHh),
      h0: f64(x.h0),
      c0: f64(x.c0),
      hN: new Float64Array(p.B * p.H),
      cN: new Float64Array(p.B * p.H),
    });
    infer([a]);
    const want = {
      ...a,
      outSize: p.H,
      outStride: p.H, // the reference's own out, rows H apart (a's stride is the inference's)
      wHr: null,
      xProj: f64(x.xProj) as Float64Array,
      out: new Float64Array(x.N * p.H),
      hN: new Float64Array(p.B * p.H),
      cN: new Float64Array(p.B * p.H),
      gates: new Float64Array(x.N * 4 * p.H),
      hPrev: new Float64Array(x.N * p.H),
      cells: new Float64Array(x.N * p.H),
      cPrev: new Float64Array(x.N * p.H),
      hFull: null,
      hhN: null,
    };
    jsBackend.recurrentForward(want);
    expect(Array.from(columns(Float32Array.from(out), x.N, p.H + 1, 1, p.H))).toEqual(
      Array.from(Float32Array.from(want.out)),
    );
    expect(a.hN).toEqual(want.hN);
  });

  test('a wrong output stride, output length or projection is a RangeError naming it', () => {
    const p = problems[4];
    const x = inputs(p, false, 0);
    const good = () => ({ ...inferArgs(p, x, new Float32Array(x.N * p.H), p.H, 0), outSize: p.H });
    expect(() => addon.recurrentInferMany([{ ...good(), outOffset: 1 }])).toThrow(
      /recurrentInferMany: expected outOffset \+ hidden <= outStride/,
    );
    expect(() => addon.recurrentInferMany([{ ...good(), out: new Float32Array(x.N * p.H - 1) }])).toThrow(
      /recurrentInferMany: expected out of \d+ elements \(N x outStride\), got \d+/,
    );
    expect(() => addon.recurrentInferMany([{ ...good(), outSize: p.H - 1 }])).toThrow(RangeError);
    expect(() => addon.recurrentInferMany([{ ...good(), xProj: new Float32Array(3) }])).toThrow(
      /recurrentInferMany: expected xProj of \d+ elements, got 3/,
    );
  });
});

interface InputProblem extends Problem {
  /** I, the input features. */
  I: number;
  /** How many biases are added to x W_ihᵀ (b_ih, then b_hh for LSTM and RNN). */
  biases: number;
}

const inputProblems: InputProblem[] = [
  { name: 'W1 layer 1', cell: 'lstm', H: 256, B: 32, I: 128, biases: 2, lengths: Array(32).fill(9) },
  { name: 'W1 layer 2', cell: 'lstm', H: 256, B: 32, I: 512, biases: 2, lengths: Array(32).fill(9) },
  { name: 'W2', cell: 'lstm', H: 128, B: 64, I: 64, biases: 2, lengths: Array(64).fill(12) },
  { name: 'W3 layer 2', cell: 'gru', H: 256, B: 32, I: 512, biases: 1, lengths: Array(32).fill(6) },
  {
    name: 'W1-packed lengths',
    cell: 'lstm',
    H: 64,
    B: 32,
    I: 40,
    biases: 2,
    lengths: Array.from({ length: 32 }, (_, i) => 20 - Math.floor((i * 15) / 31)),
  },
  {
    name: 'odd packed',
    cell: 'gru',
    H: 37,
    B: 13,
    I: 300,
    biases: 1,
    lengths: [9, 9, 8, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1],
  },
  {
    name: 'odd, one bias',
    cell: 'rnn_tanh',
    H: 37,
    B: 13,
    I: 5,
    biases: 1,
    lengths: [9, 8, 8, 7, 5, 5, 4, 3, 3, 2, 1, 1, 1],
  },
  {
    name: 'odd, no bias, no b_hh',
    cell: 'gru',
    H: 21,
    B: 17,
    I: 7,
    biases: 0,
    lengths: Array(17).fill(7),
    bias: false,
  },
  { name: 'no input features', cell: 'rnn_relu', H: 45, B: 19, I: 0, biases: 2, lengths: Array(19).fill(6) },
  { name: 'unbatched', cell: 'lstm', H: 33, B: 1, I: 20, biases: 2, lengths: [8] },
];

/** x, W_ih and the biases of one direction, beside `inputs`' W_hh, b_hh and states. */
function projectionInputs(p: InputProblem, reverse: boolean, seed: number) {
  const x = inputs(p, reverse, seed);
  const GH = RECURRENT_GATES[p.cell] * p.H;
  const w = 1 / Math.sqrt(Math.max(p.I, 1));
  return {
    ...x,
    x: values(x.N * p.I, seed + 7),
    wIh: values(GH * p.I, seed + 8, w),
    xBiases: Array.from({ length: p.biases }, (_, i) => values(GH, seed + 9 + i, w)),
  };
}

describe.skipIf(!load.ok)(
  `the native forward-only recurrence with the input projection fused in${skipped}`,
  () => {
    if (!load.ok) return;
    const addon = load.addon;
    const native = createNativeBackend(addon);
    const inferInput = native.recurrentInferInputMany as NonNullable<typeof native.recurrentInferInputMany>;
    const infer = native.recurrentInferMany as NonNullable<typeof native.recurrentInferMany>;
    const initialIsa = addon.gemmInfo().isa;
    const initialThreads = addon.threads();
    const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter((isa) => {
      const ok = addon.setIsa(isa);
      addon.setIsa(initialIsa);
      return ok;
    });

    /** xProj as linear makes it on a backend: x W_ihᵀ by its gemm, then each bias added in turn. */
    function project(
      backend: { gemm: typeof native.gemm },
      p: InputProblem,
      x: ReturnType<typeof projectionInputs>,
      F: typeof Float32Array | typeof Float64Array,
    ) {
      const GH = RECURRENT_GATES[p.cell] * p.H;
      const xProj = new F(x.N * GH);
      const data = (v: Float32Array) => (F === Float32Array ? v : Float64Array.from(v));
      backend.gemm(false, true, x.N, GH, p.I, data(x.x), 0, data(x.wIh), 0, xProj, 0, false);
      for (const b of x.xBiases)
        for (let r = 0; r < x.N; r++) for (let j = 0; j < GH; j++) xProj[r * GH + j] += b[j];
      return xProj;
    }

    function inputArgs(
      p: InputProblem,
      x: ReturnType<typeof projectionInputs>,
      out: Float32Array,
      stride: number,
      offset: number,
    ): RecurrentInferInputArgs {
      const { xProj: _unused, ...rest } = inferArgs(p, x, out, stride, offset);
      return { ...rest, x: x.x, inputSize: p.I, wIh: x.wIh, xBiases: x.xBiases };
    }

    describe.each(isas)('with the %s GEMM', (isa) => {
      test.each(inputProblems)(
        '$name: $cell H=$H B=$B I=$I, $biases biases: the bits of linear then recurrentInferMany, both directions, on 1, 2 and 3 threads',
        (p) => {
          addon.setIsa(isa);
          try {
            const x = [projectionInputs(p, false, 0), projectionInputs(p, true, 20)];
            const { N } = x[0];
            const stride = 2 * p.H;
            addon.setThreads(1);
            const wantOut = new Float32Array(N * stride);
            const want = x.map((d, i) => ({
              ...inferArgs(p, d, wantOut, stride, i * p.H),
              xProj: project(native, p, d, Float32Array),
            }));
            infer(want);
            for (const threads of [1, 2, 3]) {
              addon.setThreads(threads);
              const out = new Float32Array(N * stride).fill(Number.NaN);
              const args = x.map((d, i) => inputArgs(p, d, out, stride, i * p.H));
              inferInput(args);
              const label = `${threads} threads`;
              expect(sameBits(out, wantOut), `${label}: out`).toBe(true);
              args.forEach((a, i) => {
                expect(sameBits(a.hN, want[i].hN), `${label}, direction ${i}: hN`).toBe(true);
                expect(
                  sameBits(a.cN as Float32Array | null, want[i].cN),
                  `${label}, direction ${i}: cN`,
                ).toBe(true);
              });
            }
          } finally {
            addon.setIsa(initialIsa);
            addon.setThreads(initialThreads);
          }
        },
      );
    });

    test.each(inputProblems.filter((p) => p.H <= 128 || p.I === 512))(
      '$name: $cell H=$H I=$I against the js backend (float64 sums) within float32 bounds',
      (p) => {
        const x = [projectionInputs(p, false, 0), projectionInputs(p, true, 20)];
        const { N } = x[0];
        const out = new Float32Array(N * 2 * p.H);
        const args = x.map((d, i) => inputArgs(p, d, out, 2 * p.H, i * p.H));
        inferInput(args);
        x.forEach((d, i) => {
          const GH = RECURRENT_GATES[p.cell] * p.H;
          const F = (n: number) => new Float32Array(n);
          const want = {
            ...inferArgs(p, d, F(0), p.H, 0),
            xProj: project(jsBackend, p, d, Float32Array),
            outSize: p.H,
            wHr: null,
            out: F(N * p.H),
            gates: F(N * GH),
            hPrev: F(N * p.H),
            cells: p.cell === 'lstm' ? F(N * p.H) : null,
            cPrev: p.cell === 'lstm' ? F(N * p.H) : null,
            hFull: null,
            hhN: p.cell === 'gru' ? F(N * p.H) : null,
          };
          jsBackend.recurrentForward(want);
          // The js GEMM sums in float64 and rounds once; native sums float32 in 256-deep blocks, and
          // its gate math is float32: the projection alone differs by ~I ulps, carried through T steps.
          const tol = { rtol: 1e-4, atol: 1e-5 };
          expectClose(columns(out, N, 2 * p.H, i * p.H, p.H), want.out, tol, `direction ${i}: out`);
          expectClose(args[i].hN, want.hN, tol, `direction ${i}: hN`);
          if (want.cN) expectClose(args[i].cN as Float32Array, want.cN, tol, `direction ${i}: cN`);
        });
      },
    );

    test.each([inputProblems[1], inputProblems[2], inputProblems[3]])(
      '$name: $cell H=$H B=$B, x and out in batch-first row order: the time-major bits, rows permuted, on 1, 2 and 3 threads',
      (p) => {
        const x = [projectionInputs(p, false, 0), projectionInputs(p, true, 20)];
        const { N } = x[0];
        const [B, T] = [p.B, p.lengths[0]];
        const stride = 2 * p.H;
        // Row b·T + t of the batch-first order is row t·B + b of the time-major one.
        const permute = (src: Float32Array, width: number, toBatchFirst: boolean) => {
          const dst = new Float32Array(src.length);
          for (let t = 0; t < T; t++)
            for (let b = 0; b < B; b++) {
              const [from, to] = toBatchFirst ? [t * B + b, b * T + t] : [b * T + t, t * B + b];
              dst.set(src.subarray(from * width, (from + 1) * width), to * width);
            }
          return dst;
        };
        const wantOut = new Float32Array(N * stride);
        const want = x.map((d, i) => inputArgs(p, d, wantOut, stride, i * p.H));
        inferInput(want);
        try {
          for (const threads of [1, 2, 3]) {
            addon.setThreads(threads);
            for (const [xBatchFirst, outBatchFirst] of [
              [true, true],
              [true, false],
              [false, true],
            ]) {
              const out = new Float32Array(N * stride);
              const args = x.map((d, i) => ({
                ...inputArgs(p, d, out, stride, i * p.H),
                x: xBatchFirst ? permute(d.x, p.I, true) : d.x,
                xBatchFirst,
                outBatchFirst,
              }));
              inferInput(args);
              const label = `${threads} threads, x ${xBatchFirst ? 'batch-first' : 'time-major'}, out ${outBatchFirst ? 'batch-first' : 'time-major'}`;
              expect(
                sameBits(outBatchFirst ? permute(out, stride, false) : out, wantOut),
                `${label}: out`,
              ).toBe(true);
              args.forEach((a, i) => {
                expect(sameBits(a.hN, want[i].hN), `${label}, direction ${i}: hN`).toBe(true);
              });
            }
          }
        } finally {
          addon.setThreads(initialThreads);
        }
      },
    );

    // W2 as `seqlab bench speed` runs it: 64 rows of 100 steps. Each range of 8 rows runs its steps
    // in units of 16 (the fused projection's chunks), and a unit may run on any thread: with 3
    // threads one thread owns fewer ranges and takes units of the others' once its own are done,
    // with 8 (more threads than cores) the machine's scheduling moves units from thread to thread.
    const w2: InputProblem = {
      name: 'W2',
      cell: 'lstm',
      H: 128,
      B: 64,
      I: 64,
      biases: 2,
      lengths: Array(64).fill(100),
    };
    const w2Packed: InputProblem = {
      ...w2,
      name: 'W2 with packed lengths',
      lengths: Array.from({ length: 64 }, (_, i) => 100 - Math.floor((i * 97) / 63)),
    };
    test.each([w2, w2Packed])(
      '$name: T=$lengths.0, one direction and two, fused and from xProj: the bits of one thread on 2, 3, 4 and 8 threads',
      (p) => {
        const x = [projectionInputs(p, false, 0), projectionInputs(p, true, 20)];
        const { N } = x[0];
        const run = (directions: number, fused: boolean) => {
          const stride = directions * p.H;
          const out = new Float32Array(N * stride);
          const dirs = x.slice(0, directions);
          const args = fused
            ? dirs.map((d, i) => inputArgs(p, d, out, stride, i * p.H))
            : dirs.map((d, i) => ({
                ...inferArgs(p, d, out, stride, i * p.H),
                xProj: project(native, p, d, Float32Array),
              }));
          if (fused) inferInput(args as RecurrentInferInputArgs[]);
          else infer(args as RecurrentInferArgs[]);
          return { out, hN: args.map((a) => a.hN), cN: args.map((a) => a.cN as Float32Array) };
        };
        try {
          for (const directions of [1, 2]) {
            for (const fused of [true, false]) {
              addon.setThreads(1);
              const want = run(directions, fused);
              for (const threads of [2, 3, 4, 8]) {
                addon.setThreads(threads);
                const got = run(directions, fused);
                const label = `${directions} direction(s), ${fused ? 'fused' : 'xProj'}, ${threads} threads`;
                expect(sameBits(got.out, want.out), `${label}: out`).toBe(true);
                for (let i = 0; i < directions; i++) {
                  expect(sameBits(got.hN[i], want.hN[i]), `${label}, direction ${i}: hN`).toBe(true);
                  expect(sameBits(got.cN[i], want.cN[i]), `${label}, direction ${i}: cN`).toBe(true);
                }
              }
            }
          }
        } finally {
          addon.setThreads(initialThreads);
        }
      },
    );

    test('batch-first rows with a packed batch are a RangeError', () => {
      const p = inputProblems[4];
      const x = projectionInputs(p, false, 0);
      const args = { ...inputArgs(p, x, new Float32Array(x.N * p.H), p.H, 0), outSize: p.H };
      for (const order of [{ xBatchFirst: true }, { outBatchFirst: true }])
        expect(() => addon.recurrentInferMany([{ ...args, ...order }])).toThrow(
          /recurrentInferMany: expected xBatchFirst and outBatchFirst only with a padded batch/,
        );
    });

    test('reads x, W_ih, the biases, W_hh, h0 and c0 without changing them; float64 runs the js kernels', () => {
      const p = inputProblems[4];
      const x = projectionInputs(p, true, 3);
      const kept = [x.x, x.wIh, ...x.xBiases, x.wHh, x.h0, x.c0].map((v) => v?.slice());
      inferInput([inputArgs(p, x, new Float32Array(x.N * p.H), p.H, 0)]);
      expect([x.x, x.wIh, ...x.xBiases, x.wHh, x.h0, x.c0]).toEqual(kept);
      const f64 = (v: Float32Array | null) => (v ? Float64Array.from(v) : null);
      const a = {
        ...inputArgs(p, x, new Float32Array(0), p.H, 0),
        out: new Float64Array(x.N * p.H),
        x: f64(x.x) as Float64Array,
        wIh: f64(x.wIh) as Float64Array,
        xBiases: x.xBiases.map((b) => f64(b) as Float64Array),
        wHh: f64(x.wHh) as Float64Array,
        h0: f64(x.h0) as Float64Array,
        c0: f64(x.c0),
        hN: new Float64Array(p.B * p.H),
        cN: new Float64Array(p.B * p.H),
      };
      inferInput([a]);
      const want = {
        ...a,
        xProj: project(jsBackend, p, x, Float64Array),
        outSize: p.H,
        wHr: null,
        out: new Float64Array(x.N * p.H),
        hN: new Float64Array(p.B * p.H),
        cN: new Float64Array(p.B * p.H),
        gates: new Float64Array(x.N * 4 * p.H),
        hPrev: new Float64Array(x.N * p.H),
        cells: new Float64Array(x.N * p.H),
        cPrev: new Float64Array(x.N * p.H),
        hFull: null,
        hhN: null,
      };
      jsBackend.recurrentForward(want);
      expect(a.out).toEqual(want.out);
      expect(a.hN).toEqual(want.hN);
    });

    test('a wrong x, W_ih or bias length, or more than two biases, is a RangeError naming it', () => {
      const p = inputProblems[4];
      const x = projectionInputs(p, false, 0);
      const good = () => ({ ...inputArgs(p, x, new Float32Array(x.N * p.H), p.H, 0), outSize: p.H });
      expect(() => addon.recurrentInferMany([{ ...good(), x: new Float32Array(5) }])).toThrow(
        /recurrentInferMany: expected x of \d+ elements, got 5/,
      );
      expect(() => addon.recurrentInferMany([{ ...good(), wIh: new Float32Array(7) }])).toThrow(
        /recurrentInferMany: expected wIh of \d+ elements, got 7/,
      );
      expect(() =>
        addon.recurrentInferMany([{ ...good(), xBiases: [x.xBiases[0], new Float32Array(3)] }]),
      ).toThrow(/recurrentInferMany: expected xBiases\[1\] of \d+ elements, got 3/);
      expect(() =>
        addon.recurrentInferMany([{ ...good(), xBiases: [x.xBiases[0], x.xBiases[0], x.xBiases[0]] }]),
      ).toThrow(/recurrentInferMany: expected xBiases to be an array of at most 2 Float32Arrays/);
      expect(() => addon.recurrentInferMany([{ ...good(), inputSize: -1 }])).toThrow(
        /recurrentInferMany: expected inputSize >= 0, got -1/,
      );
    });
  },
);
