import { backend } from '../backend/registry';
import { assertTensor, assertTensorList } from '../check-tensor';
import { isFloating, promoteTypes } from '../dtype';
import { ConfigError, formatShape, ShapeError } from '../errors';
import { defer, pendingOf, readable } from '../pending';
import { viewed } from '../scope';
import { normalizeDim, normalizeDims, numel, sameShape, stridesOf } from '../shape';
import { writableStorage, zeroedStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import { cast } from './elementwise';
import { record } from './record';

/** Normalizes a dim for `op` (negative counts from the end). */
export function dimIndex(op: string, dim: number, rank: number): number {
  return normalizeDim(op, dim, rank);
}

/** Returns a tensor with the same data and `shape` (one entry may be −1: inferred). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('reshape', x);
  const resolved = [...shape];
  const unknown = resolved.indexOf(-1);
  if (resolved.some((s, i) => !Number.isInteger(s) || s < -1 || (s === -1 && i !== unknown))) {
    throw new ShapeError('reshape', 'sizes ≥ 0 with at most one −1', formatShape(shape));
  }
  if (unknown >= 0) {
    const known = numel(resolved.filter((_, i) => i !== unknown));
    if (known === 0 || x.numel % known !== 0) {
      throw new ShapeError(
        'reshape',
        `a shape compatible with ${x.numel} elements`,
        formatShape(shape),
        `Input shape is ${formatShape(x.shape)}`,
      );
    }
    resolved[unknown] = x.numel / known;
  }
  if (numel(resolved) !== x.numel) {
    throw new ShapeError(
      'reshape',
      `a shape with ${x.numel} elements (input ${formatShape(x.shape)})`,
      formatShape(shape),
    );
  }
  if (sameShape(resolved, x.shape)) return x;
  // The same storage, waiting for the same work when x's is pending (NOTE(pending-data)).
  const p = pendingOf(x);
  const out = new Tensor(p ? p.storage : x.data, resolved, x.dtype);
  viewed.add(out.data.buffer);
  if (p) defer(out, p);
  if (!isFloating(x.dtype)) return out;
  return record('reshape', 'reshape', [x], out, {});
}

/** Flattens dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor('flatten', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  if (s > e) throw new ConfigError('flatten', 'startDim ≤ endDim', `startDim=${startDim}, endDim=${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dims (all of them, or only `dim`; a `dim` of another size is left alone, as PyTorch). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  assertTensor('squeeze', x);
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((s) => s !== 1),
    );
  const d = normalizeDim('squeeze', dim, x.ndim);
  if (x.ndim === 0 || x.shape[d] !== 1) return x;
  return reshape(
    x,
    x.shape.filter((_, i) => i !== d),
  );
}

/** Inserts a size-1 dim at `dim` (in [−rank−1, rank]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  assertTensor('unsqueeze', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/**
 * The core movement primitive: reads x's storage as the view (shape, strides, offset). A view that
 * is contiguous shares storage; any other is copied. Its gradient scatters back through the same
 * view (adding where the view repeats an element, as expand does).
 */
export function asStrided(
  op: string,
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  const n = numel(shape);
  const contiguous = stridesOf(shape);
  let isContiguous = true;
  for (let d = 0; d < shape.length; d++)
    if (shape[d] !== 1 && strides[d] !== contiguous[d]) isContiguous = false;
  let out: Tensor;
  // A view reading only computed elements of a pending tensor does not finish it (NOTE(pending-data)).
  const data = readable(x, shape, strides, offset);
  if (isContiguous) {
    out = new Tensor(data.subarray(offset, offset + n), shape, x.dtype);
    viewed.add(data.buffer);
  } else {
    out = new Tensor(writableStorage(x.dtype, n), shape, x.dtype);
    backend().stridedCopy({ data, offset, strides }, shape, out.data);
  }
  if (!isFloating(x.dtype)) return out;
  return record('strided', op, [x], out, { shape: [...shape], strides: [...strides], offset });
}

/** Reorders dims: output dim i is input dim dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor('permute', x);
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      'permute',
      `${x.ndim} dims for a tensor of shape ${formatShape(x.shape)}`,
      `[${dims.join(', ')}]`,
    );
  }
  const order = normalizeDims('permute', dims, x.ndim);
  const strides = stridesOf(x.shape);
  return asStrided(
    'permute',
    x,
    order.map((d) => x.shape[d]),
    order.map((d) => strides[d]),
    0,
  );
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  assertTensor('transpose', x);
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  if (a === b) return x;
  const order = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, order);
}

/** Broadcasts size-1 dims (and new leading dims) to `shape`; −1 keeps a size. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('expand', x);
  if (shape.length < x.ndim) {
    throw new ShapeError(
      'expand',
      `at least ${x.ndim} dims`,
      formatShape(shape),
      `Input shape is ${formatShape(x.shape)}`,
    );
  }
  const lead = shape.length - x.ndim;
  const own = stridesOf(x.shape);
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const want = shape[d];
    if (d < lead) {
      if (want < 0)
        throw new ShapeError('expand', 'non-negative sizes for new leading dims', formatShape(shape));
      outShape.push(want);
      strides.push(0);
      continue;
    }
    const have = x.shape[d - lead];
    if (want === -1 || want === have) {
      outShape.push(have);
      strides.push(own[d - lead]);
    } else if (have === 1 && want >= 0) {
      outShape.push(want);
      strides.push(0);
    } else {
      throw new ShapeError(
        'expand',
        `size ${have} or 1→n at dim ${d}`,
        `${want}`,
        `Cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`,
      );
    }
  }
  if (sameShape(outShape, x.shape)) return x;
  return asStrided('expand', x, outShape, strides, 0);
}

/** The slice start ≤ i < start+length along `dim` (negative start counts from the end). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  assertTensor('narrow', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new ShapeError(
      'narrow',
      `start and length within the size ${size} of dim ${dim}`,
      `start=${start}, length=${length}`,
    );
  }
  const strides = stridesOf(x.shape);
  const shape = x.shape.map((v, i) => (i === d ? length : v));
  return asStrided('narrow', x, shape, strides, s * strides[d]);
}

/** Python-style slice x[start:end:step] along `dim` (negative indices wrap, out-of-range ends clamp, step > 0). */
export function slice(x: Tensor, dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
  assertTensor('slice', x);
  const d = normalizeDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0)
    throw new ConfigError('slice', 'a positive integer step', `${step}`);
  const size = x.shape[d];
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIndex(start);
  const e = Math.max(clampIndex(end), s);
  const length = Math.ceil((e - s) / step);
  const strides = stridesOf(x.shape);
  const shape = x.shape.map((v, i) => (i === d ? length : v));
  return asStrided(
    'slice',
    x,
    shape,
    strides.map((v, i) => (i === d ? v * step : v)),
    s * strides[d],
  );
}

