import { firstNonFinite } from '@seqlab/classifier';
import { clipGradNorm } from '@seqlab/optim';
import { NumericError, type Tensor } from '@seqlab/tensor';

// Training stops at the first NaN or infinity, as PyTorch's `clip_grad_norm_(…,
// error_if_nonfinite=True)` and `torch.autograd.set_detect_anomaly` would make a PyTorch loop stop:
// a non-finite loss, gradient norm or weight is never trained on, reported as "best" or saved.
// There is no switch to keep going: once a weight is NaN every later step, prediction and metric
// is NaN too.

/** Where in training a check ran. */
export interface TrainStep {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Batches of this epoch trained before a --resume (0 otherwise): the checkpoint holds them. */
  resumedBatches: number;
}

/** A parameter's name and its tensor, as `Module.namedParameters()` yields them. */
type Named = Iterable<[string, Tensor]>;

/** `at epoch 2, batch 3 of 16 (step 19)`: the step counts batches since the run began. */
function where(at: TrainStep): string {
  return `at epoch ${at.epoch}, batch ${at.batch} of ${at.batches} (step ${(at.epoch - 1) * at.batches + at.batch})`;
}

/** What checkpoint/ still holds, and what to do. */
function hint(at: TrainStep): string {
  const kept =
    at.resumedBatches > 0
      ? `checkpoint/ keeps ${at.epoch > 1 ? `epoch ${at.epoch - 1} and ` : ''}${at.resumedBatches} batches of epoch ${at.epoch}`
      : at.epoch > 1
        ? `checkpoint/ keeps epoch ${at.epoch - 1}`
        : 'no epoch had finished, so there is no checkpoint';
  return `Nothing of this epoch was saved; ${kept}. Lower --lr or --weight-decay (or set --clip) and train again`;
}

/** The parameter holding the largest |value|, for a loss that overflowed on finite weights. */
function largest(named: Named): string {
  let best = { name: '', value: 0 };
  for (const [name, p] of named) {
    const data = p.data;
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i] as number);
      if (a > best.value) best = { name, value: a };
    }
  }
  return `the largest |weight| is ${best.value.toExponential(2)} in ${best.name}`;
}

/** Throws a NumericError when the batch's loss is NaN or infinite (before backward). */
export function checkLoss(named: () => Named, loss: number, at: TrainStep): void {
  if (Number.isFinite(loss)) return;
  const weights = firstNonFinite(named());
  const why = weights
    ? `the weights are not finite: ${weights.value} in ${weights.at}`
    : `every weight is finite, ${largest(named())}`;
  throw new NumericError('train', 'a finite loss', `${loss} ${where(at)}; ${why}`, hint(at));
}

/**
 * `clipGradNorm` of `params` with PyTorch's `errorIfNonfinite`: returns the norm before clipping,
 * or throws a NumericError naming (from `named`, the same parameters) the first whose gradient is
 * NaN or infinite.
 */
export function clipGradNormOrStop(
  params: readonly Tensor[],
  named: () => Named,
  maxNorm: number,
  at: TrainStep,
): number {
  try {
    return clipGradNorm(params, maxNorm, { errorIfNonfinite: true });
  } catch (error) {
    if (!(error instanceof NumericError)) throw error;
    const first = firstNonFinite(named(), 'grad');
    const norm = error.actual.split(';')[0];
    throw new NumericError(
      'train',
      'a finite gradient norm',
      `${norm} ${where(at)}; the first non-finite gradient is ${first ? `${first.value} in ${first.at}` : 'not found'}`,
      hint(at),
    );
  }
}

/** Throws a NumericError when the optimizer step left a weight NaN or infinite. */
/**
 * True when every value of `data` is finite: x·0 is 0 for a finite x and NaN for NaN or ±Infinity,
 * so the sum is 0 exactly when all are finite. Four sums, no branch per element: half the time of
 * a loop that tests each value (it runs over every weight after every step).
 */
export function allFinite(data: ArrayLike<number>): boolean {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const n = data.length - (data.length % 4);
  let i = 0;
  for (; i < n; i += 4) {
    a0 += data[i] * 0;
    a1 += data[i + 1] * 0;
    a2 += data[i + 2] * 0;
    a3 += data[i + 3] * 0;
  }
  for (; i < data.length; i++) a0 += data[i] * 0;
  return a0 + a1 + a2 + a3 === 0;
}

export function checkWeights(named: () => Named, gradNorm: number, at: TrainStep): void {
  let finite = true;
  for (const [, p] of named()) {
    if (!allFinite(p.data as ArrayLike<number>)) {
      finite = false;
      break;
    }
  }
  if (finite) return;
  const first = firstNonFinite(named());
  if (!first) return;
  throw new NumericError(
    'train',
    'finite weights after the optimizer step',
    `${first.value} in ${first.at} ${where(at)} (the gradients were finite, norm ${gradNorm.toExponential(2)})`,
    hint(at),
  );
}
