/**
 * Exploding gradients and clipping (guide 8). A vanilla RNN (tanh, hidden 32) whose recurrent
 * weights start 3× larger than PyTorch's default, so its Jacobians through time grow instead of
 * shrink, trained with plain SGD on the adding problem (T = 30). The same run twice, from the same
 * weights on the same batches: without clipping, and with `clipGradNorm(params, 1)` (PyTorch's
 * `clip_grad_norm_`). Every step records the total gradient norm from before clipping (what
 * `clipGradNorm` returns; with `maxNorm = Infinity` it only measures), the norm of the gradient the
 * step then applies (measured again after clipping) and the loss. Guide 8's live chart runs the
 * same steps in a Web Worker (`explodingSteps`, one step at a time).
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/exploding-gradients.ts`.
 */
import { addingProblem } from '@seqlab/data';
import { Linear, Module, mseLoss, RNN } from '@seqlab/layers';
import { clipGradNorm, SGD } from '@seqlab/optim';
import { Generator, manualSeed, noGrad, type Tensor } from '@seqlab/tensor';

/** RNN → its last output → Linear: input [B, T, 2] → prediction [B]. */
class AddingRNN extends Module {
  readonly rnn = new RNN({ inputSize: 2, hiddenSize: 32, batchFirst: true });
  readonly fc = new Linear(32, 1);

  forward(input: Tensor): Tensor {
    return this.fc.forward(this.rnn.forward(input).output.select(1, input.shape[1] - 1)).squeeze(1);
  }
}

/** Settings of one run. */
export interface ExplodingOptions {
  /** Max gradient norm; Infinity: no clipping. */
  clip: number;
  /** The recurrent weights start at `gain` × PyTorch's initialisation. */
  gain: number;
  T: number;
  steps: number;
  lr: number;
  seed: number;
}

export const EXPLODING_DEFAULTS: ExplodingOptions = {
  clip: Infinity,
  gain: 3,
  T: 30,
  steps: 300,
  lr: 0.05,
  seed: 0,
};

/** One training step: the gradient norm before and after clipping, and the loss. */
export interface ExplodingStep {
  /** ‖g‖ from `backward()`, before clipping. */
  gradNorm: number;
  /** ‖g‖ of the gradient `step()` applies: after clipping (= gradNorm without). */
  appliedNorm: number;
  loss: number;
}

/** One run: per step the gradient norm before and after clipping and the loss; the final test MSE. */
export interface ExplodingRun {
  clip: number;
  gradNorms: number[];
  appliedNorms: number[];
  losses: number[];
  testMse: number;
}

/** The run one step at a time: yields each step, returns the test MSE after the last one. */
export function* explodingSteps(options: Partial<ExplodingOptions> = {}): Iterator<ExplodingStep, number> {
  const o = { ...EXPLODING_DEFAULTS, ...options };
  manualSeed(o.seed);
  const model = new AddingRNN();
  // Scale W_hh in place (its storage), before the optimizer sees it.
  const w = new Map(model.rnn.namedParameters()).get('weight_hh_l0') as Tensor;
  for (let i = 0; i < w.data.length; i++) w.data[i] *= o.gain;
  const optimizer = new SGD(model.parameters(), { lr: o.lr });
  const batches = new Generator(o.seed);
  const test = addingProblem(500, o.T, { generator: new Generator(10_000 + o.T) });
  for (let step = 0; step < o.steps; step++) {
    const { input, target } = addingProblem(64, o.T, { generator: batches });
    const loss = mseLoss(model.forward(input), target);
    optimizer.zeroGrad();
    loss.backward();
    const gradNorm = clipGradNorm(model.parameters(), o.clip);
    // Measures only: scales by min(Infinity / ‖g‖, 1) = 1.
    const appliedNorm = o.clip === Infinity ? gradNorm : clipGradNorm(model.parameters(), Infinity);
    optimizer.step();
    yield { gradNorm, appliedNorm, loss: loss.item() };
  }
  return noGrad(() => mseLoss(model.forward(test.input), test.target).item());
}

/** The whole run at once. */
export function runExploding(options: Partial<ExplodingOptions> = {}): ExplodingRun {
  const run: ExplodingRun = {
    clip: options.clip ?? EXPLODING_DEFAULTS.clip,
    gradNorms: [],
    appliedNorms: [],
    losses: [],
    testMse: Number.NaN,
  };
  const steps = explodingSteps(options);
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) {
      run.testMse = next.value;
      return run;
    }
    run.gradNorms.push(next.value.gradNorm);
    run.appliedNorms.push(next.value.appliedNorm);
    run.losses.push(next.value.loss);
  }
}

/** Median, 99th percentile and maximum of a list, and how many entries exceed `over`. */
export function summarize(xs: readonly number[], over: number) {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.floor(q * finite.length))];
  return {
    median: at(0.5),
    p99: at(0.99),
    max: finite[finite.length - 1],
    above: xs.filter((x) => x > over).length,
    nonFinite: xs.length - finite.length,
  };
}

// (`typeof process`: the page's worker imports this file too, and has no process.)
if (typeof process === 'object' && import.meta.url === `file://${process.argv[1]}`) {
  const fmt = (x: number) =>
    Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toExponential(2) : x.toFixed(3)) : String(x);
  console.log(
    'vanilla RNN, recurrent weights ×3, SGD 0.05, adding problem T = 30, batch 64, 300 steps, seed 0',
  );
  console.log(
    '| clipping | median ‖g‖ | max ‖g‖ | steps with ‖g‖ > 10 | first non-finite loss | loss, last 50 steps (mean) | test MSE |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const clip of [Infinity, 1]) {
    const r = runExploding({ clip });
    const s = summarize(r.gradNorms, 10);
    const tail = r.losses.slice(-50);
    console.log(
      `| ${clip === Infinity ? 'none' : `clipGradNorm(params, ${clip})`} | ${fmt(s.median)} | ${fmt(s.max)} | ${s.above} | ${r.losses.findIndex((l) => !Number.isFinite(l)) + 1 || '–'} | ${fmt(tail.reduce((a, b) => a + b, 0) / tail.length)} | ${fmt(r.testMse)} |`,
    );
    console.log(`  max ‖g‖ applied (after clipping): ${fmt(summarize(r.appliedNorms, 10).max)}`);
    console.log(
      `  ‖g‖ every 25 steps: ${r.gradNorms
        .filter((_, i) => i % 25 === 0)
        .map(fmt)
        .join(' ')}`,
    );
  }
}
