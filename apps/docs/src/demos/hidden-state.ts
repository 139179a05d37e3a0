/**
 * Guide 2: the hidden state. The from-scratch RNN of `examples/simple-rnn.ts` (its own time loop of
 * tensor ops) and seqlab's `RNN` layer given the same weights compute the same hidden states and the
 * same gradients; `RNN` adds everything around the loop. Plain TypeScript on the public packages,
 * so the page's component only draws what this returns and the test checks it.
 */
import { Linear, RNN, skipInit } from '@seqlab/layers';
import { SGD } from '@seqlab/optim';
import { manualSeed, noGrad, type Shape, type Tensor, tensor, zeros } from '@seqlab/tensor';
import {
  echoBatch,
  initSimpleRnn,
  type SimpleRnnOptions,
  type SimpleRnnParams,
  simpleRnnStates,
} from '../../examples/simple-rnn';

/** Options of `compareHiddenState`. */
export interface HiddenStateOptions {
  /** Hidden size H. */
  hidden?: number;
  /** Seed for the (untrained) weights. */
  seed?: number;
}

/** One time step of both models. */
export interface HiddenStep {
  x: number;
  /** h_t from the from-scratch loop [H]. */
  loop: number[];
  /** h_t from `RNN`'s output [H]. */
  layer: number[];
  /** max_k |Δh_t,k| when x_1 is changed by +1 (the loop's): how much of the first input h_t still carries. */
  memory: number;
}

/** What `compareHiddenState` returns. */
export interface HiddenStateResult {
  steps: HiddenStep[];
  /** max over t and units of |h_t(loop) − h_t(RNN)|. */
  forwardDiff: number;
  /** For each weight: max |grad(loop) − grad(RNN)| of the loss Σ_t Σ_k h_t,k, mapped to the loop's layout. */
  gradientDiffs: { name: string; shape: Shape; maxAbsDiff: number }[];
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// #region same-weights
/**
 * An `RNN` layer holding the from-scratch RNN's weights: PyTorch's layout stores W_ih [H, I] and
 * W_hh [H, H] (x W_ihᵀ), the loop multiplies x [B, I] by W_xh [I, H], so the weights are transposed;
 * the layer has two biases where the loop has one, so b_hh is zero.
 */
export function rnnFromSimple(params: SimpleRnnParams): RNN {
  const [inputSize, hiddenSize] = params.Wxh.shape;
  // skipInit: the layer's own random init would be overwritten, and would move the random stream.
  const rnn = skipInit(() => new RNN({ inputSize, hiddenSize }));
  rnn.loadStateDict({
    weight_ih_l0: params.Wxh.detach().transpose(0, 1),
    weight_hh_l0: params.Whh.detach().transpose(0, 1),
    bias_ih_l0: params.bh.detach().clone(),
    bias_hh_l0: zeros([hiddenSize]),
  });
  return rnn;
}
// #endregion same-weights

/**
 * Runs the input sequence `xs` (one feature per step, batch 1) through the from-scratch loop and
 * through `RNN` with the same weights, and compares their hidden states and the gradients of the
 * loss Σ_t Σ_k h_t,k with respect to every weight.
 *
 * @example
 * ```ts
 * const r = compareHiddenState([1, 0, 0, 0, 0, 0]); // an impulse: watch h_t fade
 * r.forwardDiff; // < 1e-6: the same numbers
 * ```
 */
export function compareHiddenState(
  xs: readonly number[],
  options: HiddenStateOptions = {},
): HiddenStateResult {
  const { hidden = 8, seed = 0 } = options;
  manualSeed(seed);
  const params = initSimpleRnn(hidden);
  const rnn = rnnFromSimple(params);
  const x = tensor([...xs], { shape: [xs.length, 1, 1] }); // [T, B, I]

  const loop = simpleRnnStates(params, x); // T × [B, H]
  const { output } = rnn.forward(x); // [T, B, H]
  loop.reduce((sum: Tensor, h) => sum.add(h.sum()), zeros([])).backward();
  output.sum().backward();

  const nudged = tensor(
    xs.map((v, t) => (t === 0 ? v + 1 : v)),
    { shape: [xs.length, 1, 1] },
  );
  const moved = noGrad(() => simpleRnnStates(params, nudged));
  const layer = output.data;
  const steps = xs.map((v, t) => ({
    x: v,
    loop: Array.from(loop[t].data),
    layer: Array.from(layer.subarray(t * hidden, (t + 1) * hidden)),
    memory: maxAbsDiff(loop[t].data, moved[t].data),
  }));
  const layerParams = new Map(rnn.namedParameters());
  // max |grad(loop) − grad(RNN)| for one loop weight and the layer weight it became (transposed or not).
  const compare = (name: string, mine: Tensor, theirs: string, transposed: boolean) => {
    const g = layerParams.get(theirs)?.grad;
    if (!mine.grad || !g) throw new Error(`compareHiddenState: expected gradients for ${name}, got none`);
    return {
      name,
      shape: mine.shape,
      maxAbsDiff: maxAbsDiff(mine.grad.data, (transposed ? g.transpose(0, 1) : g).data),
    };
  };
  return {
    steps,
    forwardDiff: maxAbsDiff(
      loop.flatMap((h) => Array.from(h.data)),
      layer,
    ),
    gradientDiffs: [
      compare('W_xh = weight_ih_l0ᵀ', params.Wxh, 'weight_ih_l0', true),
      compare('W_hh = weight_hh_l0ᵀ', params.Whh, 'weight_hh_l0', true),
      compare('b_h = bias_ih_l0', params.bh, 'bias_ih_l0', false),
      compare('b_h = bias_hh_l0', params.bh, 'bias_hh_l0', false),
    ],
  };
}

/**
 * The example's training run (`trainSimpleRnn`: the echo task, plain SGD) with `RNN` and `Linear`
 * in place of the loop and the output weights: same initial weights, same batches, same updates.
 * Returns the loss curve, which equals the loop's up to float rounding. With `trainBiasHh` the
 * layer's second bias is trained too, as in a PyTorch model, and the curves part after the first step.
 */
// #region train
export function trainEchoWithRnn(options: SimpleRnnOptions & { trainBiasHh?: boolean } = {}): number[] {
  const {
    hidden = 16,
    steps = 300,
    seqLen = 12,
    batch = 32,
    lr = 0.2,
    seed = 0,
    trainBiasHh = false,
  } = options;
  manualSeed(seed);
  const start = initSimpleRnn(hidden); // the example's draws, so the batches below are its batches
  const rnn = rnnFromSimple(start);
  const fc = skipInit(() => new Linear(hidden, 1));
  fc.loadStateDict({ weight: start.Why.detach().transpose(0, 1), bias: start.by.detach().clone() });
  // The layer has PyTorch's two biases where the loop has one: both get the same gradient, so SGD
  // would move their sum twice as fast. Training only b_ih (b_hh stays 0) replays the loop exactly.
  const trained = [...rnn.namedParameters()]
    .filter(([name]) => trainBiasHh || name !== 'bias_hh_l0')
    .map(([, p]) => p);
  const optimizer = new SGD([...trained, ...fc.parameters()], { lr });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { x, y } = echoBatch(seqLen, batch);
    const { output } = rnn.forward(x); // x [T, B, 1] -> output [T, B, H]: the whole loop
    const loss = fc.forward(output).sub(y).pow(2).mean();
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return losses;
}
// #endregion train
