import { type DType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { Tensor } from '../tensor';

/** A number becomes a 0-d tensor of `like`'s dtype (float32 when `like` is integral and `x` is not). */
export function asTensor(x: Tensor | number, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  let dtype: DType = like.dtype;
  if ((dtype === 'int32' || dtype === 'bool') && !Number.isInteger(x)) dtype = 'float32';
  if (dtype === 'bool') dtype = 'int32';
  const data =
    dtype === 'float64'
      ? new Float64Array([x])
      : dtype === 'int32'
        ? new Int32Array([x])
        : new Float32Array([x]);
  return new Tensor(data, [], dtype);
}

/** Throws unless `t` is an int32 tensor (indices). */
export function assertIndex(op: string, t: Tensor, what = 'index'): void {
  if (t.dtype !== 'int32') {
    throw new DTypeError(op, `an int32 ${what} tensor`, t.dtype, 'Create indices with { dtype: "int32" }');
  }
}

/** The common dtype of two operands, as torch's type promotion for same-kind tensors. */
export function commonType(a: Tensor, b: Tensor): DType {
  return promoteTypes(a.dtype, b.dtype);
}
