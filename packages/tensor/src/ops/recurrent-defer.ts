import { isGradEnabled } from '../autograd/grad-mode';
import { backend, runOn } from '../backend/registry';
import type { FloatStorage, Storage } from '../dtype';
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
  const { batchSizes, h0 } = rev;
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
  const options = outBatchFirst ? { batchFirst: true } : {};
  // The forward-only path writes each direction into its columns as it is; the other adds them
  // into zeros (NOTE(layout-bits): −0 becomes +0): `norm` does the same to ours.
  const hooked = backend().layerInference?.([fwd], { xBatchFirst: !!input.batchFirst, outBatchFirst });
  const f = hooked ?? run([fwd], options);
  const last = input.batchFirst ? x.reshape([B, T, -1]).select(1, T - 1) : x.narrow(0, (T - 1) * B, B);
  // Its first processed step, a one-step sequence; its hN and cN become the pending final states.
  const first = run([{ ...rev, input: { x: last, wIh, biases }, batchSizes: Int32Array.of(B) }]).directions[0];

  const O = f.out.shape[1];
  const W = 2 * O;
  const N = T * B;
  const data = writableStorage(f.out.dtype, N * W) as FloatStorage;
  const row = (t: number, b: number) => (outBatchFirst ? b * T + t : t * B + b);
  const put = (from: Storage, k: number, at: number) => data.set(from.subarray(k * O, k * O + O) as FloatStorage, at);
  for (let k = 0; k < N; k++) put(f.out.data, k, k * W);
  for (let b = 0; b < B; b++) put(first.out.data, b, row(T - 1, b) * W + O);
  const norm = () => {
    if (!hooked) for (let i = 0; i < N * W; i++) data[i] += 0;
  };
  norm();
  f.release?.();

  // The reverse direction as the call saw it (its input only when someone may change it).
  const own = <V extends Tensor | null>(t: V): V => (t ? new Tensor(t.data.slice(), t.shape, t.dtype) : t) as V;
  const saved = { ...rev, input: { ...input, x: internalInput ? x : own(x), wIh: own(wIh), biases: biases.map(own) } };
  for (const k of ['wHh', 'bHh', 'wHr', 'h0', 'c0'] as const) saved[k] = own(rev[k] as Tensor);
  const states = [first.hN, first.cN];
  const stores = states.map((s) => s?.data as FloatStorage);
  const kernels = backend();
  let done = false;
  const finish = () => {
    if (done) return;
    const all = runOn(kernels, () => run([saved], options));
    for (let t = 0; t < T - 1; t++) for (let b = 0; b < B; b++) put(all.out.data, row(t, b), row(t, b) * W + O);
    norm();
    const { hN, cN } = all.directions[0];
    [hN, cN].forEach((s, i) => s && stores[i].set(s.data as FloatStorage));
    all.release?.();
    done = true;
  };
  // Every pending tensor's record runs the one finish, which writes all of them.
  states.forEach((s, i) => s && defer(s, { storage: stores[i], finish, complete: (a, e) => a >= e }));
  const out = defer(new Tensor(data, [N, W], f.out.dtype), {
    storage: data,
    finish,
    // Complete: the rows of t = T − 1.
    complete(s, e) {
      for (let k = Math.floor(s / W); k * W < e; k++) if ((outBatchFirst ? k % T : Math.floor(k / B)) < T - 1) return false;
      return true;
    },
  });
  return {
    out,
    // Each direction's own out: its columns of `out`, copied when read.
    directions: [f.directions[0], first].map(({ hN, cN }, d) => ({
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
