// gemm.c's pack_b (a transposed B in 4 x 4 register blocks, B as stored four panels at a time)
// gives the js packB's panels float for float, on W1's shapes and on every width and depth edge,
// and writes nothing past them; and gemm with a transposed B keeps the bits of gemm on a copy.
import { Generator } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import { packB } from '../js/gemm';
import { loadWasmKernels } from './index';

const g = new Generator(13);
const fill = (n: number) => Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);
const load = loadWasmKernels();
if (!load.ok) throw new Error(`the wasm kernels must load in Node 20: ${load.reason}`);
const { gemm, module: wasm } = load;

/** The index of the first element that is not Object.is-equal, or -1. */
function firstDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return got.length === want.length ? -1 : want.length;
}

/** pack_b of a random op(B) [k, n] (with −0 and NaN in it) against packB, and 16 floats past it untouched. */
function samePanels(trans: boolean, k: number, n: number) {
  const b = fill(k * n);
  b[0] = -0;
  b[b.length - 1] = Number.NaN;
  const want = packB(trans, k, n, b, 0) as Float32Array;
  const srcAt = wasm.scratch;
  const dstAt = srcAt + ((b.length + 3) & ~3);
  wasm.reserve(dstAt + want.length + 16);
  wasm.resident = null;
  wasm.heap().set(b, srcAt);
  wasm.heap().fill(7, dstAt, dstAt + want.length + 16);
  wasm.exports.pack_b(trans ? 1 : 0, k, n, srcAt * 4, dstAt * 4);
  const got = wasm.heap().subarray(dstAt, dstAt + want.length + 16);
  const what = `pack_b trans=${trans} k=${k} n=${n}: first float that differs`;
  expect(firstDiff(got.subarray(0, want.length), want), what).toBe(-1);
  expect(Array.from(got.subarray(want.length)), `${what}: past the panels`).toEqual(new Array(16).fill(7));
}

/** A [k, n] B transposed to [n, k], exactly (a copy), from `off`. */
function transposed(b: Float32Array, off: number, n: number, k: number): Float32Array {
  const t = new Float32Array(k * n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) t[p * n + j] = b[off + j * k + p];
  return t;
}

describe('wasm pack_b: 4 x 4 blocks of a transposed B, four panels at a time of B as stored', () => {
  test("W1's shapes: the js packB's panels, float for float (Object.is)", () => {
    // As stored: the weight gradients' X over B·T = 1600 rows (I = 128, H = 256, 2H = 512) and the
    // deferred reverse direction's 32 rows. Transposed: W_ih [1024, 128 | 512] and W_hh [1024, 256].
    for (const [trans, k, n] of [
      [false, 1600, 128],
      [false, 1600, 256],
      [false, 1600, 512],
      [false, 32, 512],
      [true, 128, 1024],
      [true, 512, 1024],
      [true, 256, 1024],
      [true, 512, 2],
    ] as const)
      samePanels(trans, k, n);
  });

  test('every edge: n not a multiple of 4 or 16, k not a multiple of 4, k = 1', () => {
    for (const trans of [false, true])
      for (const n of [1, 3, 4, 5, 8, 12, 15, 16, 17, 20, 33, 1024])
        for (const k of [1, 3, 4, 5, 17, 128]) samePanels(trans, k, n);
  });

  test('gemm with a transposed B gives the bits of gemm on a transposed copy of B, every edge', () => {
    // gemm(transB) packs Bᵀ in wasm (pack_b, trans); gemm on Bᵀ copied packs it as stored: the
    // same panels, so the same products. Widths and depths past a multiple of 4, W1's W_ih and W_hh.
    for (const [m, n, k] of [
      [5, 1, 1],
      [6, 3, 5],
      [9, 7, 6],
      [4, 13, 9],
      [33, 1024, 128],
      [32, 1024, 256],
    ]) {
      const a = fill(m * k);
      const b = fill(n * k + 2);
      const want = new Float32Array(m * n);
      const got = new Float32Array(m * n);
      gemm(false, false, m, n, k, a, 0, transposed(b, 2, n, k), 0, want, 0, false);
      gemm(false, true, m, n, k, a, 0, b, 2, got, 0, false);
      expect(firstDiff(got, want), `gemm tB ${m}x${n}x${k}: first element that differs`).toBe(-1);
    }
  });
});
