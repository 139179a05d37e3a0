import type { FloatStorage, Storage } from '../../dtype';
import { contiguousStrides, copyRow } from './strided';

/** out[o, i, j] = x[o, index[i], j] with x [outer, size, inner]. */
export function indexSelect(
  x: Storage,
  outer: number,
  size: number,
  inner: number,
  index: Int32Array,
  out: Storage,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) copyRow(x, (o * size + index[i]) * inner, out, (o * m + i) * inner, inner);
  }
}

/**
 * dst[o, index[i], j] += src[o, i, j] with dst [outer, size, inner]. Rows four elements an
 * iteration (NOTE(unrolled-rows); the embedding's backward: 1,600 rows of 128 a W1 step), the
 * same adds in the same order as one at a time, so the same bits even where src overlaps dst.
 */
export function indexAdd(
  dst: FloatStorage,
  outer: number,
  size: number,
  inner: number,
  index: Int32Array,
  src: FloatStorage,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      let d = (o * size + index[i]) * inner;
      let s = (o * m + i) * inner;
      for (const e = d + inner - 3; d < e; d += 4, s += 4) {
        dst[d] += src[s];
        dst[d + 1] += src[s + 1];
        dst[d + 2] += src[s + 2];
        dst[d + 3] += src[s + 3];
      }
      for (let j = 0; j < inner % 4; j++) dst[d + j] += src[s + j];
    }
  }
}

/** Walks every position of `indexShape`, calling back with (flat index position, offset in the other tensor). */
function forEachIndexed(
  otherShape: readonly number[],
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  visit: (i: number, offset: number) => void,
): void {
  const rank = indexShape.length;
  const strides = contiguousStrides(otherShape);
  const pos = new Int32Array(rank);
  for (let i = 0; i < index.length; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === dim ? index[i] : pos[d]) * strides[d];
    visit(i, off);
    for (let d = rank - 1; d >= 0; d--) {
      if (++pos[d] < indexShape[d]) break;
      pos[d] = 0;
    }
  }
}

/** torch.gather: out[p] = x[p with p[dim] replaced by index[p]]. */
export function gather(
  x: Storage,
  xShape: readonly number[],
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  out: Storage,
): void {
  forEachIndexed(xShape, dim, index, indexShape, (i, off) => {
    out[i] = x[off];
  });
}

/** torch.scatter_add_: dst[p with p[dim] replaced by index[p]] += src[p], in place. */
export function scatterAdd(
  dst: Storage,
  dstShape: readonly number[],
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  src: Storage,
): void {
  forEachIndexed(dstShape, dim, index, indexShape, (i, off) => {
    dst[off] += src[i];
  });
}
