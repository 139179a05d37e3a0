import type { NestedNumbers, OptimizerStateDict } from '@seqlab/optim';
import { FormatError, type Tensor, tensor } from '@seqlab/tensor';

/** A state buffer moved out of the JSON into checkpoint/optimizer.safetensors. */
interface TensorRef {
  $tensor: string;
}

/** The shape of nested arrays, read along their first elements (`stateDict` nests like a tensor). */
function shapeOf(value: NestedNumbers): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/**
 * Writes nested arrays of `shape` into `out` in row-major order, from `offset`; returns the next
 * offset. A `null` (a non-finite number after JSON) becomes NaN, as `loadStateDict` reads it.
 */
function fill(
  value: NestedNumbers,
  out: Float32Array,
  offset: number,
  depth: number,
  shape: number[],
): number {
  if (!Array.isArray(value)) {
    out[offset] = value === null ? Number.NaN : value;
    return offset + 1;
  }
  if (value.length !== shape[depth])
    throw new FormatError(
      'checkpoint',
      `optimizer buffer rows of length ${shape[depth]}`,
      `one of ${value.length}`,
    );
  let at = offset;
  if (depth === shape.length - 1) {
    for (let i = 0; i < value.length; i++) out[at + i] = (value[i] as number | null) ?? Number.NaN;
    return at + value.length;
  }
  for (const v of value) at = fill(v, out, at, depth + 1, shape);
  return at;
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
        // Straight into float32: a flat number[] in between (and Float32Array.from's own list of
        // it) cost ~30 bytes a number, 180 MB at the default run's end of epoch for a 9 MB file.
        const shape = shapeOf(value);
        const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        fill(value, data, 0, 0, shape);
        const name = `state.${index}.${key}`;
        tensors.set(name, tensor(data, { shape }));
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
