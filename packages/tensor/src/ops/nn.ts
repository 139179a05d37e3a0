import { embeddingGradient } from '../autograd/gradients';
import { backend } from '../backend/registry';
import { assertTensor } from '../check-tensor';
import { describeValue } from '../describe-value';
import { assertFloating, type FloatStorage } from '../dtype';
import { ConfigError, formatShape, ShapeError } from '../errors';
import { checkOptions, optionKeys } from '../options';
import { defaultGenerator, fillUniforms, type Generator, uniformState } from '../random';
import { normalizeDim, numel } from '../shape';
import { releaseStorage, writableStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';
import { record } from './record';
import { assertIndex } from './util';

function softmaxOp(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  assertTensor(op, x);
  assertFloating(op, x.dtype);
  const d = normalizeDim(op, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const size = x.shape[d] ?? 1; // rank 0: one element
  const inner = numel(x.shape.slice(d + 1));
  const out = empty(x.shape, x.dtype);
  const log = op === 'logSoftmax';
  backend().softmax(x.data as FloatStorage, outer, size, inner, log, out.data as FloatStorage);
  return record('softmax', op, [x], out, { outer, size, inner, log });
}

/** exp(x) / Σ exp(x) along `dim`, computed stably. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('softmax', x, dim);
}

/** x − logsumexp(x) along `dim`: log-probabilities, computed stably (use with nllLoss). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('logSoftmax', x, dim);
}

/** Options of `dropout`. */
export interface DropoutOptions {
  /** Whether dropout is active (module.train()); when false the input is returned unchanged. Default true. */
  training?: boolean;
  /** Generator to draw the mask from (default: the global one that `manualSeed` resets). */
  generator?: Generator;
}
const DROPOUT_KEYS = /* @__PURE__ */ optionKeys<DropoutOptions>({ training: true, generator: true });

/**
 * Zeroes each element with probability `p` and scales the rest by 1 / (1 − p) (inverted dropout,
 * as torch.nn.functional.dropout). The mask comes from a seeded generator, so runs repeat exactly.
 * Backward frees the mask (to the storage pool): a second backward needs `{ retainGraph: true }`
 * on the first, as in PyTorch.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  assertTensor('dropout', x);
  checkOptions('dropout', options, DROPOUT_KEYS);
  if (typeof p !== 'number') {
    const hint = 'p is positional: dropout(x, 0.5, { training: false })';
    throw new ConfigError('dropout', 'a probability p in [0, 1]', describeValue(p), hint);
  }
  if (!(p >= 0 && p <= 1)) throw new ConfigError('dropout', 'a probability p in [0, 1]', `${p}`);
  assertFloating('dropout', x.dtype);
  if (options.training === false || p === 0) return x;
  // The mask and the product in one pass (each product rounded as mul's kernel rounds it); the
  // gradient is mul's: g ⊙ mask. Every element of both is written: pooled storage, no zero fill.
  const mask = new Tensor(writableStorage(x.dtype, x.numel), x.shape, x.dtype);
  const out = new Tensor(writableStorage(x.dtype, x.numel), x.shape, x.dtype);
  const g = options.generator ?? defaultGenerator();
  const scale = 1 / (1 - p);
  const m = mask.data as FloatStorage;
  const xs = x.data;
  const ys = out.data;
  // One draw per element in order (none when p = 1). A draw is held exactly in the mask's own
  // dtype when the generator is seqlab's or PyTorch's (fillUniforms); any other generator is
  // compared as it returns its numbers, one call per element.
  const kernels = backend();
  const state = p < 1 && x.dtype === 'float32' && uniformState(g);
  if (state && kernels.dropout) {
    // The backend's loop: the same draws, numbers and final state as the loop below.
    kernels.dropout(state, p, scale, xs as Float32Array, m as Float32Array, ys as Float32Array);
  } else if (p < 1 && (m instanceof Float64Array || g.uniformFitsFloat32)) {
    fillUniforms(g, m);
    // scale · (u ≥ p) without a branch: a random 30 % branch mispredicts often enough to cost
    // more than drawing the number.
    for (let i = 0; i < m.length; i++) {
      m[i] = scale * +(m[i] >= p);
      ys[i] = xs[i] * m[i];
    }
  } else {
    for (let i = 0; i < m.length; i++) {
      m[i] = p < 1 && g.uniform() >= p ? scale : 0;
      ys[i] = xs[i] * m[i];
    }
  }
  record('mul', 'mul', [x, mask], out, {});
  // Nothing but the node holds the mask: back to the pool once its backward has run.
  if (out._node) out._node.release = () => releaseStorage(m);
  return out;
}

/** Options of `embedding`. */
export interface EmbeddingOptions {
  /** Row whose gradient is always zero (the `<pad>` token), in [−V, V); negative counts from V. */
  paddingIdx?: number | null;
}
const EMBEDDING_KEYS = /* @__PURE__ */ optionKeys<EmbeddingOptions>({ paddingIdx: true });

/**
 * Looks up rows of a table (torch.nn.functional.embedding): ids [*] (int32), weight [V, D] ->
 * [*, D], out[…, :] = weight[ids[…], :]. The gradient scatter-adds the output gradient into the
 * rows used; the `paddingIdx` row gets none (its forward value is read as is, as PyTorch).
 *
 * @example
 * ```ts
 * const weight = randn([10, 4], { requiresGrad: true });
 * embedding(tensor([[1, 0, 3]], { dtype: 'int32' }), weight, { paddingIdx: 0 }).shape; // [1, 3, 4]
 * ```
 */
export function embedding(ids: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  // ids [*], weight [V, D] -> [*, D]
  const op = 'embedding';
  checkOptions(op, options, EMBEDDING_KEYS);
  assertTensor(op, ids, 'ids', 'indices');
  assertTensor(op, weight, 'weight');
  assertIndex(op, ids, 'ids');
  assertFloating(op, weight.dtype);
  if (weight.ndim !== 2) throw new ShapeError(op, 'weight of shape [V, D]', formatShape(weight.shape));
  const [V, D] = weight.shape;
  let pad = options.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -V || pad >= V) {
      throw new ConfigError(op, `paddingIdx in [${-V}, ${V - 1}]`, describeValue(pad));
    }
    if (pad < 0) pad += V;
  }
  const index = ids.data as Int32Array;
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (v < 0 || v >= V) {
      throw new ShapeError(op, `ids in [0, ${V - 1}]`, `id ${v} in ids of shape ${formatShape(ids.shape)}`);
    }
  }
  // Every element is written by indexSelect: no zero fill.
  const out = new Tensor(writableStorage(weight.dtype, index.length * D), [...ids.shape, D], weight.dtype);
  backend().indexSelect(weight.data, 1, V, D, index, out.data);
  return record(embeddingGradient, 'embedding', [weight], out, { index, rows: V, dim: D, paddingIdx: pad });
}
