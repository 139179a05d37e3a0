import {
  ConfigError,
  checkOptions,
  describeValue,
  type FloatStorage,
  NumericError,
  optionKeys,
  Tensor,
} from '@seqlab/tensor';
import { backend, jsBackend } from '@seqlab/tensor/backend';

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** Order p of the norm: any p > 0, or `Infinity` for the largest |g| (default 2). */
  normType?: number;
  /**
   * Throw a NumericError when the total norm is NaN or ±Infinity instead of scaling by it (default
   * false), as PyTorch's `error_if_nonfinite`.
   */
  errorIfNonfinite?: boolean;
}
const CLIP_GRAD_NORM_KEYS = optionKeys<ClipGradNormOptions>({ normType: true, errorIfNonfinite: true });

/** The gradients of `params` that exist, as flat data, with the index of their parameter. */
function gradsOf(op: string, params: Tensor | Iterable<Tensor>): { grads: FloatStorage[]; index: number[] } {
  const list = params instanceof Tensor ? [params] : [...params];
  const grads: FloatStorage[] = [];
  const index: number[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor))
      throw new ConfigError(op, `a Tensor at params[${i}]`, p === null ? 'null' : typeof p);
    const grad = p._peekGrad();
    if (grad !== null) {
      grads.push(grad.data as FloatStorage);
      index.push(i);
    }
  });
  return { grads, index };
}

/** `params[2] (element 7 is NaN)`: where the first non-finite gradient value is, or null. */
function firstNonfinite(grads: readonly FloatStorage[], index: readonly number[]): string | null {
  for (let k = 0; k < grads.length; k++) {
    const g = grads[k];
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) return `params[${index[k]}] (element ${i} is ${g[i]})`;
    }
  }
  return null;
}

/**
 * Scales the gradients of `params` in place so that their total norm — the p-norm of all of them
 * concatenated into one vector — is at most `maxNorm`, as PyTorch 1.13's
 * `torch.nn.utils.clip_grad_norm_`. Returns the total norm from before clipping.
 *
 * ```text
 * N = (Σ_tensors Σ_i |g_i|^p)^(1/p)        (N = max |g_i| for p = Infinity)
 * c = min(maxNorm / (N + 1e-6), 1)
 * g ← c·g                                  for every gradient, even when c = 1
 * ```
 *
 * Parameters without a gradient are skipped (no gradients: returns 0). A NaN or infinite N makes c
 * NaN or 0 and is written into the gradients, as in PyTorch, unless `errorIfNonfinite` is set, in
 * which case a NumericError naming the norm and the first non-finite gradient (`params[i]`, element
 * j) is thrown and nothing changes.
 *
 * Porting note: returns a number, not a 0-d tensor. N is accumulated in float64, so gradients whose
 * squares overflow float32 (|g| > 1.8e19) still get a finite norm here; PyTorch reports Infinity.
 * For p = 2 the order of that float64 sum is the backend's (js: one running sum; wasm and native:
 * in blocks, see `Backend.sumSquares`), so N may differ between backends in its last bits.
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(params, 5); // the norm before clipping, e.g. for logging
 * opt.step();
 * ```
 */
export function clipGradNorm(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  const op = 'clipGradNorm';
  checkOptions(op, options, CLIP_GRAD_NORM_KEYS);
  const { normType = 2, errorIfNonfinite = false } = options;
  if (typeof maxNorm !== 'number') {
    const hint = 'maxNorm is positional: clipGradNorm(params, 1.0)';
    throw new ConfigError(op, 'maxNorm ≥ 0', describeValue(maxNorm), hint);
  }
  if (!(maxNorm >= 0)) throw new ConfigError(op, 'maxNorm ≥ 0', String(maxNorm));
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ConfigError(op, 'normType > 0 (or Infinity)', String(normType));
  }
  const { grads, index } = gradsOf(op, params);
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i])); // NaN propagates
    }
  } else if (normType === 2) {
    // One running sum over every gradient, in the backend's fused kernel (see Backend.sumSquares).
    const sumSquares = backend().sumSquares ?? jsBackend.sumSquares;
    for (const g of grads) total = sumSquares(g, total);
    total = Math.sqrt(total);
  } else {
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]);
        total += normType === 1 ? a : a ** normType;
      }
    }
    total = normType === 1 ? total : total ** (1 / normType);
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    const first = firstNonfinite(grads, index);
    throw new NumericError(
      op,
      `a finite total norm of order ${normType} of the gradients`,
      first ? `${total}; the first non-finite gradient is ${first}` : String(total),
      'help: the loss or a gradient is NaN or infinite; set errorIfNonfinite: false to scale by it anyway',
    );
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  // PyTorch multiplies by the clamped coefficient even when it is 1; x * 1 is x for every float
  // (NaN and -0 included), so that pass over every gradient is skipped, not changed.
  if (coef === 1) return total;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) g[i] *= coef;
  }
  return total;
}

/**
 * Clamps every gradient element of `params` to [−clipValue, clipValue] in place, as PyTorch's
 * `torch.nn.utils.clip_grad_value_`. NaN stays NaN; parameters without a gradient are skipped.
 *
 * ```text
 * g ← min(max(g, −clipValue), clipValue)
 * ```
 *
 * @example
 * ```ts
 * loss.backward();
 * clipGradValue(params, 1);
 * opt.step();
 * ```
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0))
    throw new ConfigError(op, 'clipValue ≥ 0', String(clipValue));
  const { grads } = gradsOf(op, params);
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i], -clipValue), clipValue);
  }
}
