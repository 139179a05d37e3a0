import { ConfigError } from '@seqlab/tensor';
import { toVector, type VectorInput } from './inputs';

/** exp of a mean negative log-likelihood, after checking it is a finite number ≥ 0. */
export function perplexityFromMean(op: string, meanNll: number): number {
  if (typeof meanNll !== 'number' || !Number.isFinite(meanNll) || meanNll < 0) {
    throw new ConfigError(op, 'a finite mean negative log-likelihood ≥ 0', String(meanNll));
  }
  return Math.exp(meanNll);
}

/**
 * Perplexity exp(mean NLL) from a mean negative log-likelihood in nats (natural log), such as the
 * value of `CrossEntropyLoss` with `reduction: 'mean'`, or from per-token NLL values, which are
 * averaged first. 1 is a perfect model; a uniform guess over V tokens scores V. Large losses
 * overflow to `Infinity` (above about 709.78).
 *
 * Throws a ConfigError for a negative or non-finite loss and a ShapeError for an empty or
 * non-1-D array. For losses that arrive batch by batch use {@link MeanAccumulator}.
 *
 * @example
 * ```ts
 * perplexity(Math.log(50)); // 49.99999999999999
 * perplexity([0.5, 1.5]); // Math.exp(1) = 2.718281828459045
 * ```
 */
export function perplexity(nll: number | VectorInput): number {
  const op = 'perplexity';
  if (typeof nll === 'number') return perplexityFromMean(op, nll);
  const values = toVector(op, 'nll', nll);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < 0) throw new ConfigError(op, 'negative log-likelihoods ≥ 0', `${v} at index ${i}`);
    sum += v;
  }
  return perplexityFromMean(op, sum / values.length);
}
