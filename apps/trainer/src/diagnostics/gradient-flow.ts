import { addingProblem } from '@seqlab/data';
import { GRU, Linear, LSTM, mseLoss, RNN } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  ConfigError,
  cat,
  randn,
  setDefaultGenerator,
  type Tensor,
  TorchGenerator,
  tensor,
} from '@seqlab/tensor';

/** The recurrent layers compared by `seqlab diagnose gradients`. */
export type CellKind = 'rnn' | 'gru' | 'lstm';

/** Which gradient a series follows: dL/dh_t (every layer) or dL/dc_t (the LSTM's cell path). */
export type GradientPath = 'dh' | 'dc';

/** Untrained (PyTorch's init, plus the forget bias) or after the short training run. */
export type Phase = 'init' | 'trained';

/** What to measure. The defaults (see `GRADIENT_FLOW_DEFAULTS`) are the reference script's. */
export interface GradientFlowOptions {
  /** Sequence length T. */
  length: number;
  /** Hidden size H. */
  hidden: number;
  /** Input features I per step. */
  input: number;
  /** Sequences per batch B. */
  batch: number;
  /** Seeds 0 … seeds−1; norms are averaged over them before taking ratios. */
  seeds: number;
  /** Layers to measure, in this order. */
  models: readonly CellKind[];
  /** Added to the LSTM's forget-gate slice of b_ih at init (0 = PyTorch's init). */
  forgetBias: number;
  /** Adam steps on the adding problem before the second measurement (0 = init only). */
  trainSteps: number;
  /** Adam's learning rate for the training run. */
  lr: number;
  /** Clip the global gradient norm to this during training. */
  clip: number;
  /** Called after every training step (for progress output). */
  onTrainStep?: (event: { model: CellKind; seed: number; step: number; loss: number }) => void;
}

// The defaults live in a module of their own, which the CLI's help reads without loading this one.
export { GRADIENT_FLOW_DEFAULTS } from './gradient-flow-defaults';

/** One curve: a model's gradient norm along one path, in one phase, by distance from the loss. */
export interface GradientSeries {
  model: CellKind;
  path: GradientPath;
  phase: Phase;
  /** `lstm dL/dc`, as the reference table names its rows. */
  name: string;
  /**
   * `relative[d]` = ‖dL/d·‖ at distance d from the loss over its value at distance 0, with each
   * norm first averaged over the seeds. For dh, distance d is h_{T−d}; for dc it is c_{T−1−d}
   * (the reference's convention: the cell path ends at c_{T−1}; see `stepNorms`).
   */
  relative: number[];
  /** The seed-averaged absolute norm at distance 0 (what `relative` divides by). */
  atLoss: number;
  /**
   * LSTM only: the forget gate f_t averaged over units, steps, sequences and seeds on the probe's x
   * (σ(≈0) ≈ 0.5 with PyTorch's init; σ(2) ≈ 0.88 with forget bias 2). The cell path is multiplied
   * by f at every step, so this is the first number to look at when it vanishes.
   */
  meanForgetGate?: number;
}

/** The training run's outcome per model (MSE on the adding problem; predicting 1 scores ≈ 0.167). */
export interface TrainingSummary {
  model: CellKind;
  /** Mean over seeds of the mean loss of the first and the last 10% of steps. */
  firstLoss: number;
  lastLoss: number;
}

/** What `measureGradientFlow` returns. */
export interface GradientFlowResult {
  options: Omit<GradientFlowOptions, 'onTrainStep'>;
  /** Per model: dh (and for the LSTM dc) at init, then the same after training if trainSteps > 0. */
  series: GradientSeries[];
  training: TrainingSummary[];
}

/** Per-step norms of one backward pass: index t is step t (0-based). */
export interface StepNorms {
  /** ‖dL/dh_t‖ for t = 0 … T−1. */
  dh: number[];
  /** LSTM: the cell-path ‖dL/dc_t‖ for t = 0 … T−2 (the last cell state has none); else null. */
  dc: number[] | null;
  /** LSTM: the mean forget gate over units, steps and sequences during the probe; else null. */
  forget: number | null;
}

/** The distances the table shows (the reference's), limited to those that exist for length T. */
export function tableDistances(length: number): number[] {
  return [0, 1, 2, 5, 10, 20, 30, 40, 48].filter((d) => d < length - 1);
}

/**
 * A layer as the reference builds it (`nn.RNN`/`nn.GRU`/`nn.LSTM(input, hidden, batch_first=True)`)
 * followed by its head `nn.Linear(hidden, 1)`, drawn from the global generator in that order.
 */
function build(kind: CellKind, o: Pick<GradientFlowOptions, 'input' | 'hidden' | 'forgetBias'>) {
  const options = { inputSize: o.input, hiddenSize: o.hidden, batchFirst: true };
  const layer =
    kind === 'lstm'
      ? new LSTM({ ...options, forgetBias: o.forgetBias })
      : kind === 'gru'
        ? new GRU(options)
        : new RNN(options);
  const head = new Linear(o.hidden, 1);
  return { layer, head };
}

