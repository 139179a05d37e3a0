import { describeValue, isTensorLike } from './describe-value';
import { ConfigError } from './errors';
import { Tensor } from './tensor';

/** What the argument holds, for `assertTensor`'s hint: values, or class indices (int32). */
export type TensorRole = 'values' | 'indices';

/**
 * Throws a ConfigError unless `value` is a Tensor. The one check behind every public op, layer
 * forward and loss that takes tensors, so a plain array, a number or undefined is named in the
 * message with a hint how to make a tensor of it:
 * `tanh: expected input to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])`.
 *
 * @example
 * ```ts
 * assertTensor('crossEntropy', target, 'target', 'indices');
 * // crossEntropy: expected target to be a Tensor, got an Array of 3 numbers.
 * //   Make integer indices with tensor([0, 1, 1], { dtype: 'int32' })
 * ```
 */
export function assertTensor(
  op: string,
  value: unknown,
  what = 'input',
  role: TensorRole = 'values',
): asserts value is Tensor {
  if (value instanceof Tensor) return;
  const given = isTensorLike(value)
    ? 'a Tensor from another copy of @seqlab/tensor (ESM and CJS builds mixed?)'
    : describeValue(value);
  throw new ConfigError(op, `${what} to be a Tensor`, given, tensorHint(value, role));
}

/** Like `assertTensor` for a number or a Tensor (the operands of `add`, `mul`, …). */
export function assertTensorOrNumber(
  op: string,
  value: unknown,
  what: string,
): asserts value is Tensor | number {
  if (value instanceof Tensor || typeof value === 'number') return;
  throw new ConfigError(
    op,
    `${what} to be a Tensor or a number`,
    describeValue(value),
    tensorHint(value, 'values'),
  );
}

/** Throws a ConfigError unless `values` is an Array of Tensors (the argument of `cat`, `stack`). */
export function assertTensorList(op: string, values: unknown, what = 'tensors'): asserts values is Tensor[] {
  if (!Array.isArray(values)) {
    throw new ConfigError(
      op,
      `${what} to be an Array of Tensors`,
      describeValue(values),
      tensorHint(values, 'values'),
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] instanceof Tensor)) {
      throw new ConfigError(
        op,
        `${what}[${i}] to be a Tensor`,
        describeValue(values[i]),
        tensorHint(values[i], 'values'),
      );
    }
  }
}

/** Nested arrays of numbers only (what `tensor()` takes). */
function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (Array.isArray(value)) return value.length > 0 && value.every(isNumeric);
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function tensorHint(value: unknown, role: TensorRole): string | undefined {
  const dtype = role === 'indices' ? ", { dtype: 'int32' }" : '';
  const what = role === 'indices' ? 'Make integer indices with' : 'Make one with';
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Tensor)) {
    return 'Combine them with stack(...) or cat(...) first';
  }
  if (!isNumeric(value)) return role === 'indices' ? `${what} tensor([0, 1, 1]${dtype})` : undefined;
  const literal = ArrayBuffer.isView(value) ? 'values' : JSON.stringify(value).replaceAll(',', ', ');
  const shown = literal.length <= 40 ? literal : 'values';
  return `${what} tensor(${shown}${dtype})`;
}
