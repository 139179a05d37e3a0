import type { FloatStorage } from '../../dtype';
import type { AdamStepArgs } from '../backend';

/**
 * Adam's update of one parameter (see AdamStepArgs), one element at a time in float64: the
 * reference every backend's `adamStep` must match bit for bit, and what @seqlab/optim's Adam ran
 * inline before the kernel existed.
 */
export function adamStep(a: AdamStepArgs): void {
  const { param: x, grad: g, expAvg: m, expAvgSq: v, beta1, beta2, eps, stepSize, bias2Sqrt, l2, decay } = a;
  const amsgrad = a.maxExpAvgSq !== null;
  const vMax = a.maxExpAvgSq ?? v;
  const maximize = a.maximize;
  for (let i = 0; i < x.length; i++) {
    let gi = maximize ? -g[i] : g[i];
    if (l2 !== 0) gi += l2 * x[i];
    const xi = x[i] * decay;
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    if (amsgrad) vMax[i] = Math.max(vMax[i], v[i]); // NaN-propagating, as torch.maximum
    x[i] = xi - (stepSize * m[i]) / (Math.sqrt(vMax[i]) / bias2Sqrt + eps);
  }
}

/** init + Σ x[i]², the squares added in order onto `init` in float64 (clip-grad-norm's 2-norm). */
export function sumSquares(x: FloatStorage, init: number): number {
  let total = init;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    total += a * a;
  }
  return total;
}
