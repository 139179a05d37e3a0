import { formatShape, NumericError, type Tensor } from '@seqlab/tensor';

/** A parameter's name and its tensor, as `Module.namedParameters()` and a state dict yield them. */
export type NamedTensors = Iterable<[string, Tensor]>;

/**
 * The first NaN or ±Infinity among the values (or the gradients) of named tensors, with where it
 * is: `element 5 of lstm.weight_hh_l0 [32, 8]`; null when every value is finite.
 */
export function firstNonFinite(
  named: NamedTensors,
  of: 'value' | 'grad' = 'value',
): { value: number; at: string } | null {
  for (const [name, p] of named) {
    const data = of === 'value' ? p.data : p.grad?.data;
    if (!data) continue;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!Number.isFinite(v)) return { value: v, at: `element ${i} of ${name} ${formatShape(p.shape)}` };
    }
  }
  return null;
}

/**
 * Throws a NumericError when a weights file holds a NaN or an infinity, naming the op (or option)
 * that led to it, the file and the tensor: such weights give NaN predictions, never an answer.
 */
export function checkFiniteWeights(dict: Map<string, Tensor>, file: string, op: string): void {
  const first = firstNonFinite(dict);
  if (!first) return;
  throw new NumericError(
    op,
    `finite weights in ${file}`,
    `${first.value} at ${first.at}`,
    'A run that diverged leaves weights like these; train it again',
  );
}