/** Mean over the batch of the L2 norm over features, for each of the T steps of time-major rows [T·B, F]. */
function rowNorms(rows: Tensor, T: number, B: number): number[] {
  const F = rows.shape[1];
  const d = rows.data;
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    let sum = 0;
    for (let b = 0; b < B; b++) {
      let sq = 0;
      for (let k = 0, p = (t * B + b) * F; k < F; k++, p++) sq += d[p] * d[p];
      sum += Math.sqrt(sq);
    }
    out.push(sum / B);
  }
  return out;
}

/**
 * The cell-path gradient of every step but the last, as PyTorch's `c.retain_grad()` reports it in
 * the reference's step-by-step loop. There c_t's only consumer is step t+1 (h_t = o_t ⊙ tanh(c_t)
 * is computed inside the step that made c_t), so c_t.grad = f_{t+1} ⊙ dL/dc_{t+1}: what arrives
 * along the cell state from the future, without the local path through h_t. Our trace gives the
 * total dL/dc_t (both paths); multiplying row t+1 by its forget gate gives the reference's value.
 * And c_T has no consumer at all (its grad is None), which is why the reference drops it.
 *
 * dcTotal [T·B, H] and gates [T·B, 4H] (i, f, g, o) are time-major -> [(T−1)·B, H].
 */
function cellPathRows(dcTotal: Tensor, gates: Tensor, T: number, B: number): Tensor {
  const H = dcTotal.shape[1];
  const dc = dcTotal.data;
  const g = gates.data;
  const out = new Float32Array((T - 1) * B * H);
  for (let r = 0; r < (T - 1) * B; r++) {
    const next = r + B; // the same sequence one step later
    for (let k = 0; k < H; k++) out[r * H + k] = g[next * 4 * H + H + k] * dc[next * H + k];
  }
  return tensor(out, { shape: [(T - 1) * B, H] });
}

/** The mean of the forget block (columns H … 2H−1) of LSTM gates [N, 4H]. */
function meanForget(gates: Tensor): number {
  const [N, G] = gates.shape;
  const H = G / 4;
  let sum = 0;
  for (let r = 0; r < N; r++) for (let k = H; k < 2 * H; k++) sum += gates.data[r * G + k];
  return sum / (N * H);
}

/**
 * One probe, exactly the reference's `grad_norms`: loss = head(h_T)².mean() on `x` [B, T, I], then
 * ‖dL/dh_t‖ and (LSTM) ‖dL/dc_t‖ for every step, each the mean over the batch of the L2 norm over
 * hidden units. dh is the total gradient of h_t (through the loss and through step t+1), the same
 * as PyTorch's `h.retain_grad()` in the reference's loop; dc is the cell-path gradient the
 * reference records (see `cellPathRows`), for c_1 … c_{T−1}.
 */
export function stepNorms(layer: RNN | GRU | LSTM, head: Linear, x: Tensor): StepNorms {
  // x [B, T, I] -> hN [1, B, H] -> head [B, 1] -> scalar loss
  const [B, T] = x.shape;
  const lstm = layer instanceof LSTM;
  layer.trackGradients = true;
  layer.recordGates = lstm;
  try {
    const { hN } = layer.forward(x);
    const loss = head.forward(hN.select(0, 0)).pow(2).mean();
    loss.backward();
    const record = layer.lastGradients?.[0];
    const gates = layer.lastGates?.[0]?.gates;
    if (!record?.dh || (lstm && !(record.dc && gates))) {
      throw new ConfigError('stepNorms', 'per-step gradients from backward', 'none');
    }
    const dh = rowNorms(record.dh, T, B);
    const dc = lstm ? rowNorms(cellPathRows(record.dc as Tensor, gates as Tensor, T, B), T - 1, B) : null;
    return { dh, dc, forget: lstm ? meanForget(gates as Tensor) : null };
  } finally {
    layer.trackGradients = false;
    layer.recordGates = false;
    layer.lastGates = null;
    layer.lastGradients = null;
    layer.zeroGrad();
    head.zeroGrad();
  }
}

/** Mean over runs per step, divided by the last step's mean, listed by distance (index 0 = last step). */
export function relativeByDistance(runs: readonly (readonly number[])[]): {
  relative: number[];
  atLoss: number;
} {
  const n = runs[0].length;
  const mean = Array.from({ length: n }, (_, t) => runs.reduce((s, r) => s + r[t], 0) / runs.length);
  const atLoss = mean[n - 1];
  return { relative: mean.map((_, d) => mean[n - 1 - d] / atLoss), atLoss };
}

/**
 * A batch of the adding problem widened to I input features: channel 0 the values, channel 1 the
 * markers, channels 2 … I−1 N(0, 1) noise, so the trained layers have seen inputs like the probe's.
 */
function addingBatch(B: number, T: number, I: number): { input: Tensor; target: Tensor } {
  const { input, target } = addingProblem(B, T);
  return { input: I > 2 ? cat([input, randn([B, T, I - 2])], 2) : input, target };
}

/**
 * Trains layer + head for `steps` Adam steps on the adding problem (target from head(h_T)), with
 * clipping; returns the loss of every step.
 */
