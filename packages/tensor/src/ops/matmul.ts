import { backend } from '../backend/registry';
import { assertTensor } from '../check-tensor';
import { assertFloating, type FloatStorage } from '../dtype';
import { DTypeError, formatShape, ShapeError } from '../errors';
import { broadcastShapes, broadcastStrides, numel } from '../shape';
import { empty, type Tensor } from '../tensor';
import { reshape, squeeze, unsqueeze } from './movement';
import { record } from './record';

/**
 * Matrix product with torch.matmul's rules: 1-D·1-D is a dot product, 2-D@2-D a matrix product,
 * 1-D operands get a dim prepended (left) or appended (right) and removed again, and leading
 * (batch) dims broadcast.
 *
 * @example
 * ```ts
 * matmul(zeros([32, 50, 100]), zeros([100, 256])).shape; // [32, 50, 256]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensor('matmul', a, 'input');
  assertTensor('matmul', b, 'other');
  assertFloating('matmul', a.dtype, 'left operand');
  assertFloating('matmul', b.dtype, 'right operand');
  if (a.dtype !== b.dtype)
    throw new DTypeError('matmul', `operands of one dtype`, `${a.dtype} and ${b.dtype}`);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      'matmul',
      'operands with at least one dim',
      `${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (ka !== kb) {
    throw new ShapeError(
      'matmul',
      'inner sizes to match',
      `${formatShape(a.shape)} by ${formatShape(b.shape)}: inner sizes ${ka} and ${kb} differ`,
    );
  }
  if (a.ndim === 1 && b.ndim === 1) return reshape(matmul2(reshape(a, [1, ka]), reshape(b, [kb, 1])), []);
  if (a.ndim === 1) return squeeze(matmul2(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(matmul2(a, unsqueeze(b, 1)), -1);
  return matmul2(a, b);
}

/** The primitive: a [..., m, k] @ b [..., k, n] with broadcast batch dims. */
function matmul2(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const n = b.shape[b.ndim - 1];
  const kernels = backend();
  if (b.ndim === 2) {
    // Fold every leading dim of a into the rows: one GEMM.
    const out = empty([...a.shape.slice(0, -1), n], a.dtype);
    const rows = numel(a.shape.slice(0, -1));
    kernels.gemm(
      false,
      false,
      rows,
      n,
      k,
      a.data as FloatStorage,
      0,
      b.data as FloatStorage,
      0,
      out.data as FloatStorage,
      0,
      false,
    );
    return record('matmul', 'matmul', [a, b], out, {});
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', batchA, batchB);
  const out = empty([...batch, m, n], a.dtype);
  const strideA = broadcastStrides(batchA, batch);
  const strideB = broadcastStrides(batchB, batch);
  const count = numel(batch);
  const pos = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < count; i++) {
    let offA = 0;
    let offB = 0;
    for (let d = 0; d < batch.length; d++) {
      offA += pos[d] * strideA[d];
      offB += pos[d] * strideB[d];
    }
    kernels.gemm(
      false,
      false,
      m,
      n,
      k,
      a.data as FloatStorage,
      offA * m * k,
      b.data as FloatStorage,
      offB * k * n,
      out.data as FloatStorage,
      i * m * n,
      false,
    );
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++pos[d] < batch[d]) break;
      pos[d] = 0;
    }
  }
  return record('matmul', 'matmul', [a, b], out, {});
}
