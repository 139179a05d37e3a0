/**
 * The article's from-scratch RNN, written with @seqlab/tensor ops only:
 *
 *   h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h)      y_t = h_t W_hy + b_y
 *
 * trained with plain gradient descent on a small sequence task that needs memory: echo the input
 * of the previous step (y_t = x_{t−1}). Run it with `pnpm example`.
 */
import { manualSeed, matmul, noGrad, stack, type Tensor, tanh, uniform, zeros } from '@seqlab/tensor';

/** Options of `trainSimpleRnn`. */
export interface SimpleRnnOptions {
  hidden?: number;
  steps?: number;
  seqLen?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** A batch of the delay-1 echo task: x [T, B, 1] uniform in [−1, 1], y_t = x_{t−1} (y_0 = 0). */
export function echoBatch(seqLen: number, batch: number): { x: Tensor; y: Tensor } {
  const x = uniform([seqLen, batch, 1], -1, 1);
  const y = zeros([seqLen, batch, 1]);
  y.data.set(x.data.subarray(0, (seqLen - 1) * batch), batch);
  return { x, y };
}

/** The from-scratch RNN's parameters: h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h), y_t = h_t W_hy + b_y. */
export interface SimpleRnnParams {
  /** [I, H] */
  Wxh: Tensor;
  /** [H, H] */
  Whh: Tensor;
  /** [H] */
  bh: Tensor;
  /** [H, 1] */
  Why: Tensor;
  /** [1] */
  by: Tensor;
}

/** Draws the parameters from U(−1/√H, 1/√H), PyTorch's rule for recurrent layers. */
export function initSimpleRnn(hidden: number, inputSize = 1): SimpleRnnParams {
  const k = 1 / Math.sqrt(hidden);
  const init = (shape: number[]) => {
    const p = uniform(shape, -k, k);
    p.requiresGrad = true;
    return p;
  };
  return {
    Wxh: init([inputSize, hidden]),
    Whh: init([hidden, hidden]),
    bh: init([hidden]),
    Why: init([hidden, 1]),
    by: init([1]),
  };
}

/** The time loop: x [T, B, I] -> the hidden states h_1 … h_T, each [B, H] (h_0 = 0). */
// #region loop
export function simpleRnnStates(params: SimpleRnnParams, x: Tensor): Tensor[] {
  const { Wxh, Whh, bh } = params;
  const [seqLen, batch] = x.shape;
  let h = zeros([batch, Whh.shape[0]]);
  const states: Tensor[] = [];
  for (let t = 0; t < seqLen; t++) {
    // x_t [B, I], h [B, H] -> h [B, H]
    h = tanh(matmul(x.select(0, t), Wxh).add(matmul(h, Whh)).add(bh));
    states.push(h);
  }
  return states;
}
// #endregion loop

/** Trains the from-scratch RNN and returns the loss curve (one value per step). */
export function trainSimpleRnn(options: SimpleRnnOptions = {}): number[] {
  const { hidden = 16, steps = 300, seqLen = 12, batch = 32, lr = 0.2, seed = 0, log } = options;
  manualSeed(seed);
  const model = initSimpleRnn(hidden);
  const { Why, by } = model;
  const params = [model.Wxh, model.Whh, model.bh, Why, by];

  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { x, y } = echoBatch(seqLen, batch);
    // h_t [B, H] -> y_t [B, 1]
    const outputs = simpleRnnStates(model, x).map((h) => matmul(h, Why).add(by));
    const loss = stack(outputs).sub(y).pow(2).mean();
    for (const p of params) p.grad = null;
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        const g = p.grad!.data;
        for (let i = 0; i < g.length; i++) p.data[i] -= lr * g[i];
      }
    });
    losses.push(loss.item());
    if (log && (step % 50 === 0 || step === steps - 1))
      log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(5)}`);
  }
  return losses;
}

// Run as a script (`pnpm example`); the docs site imports this file in the browser, where there is no process.
if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const losses = trainSimpleRnn({ log: console.log });
  console.log(`loss fell from ${losses[0].toFixed(4)} to ${losses[losses.length - 1].toFixed(4)}`);
}
