// Conformance: every registered backend's fast kernels against the reference kernels of the js
// backend, on awkward shapes (sizes not multiples of the tile, transposes, offsets, strides).

import { backend, Generator, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { gemmNaive } from './js/gemm';
import { stridedCopyNaive } from './js/strided';

const g = new Generator(99);
const initial = getBackend().name;
afterEach(() => setBackend(initial));
const fill = (n: number) => Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);

describe.each(listBackends())('backend %s', (name) => {
  test('gemm equals the naive reference for every transpose, odd sizes, offsets and accumulation', () => {
    setBackend(name);
    const kernels = backend();
    for (const [m, n, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [4, 4, 4],
      [9, 6, 13],
      [32, 33, 17],
      [2, 0, 3],
      [3, 2, 0],
    ]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            const a = fill(m * k + 3);
            const b = fill(k * n + 5);
            const c0 = fill(m * n + 2);
            const want = c0.slice();
            const got = c0.slice();
            gemmNaive(transA, transB, m, n, k, a, 3, b, 5, want, 2, accumulate);
            kernels.gemm(transA, transB, m, n, k, a, 3, b, 5, got, 2, accumulate);
            expectClose(
              got,
              want,
              { rtol: 1e-5, atol: 1e-5 },
              `gemm ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate}`,
            );
          }
        }
      }
    }
  });

  test('gemm in float64 is exact to float64 rounding', () => {
    setBackend(name);
    const a = Float64Array.from(fill(6 * 5));
    const b = Float64Array.from(fill(5 * 7));
    const want = new Float64Array(42);
    const got = new Float64Array(42);
    gemmNaive(false, false, 6, 7, 5, a, 0, b, 0, want, 0, false);
    backend().gemm(false, false, 6, 7, 5, a, 0, b, 0, got, 0, false);
    expectClose(got, want, { rtol: 1e-14, atol: 1e-14 });
  });

  test('stridedCopy equals the reference for permutes, flips, broadcasts and offsets', () => {
    setBackend(name);
    const src = fill(2 * 3 * 4 * 5 + 7);
    const views: [number[], number[], number][] = [
      [[5, 4, 3, 2], [1, 5, 20, 60], 0], // full permute
      [[2, 3, 4, 5], [60, 20, 5, 1], 7], // contiguous with offset
      [[2, 3, 4, 5], [60, -20, 5, -1], 7 + 40 + 4], // flips
      [[3, 2, 4], [0, 60, 1], 2], // broadcast leading dim
      [[4, 1, 3], [5, 1, 20], 1],
    ];
    for (const [shape, strides, offset] of views) {
      const n = shape.reduce((p, s) => p * s, 1);
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      stridedCopyNaive({ data: src, offset, strides }, shape, want);
      backend().stridedCopy({ data: src, offset, strides }, shape, got);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});

test('setBackend rejects an unknown backend with the list of known ones', () => {
  expect(() => setBackend('cuda')).toThrow(/setBackend: expected one of js, wasm, got 'cuda'/);
});