/** The sub-tensor at `index` along `dim`, with that dim removed (x[:, -1] is `select(x, 1, -1)`). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  assertTensor('select', x);
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new ShapeError(
      'select',
      `an index in [${-size}, ${size - 1}] for dim ${dim} of ${formatShape(x.shape)}`,
      `${index}`,
    );
  }
  const i = index < 0 ? index + size : index;
  const strides = stridesOf(x.shape);
  return asStrided(
    'select',
    x,
    x.shape.filter((_, k) => k !== d),
    strides.filter((_, k) => k !== d),
    i * strides[d],
  );
}

/** Reverses the order of elements along `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  assertTensor('flip', x);
  const ds = normalizeDims('flip', dims, x.ndim);
  const strides = stridesOf(x.shape);
  let offset = 0;
  const flipped = strides.map((s, d) => {
    if (!ds.includes(d)) return s;
    offset += (x.shape[d] - 1) * s;
    return -s;
  });
  return asStrided('flip', x, x.shape, flipped, offset);
}

/** Splits into pieces of `splitSize` (the last may be smaller) or of the given section sizes. */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  assertTensor('split', x);
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d];
  let sections: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s <= 0) throw new ConfigError('split', 'a positive split size', `${s}`);
    sections = [];
    for (let i = 0; i < size; i += s) sections.push(Math.min(s, size - i));
    if (size === 0) sections.push(0);
  } else {
    sections = [...splitSizeOrSections];
    const total = sections.reduce((a, b) => a + b, 0);
    if (total !== size || sections.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ShapeError(
        'split',
        `section sizes summing to ${size} (dim ${dim} of ${formatShape(x.shape)})`,
        `[${sections.join(', ')}]`,
      );
    }
  }
  let start = 0;
  return sections.map((length) => {
    const piece = narrow(x, d, start, length);
    start += length;
    return piece;
  });
}

