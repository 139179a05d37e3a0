import type { OptimizerStateDict } from '@seqlab/optim';
import { FormatError, Tensor } from '@seqlab/tensor';

/** A state buffer moved out of the JSON into checkpoint/optimizer.<id>.safetensors. */
interface TensorRef {
  $tensor: string;
}

function isTensorRef(value: unknown): value is TensorRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { $tensor?: unknown }).$tensor === 'string'
  );
}

/**
 * Splits an optimizer state dict into small JSON (options, steps) and its per-parameter buffers,
 * so a checkpoint stores Adam's moments as safetensors (float32, a few MB) instead of tens of MB of
 * JSON numbers. `stateDict()` hands out the optimizer's own float32 buffers as tensors, so nothing
 * is copied or converted here: the safetensors writer reads them as they are, and a resumed run
 * stays bit-identical.
 */
export function splitOptimizerState(state: OptimizerStateDict): {
  json: OptimizerStateDict;
  tensors: Map<string, Tensor>;
} {
  const tensors = new Map<string, Tensor>();
  const out: OptimizerStateDict = { ...state, state: {} };
  for (const [index, entry] of Object.entries(state.state)) {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value instanceof Tensor) {
        const name = `state.${index}.${key}`;
        tensors.set(name, value);
        copy[key] = { $tensor: name } satisfies TensorRef;
      } else {
        copy[key] = value;
      }
    }
    out.state[index] = copy as OptimizerStateDict['state'][string];
  }
  return { json: out, tensors };
}

/**
 * The inverse of `splitOptimizerState`: each `{ $tensor }` reference becomes its tensor from the
 * checkpoint's safetensors file (`loadStateDict` checks its shape and dtype, and copies it). A
 * missing buffer is a FormatError naming the file. Buffers a checkpoint of an earlier seqlab kept
 * in the JSON as nested arrays of numbers pass through: `loadStateDict` reads those too.
 */
export function joinOptimizerState(
  json: OptimizerStateDict,
  tensors: Map<string, Tensor>,
  file: string,
): OptimizerStateDict {
  const out: OptimizerStateDict = { ...json, state: {} };
  for (const [index, entry] of Object.entries(json.state ?? {})) {
    const copy: OptimizerStateDict['state'][string] = {};
    for (const [key, value] of Object.entries(entry)) {
      if (isTensorRef(value)) {
        const t = tensors.get(value.$tensor);
        if (!t)
          throw new FormatError('train --resume', `optimizer buffer ${value.$tensor}`, `none in ${file}`);
        copy[key] = t;
      } else {
        copy[key] = value;
      }
    }
    out.state[index] = copy;
  }
  return out;
}
