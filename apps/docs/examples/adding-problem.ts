/**
 * Where recurrence wins (guide 7): the adding problem (Hochreiter & Schmidhuber 1997). Each step
 * holds a value and a marker; two steps are marked; the target is the sum of the two marked values.
 * Predicting 1 scores MSE ≈ 0.167. Three models, same data, same optimiser:
 *
 * - `lstm`: an LSTM reads the steps in order; `Linear` on its last hidden state.
 * - `mean`: the mean-of-embeddings baseline, as the trainer's `--model bag`: each step's input
 *   vector (its "embedding") averaged over time, then an MLP. The mean of values and the mean of
 *   markers say nothing about which values were marked, so it stays at the baseline.
 * - `deepsets`: an MLP on each step first, then the mean over time, then `Linear` (Zaheer et al.'s
 *   Deep Sets). The task is a sum of a per-step product (value × marker), so this order-blind model
 *   solves it too: the adding problem tests memory across a long sequence, not word order.
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/adding-problem.ts [T] [steps]`.
 */
import { addingProblem } from '@seqlab/data';
import { Linear, LSTM, Module, mseLoss, ReLU, Sequential } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { Generator, manualSeed, noGrad, type Tensor } from '@seqlab/tensor';

/** The three models of the comparison. */
export type AddingModelKind = 'lstm' | 'mean' | 'deepsets';

/** input [B, T, 2] → prediction [B]. */
export class AddingModel extends Module {
  readonly kind: AddingModelKind;
  readonly lstm: LSTM | null;
  readonly step: Sequential | null;
  readonly head: Sequential | Linear;

  constructor(kind: AddingModelKind, hidden: number) {
    super();
    this.kind = kind;
    this.lstm =
      kind === 'lstm'
        ? this.registerModule('lstm', new LSTM({ inputSize: 2, hiddenSize: hidden, batchFirst: true }))
        : null;
    this.step =
      kind === 'deepsets'
        ? this.registerModule(
            'step',
            new Sequential(new Linear(2, hidden), new ReLU(), new Linear(hidden, hidden), new ReLU()),
          )
        : null;
    this.head =
      kind === 'mean'
        ? this.registerModule(
            'head',
            new Sequential(new Linear(2, hidden), new ReLU(), new Linear(hidden, 1)),
          )
        : this.registerModule('head', new Linear(hidden, 1));
  }

  forward(input: Tensor): Tensor {
    const T = input.shape[1];
    if (this.lstm) return this.head.forward(this.lstm.forward(input).output.select(1, T - 1)).squeeze(1);
    // deepsets: φ(x_t) for every step, then the mean; mean: the mean of the raw step vectors
    const perStep = this.step ? this.step.forward(input) : input;
    return this.head.forward(perStep.mean(1)).squeeze(1);
  }
}

/** Settings of one run. */
export interface AddingOptions {
  T: number;
  steps: number;
  hidden: number;
  batch: number;
  lr: number;
  seed: number;
  evalEvery: number;
}

export const ADDING_DEFAULTS: AddingOptions = {
  T: 20,
  steps: 600,
  hidden: 32,
  batch: 64,
  lr: 0.01,
  seed: 0,
  evalEvery: 100,
};

/** Test MSE every `evalEvery` steps (a fixed test set of 500 sequences), and the baseline's. */
export interface AddingResult {
  kind: AddingModelKind;
  curve: [step: number, mse: number][];
  finalMse: number;
  /** MSE of always predicting 1 on the same test set. */
  baselineMse: number;
}

/** Trains one model with Adam and clipping at 1 on fresh batches; evaluates on a fixed test set. */
export function runAdding(kind: AddingModelKind, options: Partial<AddingOptions> = {}): AddingResult {
  const o = { ...ADDING_DEFAULTS, ...options };
  manualSeed(o.seed);
  const model = new AddingModel(kind, o.hidden);
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const test = addingProblem(500, o.T, { generator: new Generator(10_000 + o.T) });
  const batches = new Generator(o.seed);
  const evaluate = () => noGrad(() => mseLoss(model.forward(test.input), test.target).item());
  const curve: [number, number][] = [[0, evaluate()]];
  for (let step = 1; step <= o.steps; step++) {
    const { input, target } = addingProblem(o.batch, o.T, { generator: batches });
    const loss = mseLoss(model.forward(input), target);
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    optimizer.step();
    if (step % o.evalEvery === 0) curve.push([step, evaluate()]);
  }
  const baselineMse = test.target.sub(1).pow(2).mean().item();
  return { kind, curve, finalMse: curve[curve.length - 1][1], baselineMse };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const T = Number(process.argv[2] ?? ADDING_DEFAULTS.T);
  const steps = Number(process.argv[3] ?? ADDING_DEFAULTS.steps);
  console.log(`adding problem, T = ${T}, ${steps} steps (hidden 32, batch 64, Adam 0.01, clip 1, seed 0)`);
  for (const kind of ['mean', 'deepsets', 'lstm'] as const) {
    const start = performance.now();
    const r = runAdding(kind, { T, steps });
    const s = ((performance.now() - start) / 1000).toFixed(1);
    console.log(
      `${kind}: test MSE ${r.curve.map(([step, mse]) => `${step}:${mse.toFixed(4)}`).join(' ')}; baseline ${r.baselineMse.toFixed(4)} (${s} s)`,
    );
  }
}
