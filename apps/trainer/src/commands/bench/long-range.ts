import { loadavg } from 'node:os';
import { addingProblem } from '@seqlab/data';
import { GRU, Linear, LSTM, Module, mseLoss, RNN } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { noGrad, onesLike, setDefaultGenerator, type Tensor, TorchGenerator } from '@seqlab/tensor';

/** The recurrent cells the adding problem compares. */
export type AddingCell = 'rnn' | 'gru' | 'lstm';

/** Options of `runAddingProblem`; the defaults (see `ADDING_DEFAULTS`) are adding_problem.py's. */
export interface AddingOptions {
  /** Training steps (one fresh batch each). */
  steps: number;
  /** Evaluate on the test set every this many steps (and after the last one). */
  evalEvery: number;
  /** Hidden size H. */
  hidden: number;
  /** Sequences per training batch. */
  batch: number;
  /** Adam learning rate. */
  lr: number;
  /** Seeds the weights (torch.manual_seed(seed)) and the training batches (a generator of seed `seed`). */
  seed: number;
  /** Sequences in the fixed test set (generated with seed 10000 + T). */
  testSize: number;
  /** Wall-clock cap per run in seconds (checked after every step); 0 = none. */
  timeLimit: number;
}

/** adding_problem.py's defaults. */
export const ADDING_DEFAULTS: AddingOptions = {
  steps: 3000,
  evalEvery: 100,
  hidden: 64,
  batch: 64,
  lr: 1e-3,
  seed: 0,
  testSize: 1000,
  timeLimit: 0,
};

/** The test MSE the issue asks about, and the reference's "solved" threshold. */
export const THRESHOLDS = [0.05, 0.01] as const;

/**
 * One run of the adding problem: adding_problem.py's result (`cell`, `T`, `steps_run`,
 * `final_test_mse`, `baseline_mse`, `wall_s`, `curve`) plus the first evaluated step below each of
 * `THRESHOLDS` (null if never).
 */
export interface AddingResult {
  cell: AddingCell;
  T: number;
  steps_run: number;
  final_test_mse: number;
  baseline_mse: number;
  'steps_to_mse_below_0.05': number | null;
  'steps_to_mse_below_0.01': number | null;
  wall_s: number;
  /** Whether `timeLimit` stopped the run before `steps`. */
  time_limited: boolean;
  /** 1-minute load average at the end of the run (a busy machine makes wall_s longer). */
  loadavg_1m: number;
  /** [step, test MSE rounded to 5 decimals] at every evaluation. */
  curve: [number, number][];
}

/**
 * adding_problem.py's `AddingModel`: a one-layer RNN (tanh) / LSTM / GRU, input 2, batchFirst,
 * then `head` = Linear(H, 1) on the output at the last time step.
 */
export class AddingModel extends Module {
  readonly rnn: RNN | LSTM | GRU;
  readonly head: Linear;

  constructor(cell: AddingCell, hidden: number) {
    super();
    const options = { inputSize: 2, hiddenSize: hidden, batchFirst: true };
    this.rnn = this.registerModule(
      'rnn',
      cell === 'lstm' ? new LSTM(options) : cell === 'gru' ? new GRU(options) : new RNN(options),
    );
    this.head = this.registerModule('head', new Linear(hidden, 1));
  }

  /** Predictions [B, 1]. */
  forward(x: Tensor): Tensor {
    // x [B, T, 2] -> output [B, T, H] -> last step [B, H] -> [B, 1]
    const { output } = this.rnn.forward(x);
    return this.head.forward(output.select(1, -1));
  }
}

/**
 * Trains one cell on the adding problem at length T exactly as adding_problem.py's `run`, on its
 * data from its initial weights: every draw comes from a `TorchGenerator` seeded as there — the
 * weights from the global one after `torch.manual_seed(seed)`, a fixed test set of `testSize`
 * sequences from its own generator (seed 10000 + T), fresh batches from another (seed `seed`).
 * Then MSE, Adam, clipGradNorm(1) every step; a test evaluation every `evalEvery` steps and after
 * the last step, and a final one after the loop (which is what `final_test_mse` reports, also when
 * the time limit cut the run short). `onEval` sees each evaluation (for progress output).
 */
export function runAddingProblem(
  cell: AddingCell,
  T: number,
  options: AddingOptions,
  onEval: (step: number, mse: number) => void = () => {},
): AddingResult {
  const test = addingProblem(options.testSize, T, { generator: new TorchGenerator(10_000 + T) });
  const testTarget = test.target.unsqueeze(1);
  const generator = new TorchGenerator(options.seed);
  const previous = setDefaultGenerator(new TorchGenerator(options.seed));
  let model: AddingModel;
  try {
    model = new AddingModel(cell, options.hidden);
  } finally {
    setDefaultGenerator(previous);
  }
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: options.lr });
  const baseline = mseLoss(onesLike(testTarget), testTarget).item();
  const testMse = () => noGrad(() => mseLoss(model.forward(test.input), testTarget).item());
  const curve: [number, number][] = [];
  const reached: (number | null)[] = THRESHOLDS.map(() => null);
  const t0 = performance.now();
  let step = 0;
  let timeLimited = false;
  for (step = 1; step <= options.steps; step++) {
    const { input, target } = addingProblem(options.batch, T, { generator });
    optimizer.zeroGrad();
    const loss = mseLoss(model.forward(input), target.unsqueeze(1));
    loss.backward();
    clipGradNorm(params, 1);
    optimizer.step();
    if (step % options.evalEvery === 0 || step === options.steps) {
      const mse = testMse();
      curve.push([step, Number(mse.toFixed(5))]);
      THRESHOLDS.forEach((threshold, i) => {
        if (reached[i] === null && mse < threshold) reached[i] = step;
      });
      onEval(step, mse);
    }
    if (options.timeLimit > 0 && (performance.now() - t0) / 1000 > options.timeLimit) {
      timeLimited = step < options.steps;
      break;
    }
  }
  const stepsRun = Math.min(step, options.steps);
  return {
    cell,
    T,
    steps_run: stepsRun,
    final_test_mse: testMse(),
    baseline_mse: baseline,
    'steps_to_mse_below_0.05': reached[0],
    'steps_to_mse_below_0.01': reached[1],
    wall_s: (performance.now() - t0) / 1000,
    time_limited: timeLimited,
    loadavg_1m: Number(loadavg()[0].toFixed(2)),
    curve,
  };
}