function trainBriefly(
  layer: RNN | GRU | LSTM,
  head: Linear,
  o: Pick<GradientFlowOptions, 'batch' | 'length' | 'input' | 'trainSteps' | 'lr' | 'clip'>,
  onStep: (step: number, loss: number) => void,
): number[] {
  const params = [...layer.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: o.lr });
  const losses: number[] = [];
  for (let step = 0; step < o.trainSteps; step++) {
    const { input, target } = addingBatch(o.batch, o.length, o.input);
    opt.zeroGrad();
    const { hN } = layer.forward(input);
    const loss = mseLoss(head.forward(hN.select(0, 0)).squeeze(1), target);
    loss.backward();
    clipGradNorm(params, o.clip);
    opt.step();
    losses.push(loss.item());
    onStep(step, losses[step]);
  }
  opt.zeroGrad();
  return losses;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Checks the options a user can get wrong (ConfigError, exit code 2). */
function validate(o: GradientFlowOptions): void {
  const op = 'diagnose gradients';
  const ints: [string, number, number][] = [
    ['--length', o.length, 3],
    ['--hidden', o.hidden, 1],
    ['--input', o.input, o.trainSteps > 0 ? 2 : 1],
    ['--batch', o.batch, 1],
    ['--seeds', o.seeds, 1],
    ['--train-steps', o.trainSteps, 0],
  ];
  for (const [flag, v, min] of ints) {
    if (!Number.isInteger(v) || v < min) {
      const why = flag === '--input' && min === 2 ? ' (the adding problem needs 2 channels)' : '';
      throw new ConfigError(op, `${flag} an integer ≥ ${min}${why}`, String(v));
    }
  }
  if (o.models.length === 0) throw new ConfigError(op, '--models a list of rnn, gru, lstm', 'none');
  if (!Number.isFinite(o.forgetBias))
    throw new ConfigError(op, '--forget-bias a number', String(o.forgetBias));
}

/**
 * `seqlab diagnose gradients`, as a library: the reference protocol
 * (../shared/bench/reference/gradient_flow.py) for every model and seed — seed the generator, build
 * the layer and its head, draw x ~ N(0, 1) [B, T, I], probe — then, when `trainSteps` > 0, train
 * that same model on the adding problem and probe it again on the same x. Norms are averaged over
 * seeds per step, then divided by the value at distance 0.
 *
 * Each seed draws from a `TorchGenerator` seeded as the reference's `torch.manual_seed(seed)`, so the
 * layer, its head and x are the reference's own numbers (x to float32 rounding); at initialisation
 * every relative norm matches gradient_flow.py's to about 1e-7 (the slow test checks 1e-5). The training run after it (not in the
 * reference) draws from the same generator. The global generator is restored after each seed.
 *
 * @example
 * ```ts
 * const { series } = measureGradientFlow({ ...GRADIENT_FLOW_DEFAULTS, trainSteps: 0 });
 * series.find((s) => s.name === 'rnn dL/dh')?.relative[20]; // ≈ 4e-6
 * ```
 */
export function measureGradientFlow(options: GradientFlowOptions): GradientFlowResult {
  validate(options);
  const { onTrainStep, ...o } = options;
  const T = o.length;
  const series: GradientSeries[] = [];
  const training: TrainingSummary[] = [];
  for (const model of o.models) {
    const runs: Record<Phase, StepNorms[]> = { init: [], trained: [] };
    const first: number[] = [];
    const last: number[] = [];
    for (let seed = 0; seed < o.seeds; seed++) {
      // torch.manual_seed(seed) with torch's generator: the reference's weights and x, draw for draw.
      const previous = setDefaultGenerator(new TorchGenerator(seed));
      try {
        const { layer, head } = build(model, o);
        const x = randn([o.batch, T, o.input]);
        runs.init.push(stepNorms(layer, head, x));
        if (o.trainSteps > 0) {
          const losses = trainBriefly(layer, head, o, (step, loss) =>
            onTrainStep?.({ model, seed, step, loss }),
          );
          const k = Math.max(1, Math.round(losses.length / 10));
          first.push(mean(losses.slice(0, k)));
          last.push(mean(losses.slice(-k)));
          runs.trained.push(stepNorms(layer, head, x));
        }
      } finally {
        setDefaultGenerator(previous);
      }
    }
    if (o.trainSteps > 0) training.push({ model, firstLoss: mean(first), lastLoss: mean(last) });
    for (const phase of ['init', 'trained'] as const) {
      const r = runs[phase];
      if (r.length === 0) continue;
      series.push({
        model,
        path: 'dh',
        phase,
        name: `${model} dL/dh`,
        ...relativeByDistance(r.map((n) => n.dh)),
      });
      if (model === 'lstm') {
        const dc = r.map((n) => n.dc as number[]);
        const meanForgetGate = mean(r.map((n) => n.forget as number));
        series.push({
          model,
          path: 'dc',
          phase,
          name: 'lstm dL/dc',
          ...relativeByDistance(dc),
          meanForgetGate,
        });
      }
    }
  }
  // Table order: init rows, then trained rows, each in the order of `models`.
  series.sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'init' ? -1 : 1));
  return { options: o, series, training };
}
