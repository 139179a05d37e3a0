import {
  assertTensor,
  ConfigError,
  checkOptions,
  DTypeError,
  formatShape,
  gather,
  logSoftmax,
  maximum,
  optionKeys,
  ShapeError,
  type Tensor,
  where,
} from '@seqlab/tensor';
import { Module } from './module';

/** How a loss reduces over the batch: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of `nllLoss`. */
export interface NllLossOptions {
  /** Per-class weight [C]; the mean divides by the summed weights of the targets. */
  weight?: Tensor;
  /** Targets equal to this are ignored (no loss, no gradient, not counted). Default −100. */
  ignoreIndex?: number;
  /** `mean` (default: over the batch; divided by the summed target weights with `weight`), `sum`, or `none` (one loss per row). */
  reduction?: Reduction;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the one-hot target with the uniform distribution by this amount, in [0, 1]. Default 0. */
  labelSmoothing?: number;
}

const NLL_KEYS = /* @__PURE__ */ optionKeys<NllLossOptions>({
  weight: true,
  ignoreIndex: true,
  reduction: true,
});
const CROSS_ENTROPY_KEYS = /* @__PURE__ */ optionKeys<CrossEntropyOptions>({
  weight: true,
  ignoreIndex: true,
  reduction: true,
  labelSmoothing: true,
});
const MSE_KEYS = /* @__PURE__ */ optionKeys<{ reduction?: Reduction }>({ reduction: true });

const isFloatingTensor = (t: Tensor): boolean => t.dtype === 'float32' || t.dtype === 'float64';

function checkReduction(op: string, reduction: string): asserts reduction is Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ConfigError(op, "reduction 'mean', 'sum' or 'none'", `'${reduction}'`);
  }
}

/** Validates [N, C] scores and [N] int32 class targets; returns C. */
function checkClassification(op: string, input: Tensor, target: Tensor, options: NllLossOptions): number {
  assertTensor(op, input);
  assertTensor(op, target, 'target', 'indices');
  if (options.weight !== undefined) assertTensor(op, options.weight, 'weight');
  if (input.ndim !== 2) throw new ShapeError(op, 'input of shape [N, C]', formatShape(input.shape));
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      op,
      'int32 class-index targets',
      target.dtype,
      "Convert with target.int(), or create them with tensor([0, 1, 1], { dtype: 'int32' })",
    );
  }
  if (target.ndim !== 1 || target.shape[0] !== input.shape[0]) {
    throw new ShapeError(op, `target of shape [${input.shape[0]}]`, formatShape(target.shape));
  }
  const C = input.shape[1];
  const ignore = options.ignoreIndex ?? -100;
  for (let i = 0; i < target.numel; i++) {
    const y = target.data[i];
    if (y !== ignore && (y < 0 || y >= C)) {
      throw new ShapeError(
        op,
        `targets in [0, ${C - 1}] (or ignoreIndex ${ignore})`,
        `target ${y} at position ${i}`,
      );
    }
  }
  if (options.weight && (options.weight.ndim !== 1 || options.weight.shape[0] !== C)) {
    throw new ShapeError(op, `a class weight of shape [${C}]`, formatShape(options.weight.shape));
  }
  checkReduction(op, options.reduction ?? 'mean');
  return C;
}

/** Per-row target weights (0 where ignored) and safe gather indices. */
function targetWeights(target: Tensor, options: NllLossOptions): { index: Tensor; w: Tensor } {
  const ignore = options.ignoreIndex ?? -100;
  const keep = target.ne(ignore);
  const index = where(keep, target, 0).int().unsqueeze(1);
  const classW = options.weight ? gather(options.weight.detach(), 0, index.squeeze(1)) : keep.float();
  return { index, w: where(keep, classW, 0) };
}

/**
 * Negative log-likelihood of class targets given log-probabilities (torch.nn.functional.nll_loss):
 * input [N, C] log-probabilities, target [N] int32 -> loss (0-d, or [N] with reduction 'none').
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  checkOptions('nllLoss', options, NLL_KEYS);
  return nll(logProbs, target, options);
}

/** nllLoss without the options-key check (crossEntropy passes its own options on). */
function nll(logProbs: Tensor, target: Tensor, options: NllLossOptions): Tensor {
  checkClassification('nllLoss', logProbs, target, options);
  const { index, w } = targetWeights(target, options);
  const picked = gather(logProbs, 1, index).squeeze(1);
  const losses = picked.mul(w).neg();
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return losses.sum();
  return losses.sum().div(w.sum());
}

/**
 * Cross-entropy of class targets given unnormalized scores (torch.nn.functional.cross_entropy):
 * logSoftmax then nllLoss, with optional label smoothing as PyTorch 1.13 defines it.
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, labels); // logits [32, 2], labels [32] int32
 * loss.backward();
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions('crossEntropy', options, CROSS_ENTROPY_KEYS);
  const C = checkClassification('crossEntropy', input, target, options);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ConfigError('crossEntropy', 'labelSmoothing in [0, 1]', `${eps}`);
  const logp = logSoftmax(input, 1);
  const nllValue = nll(logp, target, options);
  if (eps === 0) return nllValue;
  // Smoothing term: −Σ_c w_c log p_c per row, 0 on ignored rows (aten cross_entropy_loss_label_smoothing).
  const keep = target.ne(options.ignoreIndex ?? -100);
  const weighted = options.weight ? logp.mul(options.weight.detach()) : logp;
  const smooth = where(keep, weighted.sum(1).neg(), 0);
  const reduction = options.reduction ?? 'mean';
  let smoothLoss: Tensor;
  if (reduction === 'none') smoothLoss = smooth;
  else if (reduction === 'sum') smoothLoss = smooth.sum();
  else smoothLoss = smooth.sum().div(targetWeights(target, options).w.sum());
  return nllValue.mul(1 - eps).add(smoothLoss.mul(eps / C));
}

/** Mean squared error (torch.nn.functional.mse_loss); input and target of the same shape. */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: {
    /** `mean` (default: over every element), `sum`, or `none` (the input's shape). */
    reduction?: Reduction;
  } = {},
): Tensor {
  assertTensor('mseLoss', input);
  assertTensor('mseLoss', target, 'target');
  checkOptions('mseLoss', options, MSE_KEYS);
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(
      'mseLoss',
      `target of the input's shape ${formatShape(input.shape)}`,
      formatShape(target.shape),
    );
  }
  const reduction = options.reduction ?? 'mean';
  checkReduction('mseLoss', reduction);
  const sq = input.sub(target).pow(2);
  return reduction === 'none' ? sq : reduction === 'sum' ? sq.sum() : sq.mean();
}