/** Splits into `chunks` pieces of size ceil(n / chunks) (fewer if n is small), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  assertTensor('chunk', x);
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new ConfigError('chunk', 'a positive number of chunks', `${chunks}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** Concatenates tensors of equal shape except along `dim`. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  assertTensorList('cat', tensors);
  if (tensors.length === 0) throw new ShapeError('cat', 'at least one tensor', 'an empty list');
  const first = tensors[0];
  if (first.ndim === 0)
    throw new ShapeError('cat', 'tensors with at least one dim', '0-d tensors', 'Use stack instead');
  const d = normalizeDim('cat', dim, first.ndim);
  let dtype = first.dtype;
  for (const [i, t] of tensors.entries()) {
    dtype = promoteTypes(dtype, t.dtype);
    if (t.ndim !== first.ndim || t.shape.some((s, k) => k !== d && s !== first.shape[k])) {
      throw new ShapeError(
        'cat',
        `tensors matching ${formatShape(first.shape)} except in dim ${dim}`,
        `${formatShape(t.shape)} at position ${i}`,
      );
    }
  }
  const inputs = tensors.map((t) => (t.dtype === dtype ? t : cast(t, dtype)));
  const sizes = inputs.map((t) => t.shape[d]);
  const shape = first.shape.map((s, k) => (k === d ? sizes.reduce((a, b) => a + b, 0) : s));
  // Zeroed: the pieces are added into it (from the pool: a fresh array costs more, NOTE(pool-sizes)).
  const out = new Tensor(zeroedStorage(dtype, numel(shape)), shape, dtype);
  const strides = stridesOf(shape);
  const data = out.data;
  const kernels = backend();
  const copy = ([t, offset]: [Tensor, number]) =>
    kernels.stridedAccumulate(t.data, t.shape, { data, offset, strides });
  // Pending pieces along dim 0 (contiguous blocks of out) stay pending in out (NOTE(pending-data)).
  const late: [Tensor, number][] = [];
  let start = 0;
  for (const t of inputs) {
    const piece: [Tensor, number] = [t, start * strides[d]];
    if (d === 0 && pendingOf(t)) late.push(piece);
    else copy(piece);
    start += t.shape[d];
  }
  if (late[0])
    defer(out, {
      storage: data,
      finish: () => late.forEach(copy),
      complete: (s, e) => late.every(([t, at]) => e <= at || s >= at + t.numel),
    });
  if (!isFloating(dtype)) return out;
  return record('cat', 'cat', inputs, out, { dim: d, sizes });
}

/** Stacks tensors of equal shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  assertTensorList('stack', tensors);
  if (tensors.length === 0) throw new ShapeError('stack', 'at least one tensor', 'an empty list');
  const first = tensors[0];
  for (const [i, t] of tensors.entries()) {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(
        'stack',
        `tensors of equal shape ${formatShape(first.shape)}`,
        `${formatShape(t.shape)} at position ${i}`,
      );
    }
  }
  const d = normalizeDim('stack', dim, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** A copy with its own storage (gradient: identity). */
export function clone(x: Tensor): Tensor {
  assertTensor('clone', x);
  const out = new Tensor(x.data.slice(), x.shape, x.dtype);
  if (!isFloating(x.dtype)) return out;
  return record('reshape', 'clone', [x], out, {});
}
