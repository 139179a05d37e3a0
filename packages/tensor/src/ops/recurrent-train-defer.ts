// NOTE(deferred-reverse-training): NOTE(deferred-reverse) (ops/recurrent-infer.ts) under a
// gradient. A classifier on the last time step of a bidirectional layer reads its reverse
// direction's first processed step alone (t = T − 1); the backward already visits that step alone
// (NOTE(zero-gradient-steps)), but the forward computed the other T − 1 steps, their input
// projection and their saved activations (W1: 2.47 of a training step's 17.7 GEMM GFLOP). Here the
// fused node (`fusedSequences`) allocates every saved buffer as before, the forward direction runs
// whole, and the reverse one runs its first step alone: x's rows of t = T − 1 projected (`linear`'s
// numbers on those rows), then the kernel over that one-step block of rows, writing its rows of
// out, of the saved activations and of the layer's output. The rest of its output, its hN and cN
// are pending (NOTE(pending-data)). The first read of any of them runs the whole direction's
// forward, projection included, from copies of what the call saw (W_ih, the biases, W_hh, b_hh, h0,
// c0 and x unless it is the caller's own, `internalInput`) into the node's saved buffers, so that a
// backward through every step is exactly the eager one's; the rows of t = T − 1 get the bits they
// have. Once the node has released its saved buffers (after backward), a late read runs into
// scratch instead. Unfinished, the backward can only receive a nonzero gradient on the computed
// step (an op gives a gradient only to elements it read, and reading finishes): it checks that,
// with a NumericError otherwise, and runs over that step alone. The js backend (no `layerInference`
// hook) and wasm without `setWasmLayerInference` compute every step: the same bits.
import { isGradEnabled, noGrad } from '../autograd/grad-mode';
import type { Backend, RecurrentForwardArgs } from '../backend/backend';
import type { FloatStorage } from '../dtype';
import { NumericError } from '../errors';
import { defer } from '../pending';
import { current } from '../scope';
import { releaseStorage, takeStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import {
  batchFirstOutputs,
  fusedSequences,
  layerColumns,
  type RecurrentLayerInputs,
  type RecurrentLayerOutputs,
} from './recurrent';
import { checkInputs, type Prepared, type SequenceInputs } from './recurrent-direction';
import { recurrentLayout } from './recurrent-layout';
import { type InputProjection, projectInput } from './recurrent-projection';
import { firstNonzero, keptForwardArgs, setZeroStepSkip, wordsOf } from './recurrent-skip';

let deferring = true;

/**
 * Turns the training deferral of NOTE(deferred-reverse-training) on or off (on by default; it also
 * needs `setReverseDeferral`'s switch on) and returns the previous setting, for tests and A/B
 * measurements. Off, a layer under a gradient runs every step in its call.
 */
export function setTrainingReverseDeferral(on: boolean): boolean {
  const was = deferring;
  deferring = on;
  return was;
}

/**
 * A float32 tensor's own copy (null stays null): what a deferred direction reads later. From the
 * storage pool: a step in `tidy` hands it back once the step is over (NOTE(tidy)), and the next
 * step's copy takes it (W1: a 2 MB W_ih and a 1 MB W_hh copy a step).
 */
export function own<V extends Tensor | null>(t: V): V {
  if (!t) return t;
  const copy = takeStorage('float32', t.numel);
  copy.set(t.data as Float32Array);
  return new Tensor(copy, t.shape, t.dtype) as V;
}

/** The first element of `data` in [start, end) that is not exactly zero (+0, −0), or −1. */
function nonzeroAt(data: FloatStorage | undefined, start = 0, end = data?.length ?? 0): number {
  return data ? firstNonzero(data, start, end) : -1;
}

/**
 * `recurrentLayer` of a bidirectional layer under a gradient with its reverse direction deferred
 * (NOTE(deferred-reverse-training)), on `kernels`; null when it may not be (then `recurrentLayer`
 * computes every step): off, fewer or more than two directions, not forward then reverse, a
 * direction given as xProj, no input needing a gradient, a projection (W_hr), recorded gates, a
 * trace, a dtype other than float32, a packed batch or fewer than two steps.
 */
export function deferTrainingLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  xBatchFirst: boolean,
  outBatchFirst: boolean,
  internalInput: boolean,
): RecurrentLayerOutputs | null {
  if (!deferring || list.length !== 2 || !isGradEnabled()) return null;
  const [fwd, rev] = list;
  if (fwd.reverse || !rev.reverse || !fwd.input || !rev.input) return null;
  const tensors = list.flatMap((i) => [
    ...(i.input ? [i.input.x, i.input.wIh, ...i.input.biases] : []),
    i.wHh,
    i.bHh,
    i.h0,
    i.c0,
  ]);
  if (
    list.some((i) => i.recordGates || i.trace || i.wHr) ||
    tensors.some((t) => t && t.dtype !== 'float32') ||
    !tensors.some((t) => t?.requiresGrad)
  )
    return null;
  const T = rev.batchSizes.length;
  const B = rev.h0.shape[0];
  if (T < 2 || list.some((i) => i.batchSizes.some((b) => b !== B))) return null;
  const { GH, H, O } = checkInputs(rev);
  const N = T * B;
  // The rows of t = T − 1 (time-major): the reverse direction's first processed step.
  const r0 = (T - 1) * B;

  // Each input's rows time-major, one copy for the directions that share it (projectLayer's).
  const timeMajor = new Map<Tensor, Tensor>();
  const rowsOf = (x: Tensor): Tensor => {
    let rows = xBatchFirst ? timeMajor.get(x) : x;
    if (!rows) {
      rows = recurrentLayout([x], B, T, true);
      timeMajor.set(x, rows);
    }
    return rows;
  };
  const pf: InputProjection = { x: rowsOf(fwd.input.x), wIh: fwd.input.wIh, biases: fwd.input.biases };
  const pr: InputProjection = { x: rowsOf(rev.input.x), wIh: rev.input.wIh, biases: rev.input.biases };
  // The reverse direction's xProj: its rows of t = T − 1 alone, projected as `linear` projects them.
  const xProj = new Tensor(takeStorage('float32', N * GH), [N, GH], 'float32');
  const step = noGrad(() => projectInput({ ...pr, x: pr.x.narrow(0, r0, B) }));
  (xProj.data as Float32Array).set(step.data as Float32Array, r0 * GH);
  // In a tidy, tidy hands it back at the end: handed back here, the op that takes it next (the
  // stacked final states' cat, of the same size in W1) would hold storage taken twice in the
  // scope, which tidy leaves to the garbage collector (NOTE(tidy)): a fresh array every step.
  if (!current) releaseStorage(step.data as Float32Array);
  // What the pending steps read, as this call saw it.
  const kept: InputProjection = {
    x: internalInput || xBatchFirst ? pr.x : own(pr.x),
    wIh: own(pr.wIh),
    biases: pr.biases.map(own),
  };
  const states = { wHh: own(rev.wHh), bHh: own(rev.bHh), h0: own(rev.h0), c0: own(rev.c0) };

  let prepared: Prepared | undefined;
  let done = false;
  let released = false;
  const inputs: SequenceInputs[] = [
    // The forward direction's projection: the node's to make (NOTE(fused-projection)).
    { ...fwd, overwriteXProj: true, projection: pf },
    { ...rev, xProj, overwriteXProj: true, projection: pr },
  ];
  // The directions in their columns of the layer's output where the backend can (NOTE(layer-columns)).
  const columns = layerColumns(inputs, outBatchFirst);
  const W = 2 * O;
  /** The layer output's rows of the pending steps t < T − 1. */
  const pendingRows = function* () {
    for (let t = 0; t < T - 1; t++) for (let j = 0; j < B; j++) yield outBatchFirst ? j * T + t : t * B + j;
  };
  /** The first nonzero element of the reverse direction's dOut in the pending rows (its own, or the layer's columns), or −1. */
  const pendingNonzero = (dOut: FloatStorage | undefined): number => {
    if (!columns || !dOut) return nonzeroAt(dOut, 0, r0 * O);
    const words = wordsOf(dOut);
    for (const r of pendingRows()) {
      const k = firstNonzero(dOut, r * W + O, r * W + W, words);
      if (k >= 0) return k;
    }
    return -1;
  };
  const directions = fusedSequences(columns?.sequences ?? inputs, ([forward, reverse]) => {
    prepared = reverse;
    const a = reverse.args;
    const first = keptForwardArgs(a, { t0: T - 1, t1: T, r0, r1: N }, GH);
    if (kernels.recurrentForwardMany) kernels.recurrentForwardMany([forward.args, first]);
    else for (const args of [forward.args, first]) kernels.recurrentForward(args);
    // The pending rows go into the layer's output as +0 (0 + 0), then as 0 + h when finished.
    if (!columns) a.out.fill(0, 0, r0 * O);
    else for (const r of pendingRows()) a.out.fill(0, r * W, r * W + O);
    const backward = reverse.backward;
    reverse.backward = (grads) => {
      if (done) return backward(grads);
      const [dOut, dhN, dcN] = grads.map((g) => g?.data as FloatStorage | undefined);
      const at = [pendingNonzero(dOut), nonzeroAt(dhN), nonzeroAt(dcN)];
      const bad = at.findIndex((k) => k >= 0);
      if (bad >= 0)
        throw new NumericError(
          'recurrentLayer backward',
          "a zero gradient on the reverse direction's deferred steps, which no one read",
          `a nonzero one in ${['out', 'hN', 'cN'][bad]} at element ${at[bad]}`,
          'an op gave a gradient to elements it did not read',
        );
      // Only the computed step can be backpropagated: the skip of NOTE(zero-gradient-steps) keeps it alone.
      const was = setZeroStepSkip(true);
      try {
        return backward(grads);
      } finally {
        setZeroStepSkip(was);
      }
    };
    const release = reverse.release;
    reverse.release = () => {
      released = true;
      release();
    };
  });
  const outs = columns ? [] : directions.map((d) => d.out);
  const result: RecurrentLayerOutputs = columns
    ? { out: columns.layer, directions }
    : outBatchFirst
      ? batchFirstOutputs(outs, directions, list)
      : { out: recurrentLayout(outs, 1, N, false), directions };
  const layer = result.out.data as Float32Array;
  const { hN, cN } = directions[1];
  const finish = () => {
    if (done || !prepared) return;
    const a: RecurrentForwardArgs = { ...prepared.args };
    a.wHh = states.wHh.data as Float32Array;
    a.bHh = states.bHh ? (states.bHh.data as Float32Array) : null;
    a.h0 = states.h0.data as Float32Array;
    a.c0 = states.c0 ? (states.c0.data as Float32Array) : null;
    // After backward the node's saved buffers are back in the storage pool: scratch instead.
    const scratch: FloatStorage[] = [];
    if (released) {
      // Sized from the layer: with a saved block the node's arrays were empty (NOTE(saved-blocks)).
      const take = <S extends FloatStorage | null>(s: S, width: number): S => {
        if (!s) return s;
        const t = takeStorage('float32', N * width);
        scratch.push(t);
        return t as S;
      };
      const shared = a.xProj === a.gates;
      delete a.saved; // freed with the node (NOTE(saved-blocks))
      a.xProj = take(a.xProj, GH);
      a.gates = shared ? a.xProj : take(a.gates, GH);
      a.hPrev = take(a.hPrev, O);
      a.cells = take(a.cells, H);
      a.cPrev = take(a.cPrev, H);
      a.hFull = take(a.hFull, H);
      a.hhN = take(a.hhN, H);
    }
    const full = projectInput(kept);
    a.xProj.set(full.data as Float32Array);
    releaseStorage(full.data as Float32Array);
    // With columns, straight into the layer's output (the rows of t = T − 1 again, the same bits).
    kernels.recurrentForward(a);
    for (const s of scratch) releaseStorage(s);
    if (!columns) {
      // The rows of t < T − 1 into the layer's output, from column O (recurrentLayout's strides).
      const strides = outBatchFirst ? [W, T * W, 1] : [N * W, W, 1];
      const shape = outBatchFirst ? [T - 1, B, O] : [1, r0, O];
      kernels.stridedAccumulate(a.out.subarray(0, r0 * O), shape, { data: layer, offset: O, strides });
    }
    done = true;
  };
  defer(result.out, {
    storage: layer,
    finish,
    // Computed: the forward direction's columns, and every column of the rows of t = T − 1.
    complete(s, e) {
      for (let k = Math.floor(s / W); k * W < e; k++) {
        const t = outBatchFirst ? k % T : Math.floor(k / B);
        if (t < T - 1 && Math.min(e, k * W + W) > k * W + O) return false;
      }
      return true;
    },
  });
  // With columns its own out is a view of the layer's columns, which waits for them (above).
  if (outs[1]) defer(outs[1], { storage: outs[1].data, finish, complete: (s) => s >= r0 * O });
  for (const t of [hN, cN]) if (t) defer(t, { storage: t.data, finish, complete: () => false });
  return { ...result, deferred: true };
}