/** Options of `bceWithLogits`. */
export interface BceWithLogitsOptions {
  /** Weight per element (broadcast to the input). */
  weight?: Tensor;
  /** Weight of the positive term per class (broadcast over the last dim). */
  posWeight?: Tensor;
  /** `mean` (default: over every element), `sum`, or `none` (the input's shape). */
  reduction?: Reduction;
}
const BCE_KEYS = /* @__PURE__ */ optionKeys<BceWithLogitsOptions>({
  weight: true,
  posWeight: true,
  reduction: true,
});

/**
 * Binary cross-entropy on logits, computed stably (torch.nn.functional.binary_cross_entropy_with_logits):
 * loss = (1 − y)·x + (1 + (p − 1)·y)·(log(1 + e^−|x|) + max(−x, 0)).
 */
export function bceWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  assertTensor('bceWithLogits', input);
  assertTensor('bceWithLogits', target, 'target');
  if (options.weight !== undefined) assertTensor('bceWithLogits', options.weight, 'weight');
  if (options.posWeight !== undefined) assertTensor('bceWithLogits', options.posWeight, 'posWeight');
  checkOptions('bceWithLogits', options, BCE_KEYS);
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new ShapeError(
      'bceWithLogits',
      `target of the input's shape ${formatShape(input.shape)}`,
      formatShape(target.shape),
    );
  }
  if (!isFloatingTensor(target))
    throw new DTypeError('bceWithLogits', 'a float32 or float64 target', target.dtype);
  const C = input.shape[input.ndim - 1] ?? 1;
  if (options.posWeight && (options.posWeight.ndim !== 1 || options.posWeight.shape[0] !== C)) {
    throw new ShapeError('bceWithLogits', `posWeight of shape [${C}]`, formatShape(options.posWeight.shape));
  }
  if (options.weight) {
    const w = options.weight.shape;
    const fits =
      w.length <= input.ndim && w.every((s, i) => s === 1 || s === input.shape[input.ndim - w.length + i]);
    if (!fits) {
      throw new ShapeError(
        'bceWithLogits',
        `a weight that broadcasts to the input's shape ${formatShape(input.shape)}`,
        formatShape(w),
      );
    }
  }
  const reduction = options.reduction ?? 'mean';
  checkReduction('bceWithLogits', reduction);
  const y = target;
  const softplus = input.abs().neg().exp().add(1).log().add(maximum(input.neg(), 0));
  const logWeight = options.posWeight ? options.posWeight.detach().sub(1).mul(y).add(1) : null;
  let loss = y
    .neg()
    .add(1)
    .mul(input)
    .add(logWeight ? softplus.mul(logWeight) : softplus);
  if (options.weight) loss = loss.mul(options.weight.detach());
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/** `crossEntropy` as a module (torch.nn.CrossEntropyLoss). */
export class CrossEntropyLoss extends Module {
  constructor(
    /** The options of every call, checked once here (an unknown key is a `ConfigError`). */
    readonly options: CrossEntropyOptions = {},
  ) {
    super();
    checkOptions('CrossEntropyLoss', options, CROSS_ENTROPY_KEYS);
  }
  /** `crossEntropy(input, target, options)`: input [N, C] scores, target [N] int32 class indices -> the loss (0-d, or [N] with reduction `none`). */
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

/** `nllLoss` as a module (torch.nn.NLLLoss). */
export class NLLLoss extends Module {
  constructor(
    /** The options of every call, checked once here (an unknown key is a `ConfigError`). */
    readonly options: NllLossOptions = {},
  ) {
    super();
    checkOptions('NLLLoss', options, NLL_KEYS);
  }
  /** `nllLoss(input, target, options)`: input [N, C] log-probabilities, target [N] int32 class indices -> the loss (0-d, or [N] with reduction `none`). */
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

/** `mseLoss` as a module (torch.nn.MSELoss). */
export class MSELoss extends Module {
  constructor(
    /** The options of every call, checked once here. */
    readonly options: {
      /** `mean` (default: over every element), `sum`, or `none` (the input's shape). */
      reduction?: Reduction;
    } = {},
  ) {
    super();
    checkOptions('MSELoss', options, MSE_KEYS);
  }
  /** `mseLoss(input, target, options)`: input and target of one shape -> the loss (0-d, or that shape with reduction `none`). */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

/** `bceWithLogits` as a module (torch.nn.BCEWithLogitsLoss). */
export class BCEWithLogitsLoss extends Module {
  constructor(
    /** The options of every call, checked once here (an unknown key is a `ConfigError`). */
    readonly options: BceWithLogitsOptions = {},
  ) {
    super();
    checkOptions('BCEWithLogitsLoss', options, BCE_KEYS);
  }
  /** `bceWithLogits(input, target, options)`: input logits and target probabilities of one shape -> the loss (0-d, or that shape with reduction `none`). */
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, this.options);
  }
}
