import { isGradEnabled } from '../autograd/grad-mode';
import { backend, runOn } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { defer } from '../pending';
import { writableStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import type { RecurrentLayerInputs, RecurrentLayerOptions, RecurrentLayerOutputs } from './recurrent';

// NOTE(deferred-reverse): a classifier on the last time step of a bidirectional layer
// (`fc(rnn(x).output.select(1, -1))`) reads the reverse direction's first processed step only (it
// starts at t = T − 1); in inference the other T − 1 steps, and as much of its input projection,
// are computed and never read (W1: a third of its flops; NOTE(zero-gradient-steps) skips their zero
// gradients in training). With `deferReverse`, a layer call that needs no gradient, over a padded
// batch of T ≥ 2 steps with both directions given as `input` and no recorded gates or trace, runs
// the forward direction and the reverse one's first step (rows of t = T − 1 as a one-step
// sequence, the same numbers) now, and leaves the reverse half of the other rows, and its hN and
// cN, pending (NOTE(pending-data)): the first read of them runs the whole reverse direction as the
// eager call would have, on the backend the call ran on, from copies of its weights, biases, h0,
// c0 and (unless the caller says the input is its own and unchanged, `internalInput`) its input,
// and writes the pending rows (never the complete ones) and the states. Every read gives the
// eager call's bits; reading `output.select(1, -1)` (or the forward half) never runs it. The copies
// cost a few hundred kB per call (W1: 3 MB of W_ih and W_hh), far less than the steps skipped.
// Training (the autograd node's saved state) can follow with the same records.

let enabled = true;

/**
 * Turns the deferral of NOTE(deferred-reverse) on or off (on by default) and returns the previous
 * setting, for tests and A/B measurements. Off, a deferring call computes every step at once.
 */
export function setReverseDeferral(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

type Layer = (list: readonly RecurrentLayerInputs[], options?: RecurrentLayerOptions) => RecurrentLayerOutputs;

/** `recurrentLayer(list)` with its reverse direction deferred (NOTE(deferred-reverse)), or null when it may not be. */
export function deferReverse(
  list: readonly RecurrentLayerInputs[],
  outBatchFirst: boolean,
  internalInput: boolean,
  run: Layer,
): RecurrentLayerOutputs | null {
  const [fwd, rev] = list;
  const input = rev?.input;
  if (!enabled || list.length !== 2 || fwd.reverse || !rev.reverse || !input) return null;
  const { batchSizes, h0, c0 } = rev;
  const T = batchSizes.length;
  const B = h0.shape[0];
  const tensors = list.flatMap((i) => [i.xProj, i.input?.x, i.input?.wIh, ...(i.input?.biases ?? []), i.wHh, i.bHh, i.wHr, i.h0, i.c0]);
  if (
    T < 2 ||
    batchSizes.some((b) => b !== B) ||
    list.some((i) => i.recordGates || i.trace) ||
    (isGradEnabled() && tensors.some((t) => t?.requiresGrad))
  )
    return null;
  const { x, wIh, biases } = input;
  const xBatchFirst = !!input.batchFirst;
  const options = outBatchFirst ? { batchFirst: true } : {};
  const f = run([fwd], options);
  const last = xBatchFirst ? x.reshape([B, T, -1]).select(1, T - 1) : x.narrow(0, (T - 1) * B, B);
  const first = run([{ ...rev, input: { x: last, wIh, biases }, batchSizes: Int32Array.of(B) }]).directions[0];

  const O = f.out.shape[1];
  const W = 2 * O;
  const N = T * B;
  const dtype = f.out.dtype;
  const data = writableStorage(dtype, N * W) as FloatStorage;
  const row = (t: number, b: number) => (outBatchFirst ? b * T + t : t * B + b);
  const put = (from: FloatStorage, k: number, at: number) => data.set(from.subarray(k * O, k * O + O), at);
  const fo = f.out.data as FloatStorage;
  const ro = first.out.data as FloatStorage;
  for (let k = 0; k < N; k++) put(fo, k, k * W);
  for (let b = 0; b < B; b++) put(ro, b, row(T - 1, b) * W + O);
  f.release?.();

  // The reverse direction as the call saw it (the input only when someone may change it).
  const own = <V extends Tensor | null>(t: V): V => (t ? new Tensor(t.data.slice(), t.shape, t.dtype) : t) as V;
  const saved: RecurrentLayerInputs = {
    ...rev,
    input: { x: internalInput ? x : own(x), wIh: own(wIh), biases: biases.map(own), ...(xBatchFirst ? { batchFirst: true } : {}) },
    wHh: own(rev.wHh),
    bHh: own(rev.bHh),
    wHr: own(rev.wHr),
    h0: own(h0),
    c0: own(c0),
  };
  const states = [first.hN, first.cN].map((s) => s && new Tensor(writableStorage(dtype, s.numel), s.shape, dtype));
  const stores = states.map((s) => s?.data as FloatStorage);
  const kernels = backend();
  let done = false;
  const finish = () => {
    if (done) return;
    const res = runOn(kernels, () => run([saved], options));
    const all = res.out.data as FloatStorage;
    for (let t = 0; t < T - 1; t++) for (let b = 0; b < B; b++) put(all, row(t, b), row(t, b) * W + O);
    const { hN, cN } = res.directions[0];
    stores[0].set(hN.data as FloatStorage);
    if (cN) stores[1].set(cN.data as FloatStorage);
    res.release?.();
    done = true;
  };
  // Every pending tensor's record runs the one finish, which writes all of them.
  states.forEach((s, i) => s && defer(s, { storage: stores[i], finish, complete: (a, e) => a >= e }));
  const out = defer(new Tensor(data, [N, W], dtype), {
    storage: data,
    finish,
    // Complete: the rows of t = T − 1, and the forward half of every row.
    complete(s, e) {
      for (let k = Math.floor(s / W); k * W < e && s < e; k++)
        if (!(outBatchFirst ? k % T === T - 1 : k >= (T - 1) * B) && Math.min(e, k * W + W) > k * W + O)
          return false;
      return true;
    },
  });
  const finals = [f.directions[0], { hN: states[0] as Tensor, cN: states[1] }];
  return {
    out,
    // Each direction's own out: its columns of `out`, copied when read.
    directions: finals.map(({ hN, cN }, d) => ({
      get out() {
        return out.narrow(1, d * O, O);
      },
      hN,
      cN,
      gates: null,
      cells: null,
    })),
    deferred: true,
  };
}
