// Imports go through the package entry so the built `testing` bundle shares classes with it.
import { checkOptions, Generator, noGrad, optionKeys, SeqlabError, Tensor } from '@seqlab/tensor';

const isFloating = (t: Tensor): boolean => t.dtype === 'float32' || t.dtype === 'float64';

/** Options of `gradcheck`. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6, in float64). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random projection of the outputs (default 0). */
  seed?: number;
  /** Throw on a mismatch (default true, as torch.autograd.gradcheck); false returns false instead. */
  raiseException?: boolean;
}
const GRADCHECK_KEYS = optionKeys<GradcheckOptions>({
  eps: true,
  atol: true,
  rtol: true,
  seed: true,
  raiseException: true,
});

/**
 * Finite-difference gradient check in float64. Every floating input that requires grad is copied
 * to float64; `fn` runs on the copies; its outputs are projected on a random vector v to a scalar
 * L = Σ v·out, and for every input element the analytic dL/dx (from backward) is compared with the
 * central difference (L(x+ε) − L(x−ε)) / 2ε. This checks vᵀJ for every input element, like
 * PyTorch's fast gradcheck.
 *
 * @returns true when all gradients match (and throws otherwise, unless `raiseException: false`).
 *
 * @example
 * ```ts
 * gradcheck((a, b) => matmul(a, b), [randn([3, 4], { requiresGrad: true }), randn([4, 2], { requiresGrad: true })]);
 * ```
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): boolean {
  checkOptions('gradcheck', options, GRADCHECK_KEYS);
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const raise = options.raiseException ?? true;
  const copies = inputs.map((t) => {
    if (!isFloating(t)) return t;
    const c = new Tensor(Float64Array.from(t.data), t.shape, 'float64');
    c.requiresGrad = t.requiresGrad;
    return c;
  });
  const outputsOf = (): Tensor[] => {
    const out = fn(...copies);
    return out instanceof Tensor ? [out] : [...out];
  };
  const rng = new Generator(options.seed ?? 0);
  const first = outputsOf();
  const projections = first.map((o) => Float64Array.from({ length: o.numel }, () => rng.uniform() * 2 - 1));
  const project = (outs: Tensor[]): number => {
    let s = 0;
    outs.forEach((o, k) => {
      if (!isFloating(o)) return;
      const v = projections[k];
      for (let i = 0; i < o.numel; i++) s += v[i] * o.data[i];
    });
    return s;
  };

  // Analytic: backward of Σ v·out, output by output (through one graph: each keeps it for the next).
  let anyGraph = false;
  first.forEach((o, k) => {
    if (!o.requiresGrad) return;
    anyGraph = true;
    o.backward(new Tensor(Float64Array.from(projections[k]), o.shape, 'float64'), { retainGraph: true });
  });
  if (!anyGraph)
    throw new SeqlabError('gradcheck', 'a function whose output requires grad', 'outputs without a graph');

  // Numeric: central differences, input element by input element.
  for (let k = 0; k < copies.length; k++) {
    const x = copies[k];
    if (!x.requiresGrad) continue;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.numel);
    for (let i = 0; i < x.numel; i++) {
      const saved = x.data[i];
      x.data[i] = saved + eps;
      const plus = noGrad(() => project(outputsOf()));
      x.data[i] = saved - eps;
      const minus = noGrad(() => project(outputsOf()));
      x.data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const got = analytic[i];
      if (!(Math.abs(got - numeric) <= atol + rtol * Math.abs(numeric))) {
        if (!raise) return false;
        throw new SeqlabError(
          'gradcheck',
          `analytic gradient ${numeric} (finite differences) for input ${k} at flat index ${i}`,
          `${got}`,
          `Tolerances atol=${atol}, rtol=${rtol}`,
        );
      }
    }
  }
  return true;
}
