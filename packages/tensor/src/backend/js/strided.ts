import type { Storage } from '../../dtype';
import type { StridedView } from '../backend';

/**
 * Merges adjacent dimensions that are contiguous in every view (stride[d] = stride[d+1] * size[d+1]),
 * so a contiguous tensor becomes one long row and a bias add [B, H] + [H] becomes two dims. Size-1
 * dims are dropped. Returns the merged shape and one stride list per view.
 */
export function coalesce(
  shape: readonly number[],
  views: readonly (readonly number[])[],
): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let v = 0; merge && v < views.length; v++) {
      const s = outStrides[v];
      if (s[last] !== views[v][d] * size) merge = false;
    }
    if (merge) {
      outShape[last] = outShape[last] * size;
      for (let v = 0; v < views.length; v++) outStrides[v][last] = views[v][d];
    } else {
      outShape.push(size);
      for (let v = 0; v < views.length; v++) outStrides[v].push(views[v][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(0);
  }
  return [outShape, outStrides];
}

/** Contiguous (row-major) strides as a view description. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * out[to + j] = x[from + j] for j < n. A long row from another buffer is one `set`: a memcpy between
 * float32 arrays, about twice the loop's speed, and the same conversion as assignment otherwise.
 */
export function copyRow(x: Storage, from: number, out: Storage, to: number, n: number): void {
  if (n > 63 && x.buffer !== out.buffer) out.set(x.subarray(from, from + n), to);
  else for (let j = 0; j < n; j++) out[to + j] = x[from + j];
}

/** Strided copy, a row at a time over coalesced dims. */
export function stridedCopy(src: StridedView, shape: readonly number[], out: Storage): void {
  const total = out.length;
  if (total === 0) return;
  const [dims, [strides]] = coalesce(shape, [src.strides]) as [number[], [number[]]];
  const rank = dims.length;
  const n = dims[rank - 1];
  const step = strides[rank - 1];
  const data = src.data;
  const idx = new Int32Array(rank);
  let off = src.offset;
  for (let o = 0; o < total; o += n) {
    if (step === 1) {
      copyRow(data, off, out, o, n);
    } else {
      for (let j = 0, p = off; j < n; j++, p += step) out[o + j] = data[p];
    }
    for (let d = rank - 2; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/** dst[view] += src (contiguous), repeated positions (stride 0) accumulating. */
export function stridedAccumulate(src: Storage, shape: readonly number[], dst: StridedView): void {
  const total = src.length;
  if (total === 0) return;
  const [dims, [strides]] = coalesce(shape, [dst.strides]) as [number[], [number[]]];
  const rank = dims.length;
  const n = dims[rank - 1];
  const step = strides[rank - 1];
  const data = dst.data;
  const idx = new Int32Array(rank);
  let off = dst.offset;
  for (let o = 0; o < total; o += n) {
    if (step === 0) {
      let s = 0;
      for (let j = 0; j < n; j++) s += src[o + j];
      data[off] += s;
    } else {
      // Four at a time, in order (NOTE(unrolled-rows)).
      let j = 0;
      for (let p = off; j < n - 3; j += 4, p += 4 * step) {
        data[p] += src[o + j];
        data[p + step] += src[o + j + 1];
        data[p + 2 * step] += src[o + j + 2];
        data[p + 3 * step] += src[o + j + 3];
      }
      for (let p = off + j * step; j < n; j++, p += step) data[p] += src[o + j];
    }
    for (let d = rank - 2; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}
