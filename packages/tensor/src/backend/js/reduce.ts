import type { Storage } from '../../dtype';
import type { ReduceOp } from '../backend';
import { coalesce, contiguousStrides } from './strided';

/**
 * Reduces x over the flagged dims. Walks x in storage order and keeps an odometer on the output
 * position (stride 0 along reduced dims). Sums accumulate in float64 and are rounded once.
 */
export function reduce(
  op: ReduceOp,
  x: Storage,
  shape: readonly number[],
  reduced: readonly boolean[],
  out: Storage,
): void {
  const outSize = out.length;
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
  const acc = new Float64Array(outSize).fill(init);
  if (x.length > 0) {
    // Output strides over the input's dims: 0 where reduced, contiguous over kept dims otherwise.
    const kept = shape.map((s, d) => (reduced[d] ? 1 : s));
    const keptStrides = contiguousStrides(kept).map((s, d) => (reduced[d] ? 0 : s));
    const [dims, [, os]] = coalesce(shape, [contiguousStrides(shape), keptStrides]);
    const rank = dims.length;
    const n = dims[rank - 1];
    const step = os[rank - 1];
    const idx = new Int32Array(rank);
    let oo = 0;
    for (let xi = 0; xi < x.length; xi += n) {
      if (op === 'sum') {
        if (step === 0) {
          let s = 0;
          for (let j = 0; j < n; j++) s += x[xi + j];
          acc[oo] += s;
        } else {
          for (let j = 0, p = oo; j < n; j++, p += step) acc[p] += x[xi + j];
        }
      } else if (op === 'max') {
        for (let j = 0, p = oo; j < n; j++, p += step) {
          const v = x[xi + j];
          if (v > acc[p] || v !== v) acc[p] = v;
        }
      } else {
        for (let j = 0, p = oo; j < n; j++, p += step) {
          const v = x[xi + j];
          if (v < acc[p] || v !== v) acc[p] = v;
        }
      }
      for (let d = rank - 2; d >= 0; d--) {
        oo += os[d];
        if (++idx[d] < dims[d]) break;
        oo -= os[d] * dims[d];
        idx[d] = 0;
      }
    }
  }
  for (let i = 0; i < outSize; i++) out[i] = acc[i];
}

/** Index of the first extremum along the middle axis of [outer, size, inner]; NaN counts as the extremum. */
export function argReduce(
  op: 'argmax' | 'argmin',
  x: Storage,
  outer: number,
  size: number,
  inner: number,
  out: Int32Array,
): void {
  const sign = op === 'argmax' ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      let best = 0;
      let bestValue = x[base] * sign;
      if (bestValue === bestValue) {
        for (let i = 1; i < size; i++) {
          const v = x[base + i * inner] * sign;
          if (v > bestValue || v !== v) {
            best = i;
            bestValue = v;
            if (v !== v) break;
          }
        }
      }
      out[o * inner + j] = best;
    }
  }
}
