import type { NestedNumbers, OptimizerStateDict } from '@seqlab/optim';
import { FormatError, type Tensor, tensor } from '@seqlab/tensor';

/** A state buffer moved out of the JSON into checkpoint/optimizer.safetensors. */
interface TensorRef {
  $tensor: string;
}

function flatten(value: NestedNumbers, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(value)) {
    if (shape.length === depth) shape.push(value.length);
    for (const v of value) flatten(v, out, shape, depth + 1);
  } else {
    out.push(value);
  }
}

function nest(data: ArrayLike<number>, shape: readonly number[]): NestedNumbers {
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number, size: number): NestedNumbers[] => {
    const n = shape[dim];
    const inner = n === 0 ? 0 : size / n;
    return Array.from({ length: n }, (_, i) =>
      dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * inner, inner),
    );
  };
  return build(0, 0, data.length);
}

/**
 * Splits an optimizer state dict into small JSON (options, steps) and its per-parameter buffers as
 * tensors, so a checkpoint stores Adam's moments as float32 safetensors (a few MB) instead of tens
 * of MB of JSON numbers. Float32 buffers round-trip exactly, so a resumed run stays bit-identical.
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
      if (Array.isArray(value)) {
        const data: number[] = [];
        const shape: number[] = [];
        flatten(value, data, shape, 0);
        const name = `state.${index}.${key}`;
        tensors.set(
          name,
          tensor(
            Float32Array.from(data, (v) => (v === null ? Number.NaN : v)),
            { shape },
          ),
        );
        copy[key] = { $tensor: name } satisfies TensorRef;
      } else {
        copy[key] = value;
      }
    }
    out.state[index] = copy as Record<string, NestedNumbers | null>;
  }
  return { json: out, tensors };
}

/** The inverse of `splitOptimizerState`; a missing buffer is a FormatError naming the file. */
export function joinOptimizerState(
  json: OptimizerStateDict,
  tensors: Map<string, Tensor>,
  file: string,
): OptimizerStateDict {
  const out: OptimizerStateDict = { ...json, state: {} };
  for (const [index, entry] of Object.entries(json.state ?? {})) {
    const copy: Record<string, NestedNumbers | null> = {};
    for (const [key, value] of Object.entries(entry)) {
      const ref = value as unknown as TensorRef | null;
      if (ref && typeof ref === 'object' && !Array.isArray(ref) && typeof ref.$tensor === 'string') {
        const t = tensors.get(ref.$tensor);
        if (!t) throw new FormatError('train --resume', `optimizer buffer ${ref.$tensor}`, `none in ${file}`);
        copy[key] = nest(t.data, t.shape);
      } else {
        copy[key] = value;
      }
    }
    out.state[index] = copy;
  }
  return out;
}
