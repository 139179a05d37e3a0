import { backend } from '../backend/registry';
import { assertTensor } from '../check-tensor';
import { allocate, isFloating } from '../dtype';
import { formatShape, ShapeError } from '../errors';
import { normalizeDim, numel } from '../shape';
import { Tensor } from '../tensor';
import { cast } from './elementwise';
import { narrow } from './movement';
import { record } from './record';
import { assertIndex } from './util';

function checkRange(op: string, index: Int32Array, size: number, dim: number): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (v < 0 || v >= size) {
      throw new ShapeError(op, `indices in [0, ${size - 1}] for dim ${dim}`, `index ${v} at position ${i}`);
    }
  }
}

/** Picks the entries `index` (int32, 1-D) along `dim`: the embedding lookup is indexSelect(weight, 0, ids). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor('indexSelect', x);
  assertTensor('indexSelect', index, 'index', 'indices');
  assertIndex('indexSelect', index);
  if (index.ndim > 1)
    throw new ShapeError('indexSelect', 'a 0-d or 1-D index', `shape ${formatShape(index.shape)}`);
  const d = normalizeDim('indexSelect', dim, x.ndim);
  const size = x.shape[d] ?? 1; // rank 0: one element
  const ids = index.data as Int32Array;
  checkRange('indexSelect', ids, size, dim);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const shape = x.ndim === 0 ? [...index.shape] : x.shape.map((s, i) => (i === d ? ids.length : s));
  const out = new Tensor(allocate(x.dtype, numel(shape)), shape, x.dtype);
  backend().indexSelect(x.data, outer, size, inner, ids, out.data);
  if (!isFloating(x.dtype)) return out;
  return record('indexSelect', 'indexSelect', [x], out, { dim: d, index: ids, outer, size, inner });
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor, what: string): void {
  if (index.ndim !== x.ndim || index.shape.some((s, k) => k !== d && s > x.shape[k])) {
    throw new ShapeError(
      op,
      `an index of rank ${x.ndim} no larger than ${what} ${formatShape(x.shape)} outside dim ${d}`,
      formatShape(index.shape),
    );
  }
}

/** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for dim 1, and so on. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor('gather', x);
  assertTensor('gather', index, 'index', 'indices');
  assertIndex('gather', index);
  const d = normalizeDim('gather', dim, x.ndim);
  checkGatherShapes('gather', x, d, index, 'the input');
  checkRange('gather', index.data as Int32Array, x.shape[d], dim);
  const out = new Tensor(allocate(x.dtype, index.numel), index.shape, x.dtype);
  backend().gather(x.data, x.shape, d, index.data as Int32Array, index.shape, out.data);
  if (!isFloating(x.dtype)) return out;
  return record('gather', 'gather', [x], out, { dim: d, index });
}

/**
 * torch.scatter_add (out of place): a copy of x where x[..., index[p], ...] += src[p] along `dim`;
 * the embedding gradient is this op. Gradients flow to x (identity) and to src (a gather).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  assertTensor('scatterAdd', x);
  assertTensor('scatterAdd', index, 'index', 'indices');
  assertTensor('scatterAdd', src, 'src');
  assertIndex('scatterAdd', index);
  const d = normalizeDim('scatterAdd', dim, x.ndim);
  checkGatherShapes('scatterAdd', x, d, index, 'the input');
  if (src.ndim !== index.ndim || index.shape.some((s, k) => s > src.shape[k])) {
    throw new ShapeError(
      'scatterAdd',
      `src at least as large as the index ${formatShape(index.shape)}`,
      formatShape(src.shape),
    );
  }
  checkRange('scatterAdd', index.data as Int32Array, x.shape[d], dim);
  let s = src.dtype === x.dtype ? src : cast(src, x.dtype);
  for (let k = 0; k < s.ndim; k++) if (s.shape[k] !== index.shape[k]) s = narrow(s, k, 0, index.shape[k]);
  const out = new Tensor(x.data.slice(), x.shape, x.dtype);
  backend().scatterAdd(out.data, out.shape, d, index.data as Int32Array, index.shape, s.data);
  if (!isFloating(x.dtype)) return out;
  return record('scatterAdd', 'scatterAdd', [x, s], out, { dim: d, index });
}
