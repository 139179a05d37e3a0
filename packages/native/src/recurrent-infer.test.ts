// The native forward-only recurrence (recurrentInferMany, src/c/recurrent-infer.c): on the anchor
// workloads' batch and hidden sizes (W1, W3: B = 32, H = 256; W2: B = 64, H = 128; fewer steps) and odd ones (H = 37, B = 13),
// padded and packed, forward and reverse, LSTM, GRU (with and without b_hh) and RNN, it gives the
// bits of recurrentForward's out, hN and cN, on 1, 2 and 3 threads (the threads split the batch),
// one direction alone or two written side by side into one output; float64 runs the js kernel;
// bad arguments are typed errors.

import {
  jsBackend,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentInferArgs,
} from '@seqlab/tensor/backend';
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
