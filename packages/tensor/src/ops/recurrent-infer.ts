// The forward-only path of `recurrentLayer`, for backends with the optional `recurrentInferMany` /
// `recurrentInferInputMany` kernels (the native one). Exported from @seqlab/tensor/backend, not
// the main entry: a backend opts in with its `layerInference` hook, so a browser bundle (js and
// wasm backends, which have neither kernel) never carries it.
import { isGradEnabled } from '../autograd/grad-mode';
import {
  type Backend,
  type LayerInferenceOptions,
  RECURRENT_GATES,
  type RecurrentInferArgs,
  type RecurrentInferInputArgs,
} from '../backend/backend';
import { ShapeError } from '../errors';
import { defer } from '../pending';
import { kept } from '../scope';
import { releaseStorage, takeStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';
import {
  batchFirstOutputs,
  projectLayer,
  type RecurrentLayerInputs,
  type RecurrentLayerOutputs,
  type RecurrentSequenceOutputs,
} from './recurrent';
import { checkInputs } from './recurrent-direction';
import { type InputProjection, projectInput } from './recurrent-projection';
import { deferTrainingLayer, own } from './recurrent-train-defer';

/**
 * `recurrentLayer` forward-only on `kernels`' `recurrentInferInputMany` (every direction given as
 * `input`: the projection fused into the recurrence) or `recurrentInferMany` (after `linear`),
 * when no direction needs a gradient, recorded gates, a trace or a projection (W_hr) and every
 * tensor is float32; else null, and `recurrentLayer` runs `recurrentSequences`. What a backend's
 * `layerInference` hook calls: `layerInference(list, options) { return inferRecurrentLayer(this, list, options); }`.
 * Nothing is saved for a backward; each direction writes straight into its columns of `out` (each
 * direction's own `out` is a view of them, made when read).
 */
export function inferRecurrentLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  { xBatchFirst, outBatchFirst, deferReverse, internalInput }: LayerInferenceOptions,
): RecurrentLayerOutputs | null {
  const inferable = list.map((i) => {
    const projection = i.input ? [i.input.x, i.input.wIh, ...i.input.biases] : [i.xProj];
    const tensors = [...projection, i.wHh, i.bHh, i.h0, i.c0];
    if (i.recordGates || i.trace || i.wHr || tensors.some((t) => t && t.dtype !== 'float32')) return false;
    return !isGradEnabled() || !tensors.some((t) => t?.requiresGrad);
  });
  if (list.length === 0 || inferable.includes(false))
    // Under a gradient: NOTE(deferred-reverse-training).
    return (
      (deferReverse &&
        deferring &&
        deferTrainingLayer(kernels, list, xBatchFirst, outBatchFirst, !!internalInput)) ||
      null
    );
  if (kernels.recurrentInferInputMany && list.every((i) => i.input))
    return (
      (deferReverse && deferLayer(kernels, list, xBatchFirst, outBatchFirst, !!internalInput)) ||
      inferLayer(kernels, list, true, xBatchFirst, outBatchFirst)
    );
  if (!kernels.recurrentInferMany) return null;
  // Each xProj made here, as `linear` does (projectLayer leaves it to the node).
  const projected = projectLayer(list, xBatchFirst).map((s) => ({
    ...s,
    xProj: s.xProj ?? projectInput(s.projection as InputProjection),
  }));
  const result = inferLayer(kernels, projected, false);
  return outBatchFirst ? batchFirstOutputs([result.out], result.directions, list) : result;
}

/**
 * The forward-only kernels: `recurrentInferInputMany` on each direction's input (`fused`), or
 * `recurrentInferMany` on its xProj. Each direction writes its columns of one [N, D·O] out.
 */
function inferLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  fused: boolean,
  xBatchFirst = false,
  outBatchFirst = false,
): RecurrentLayerOutputs {
  const sizes = list.map(checkInputs);
  const { N, O } = sizes[0];
  for (const s of sizes) {
    if (s.N !== N || s.O !== O)
      throw new ShapeError(
        'recurrentLayer',
        `every direction with N=${N} rows of ${O} features`,
        `${s.N} of ${s.O}`,
      );
  }
  const D = list.length;
  // Every element is written by the kernel (each direction its O columns of every row).
  const out = new Tensor(takeStorage('float32', N * D * O), [N, D * O], 'float32');
  const finals = list.map((i, d) => {
    const [hN, cN] = finalStates(i);
    const args = kernelArgs(
      i,
      fused,
      xBatchFirst,
      outBatchFirst,
      out.data as Float32Array,
      D * O,
      d * O,
      hN,
      cN,
    );
    return { args, hN, cN };
  });
  const all = finals.map((f) => f.args);
  if (fused) kernels.recurrentInferInputMany?.(all as RecurrentInferInputArgs[]);
  else kernels.recurrentInferMany?.(all as RecurrentInferArgs[]);
  // A direction's own out is a copy of its columns, made only when someone reads it.
  const directions = finals.map(
    ({ hN, cN }, d): RecurrentSequenceOutputs => ({
      get out() {
        return D === 1 ? out : out.narrow(1, d * O, O);
      },
      hN,
      cN,
      gates: null,
      cells: null,
    }),
  );
  return { out, directions, release: () => releaseStorage(out.data as Float32Array) };
}

const f32 = (t: Tensor | null | undefined) => (t ? (t.data as Float32Array) : null);

/** Zeroed final states of a direction: h_N [B, O] and the LSTM's c_N [B, H] (else null). */
function finalStates(i: RecurrentLayerInputs): [Tensor, Tensor | null] {
  const { H, B, O } = checkInputs(i);
  return [empty([B, O], 'float32'), i.cell === 'lstm' ? empty([B, H], 'float32') : null];
}

/**
 * One direction's arguments of the forward-only kernels: its input (given as `input` when `fused`,
 * else its xProj) and h_t of row r written at out[outOffset + r · outStride …].
 */
function kernelArgs(
  i: RecurrentLayerInputs,
  fused: boolean,
  xBatchFirst: boolean,
  outBatchFirst: boolean,
  out: Float32Array,
  outStride: number,
  outOffset: number,
  hN: Tensor,
  cN: Tensor | null,
): RecurrentInferArgs | RecurrentInferInputArgs {
  const { input } = i;
  const x = f32(i.xProj) as Float32Array;
  return {
    cell: i.cell,
    hidden: i.wHh.shape[0] / RECURRENT_GATES[i.cell],
    batch: hN.shape[0],
    batchSizes: i.batchSizes,
    reverse: i.reverse,
    ...(fused && input
      ? {
          x: input.x.data as Float32Array,
          inputSize: input.x.shape[1],
          wIh: input.wIh.data as Float32Array,
          xBiases: input.biases.map((b) => b.data as Float32Array),
          ...(xBatchFirst ? { xBatchFirst } : {}),
          ...(outBatchFirst ? { outBatchFirst } : {}),
        }
      : { xProj: i.overwriteXProj ? x : x.slice() }),
    wHh: i.wHh.data as Float32Array,
    bHh: f32(i.bHh),
    h0: i.h0.data as Float32Array,
    c0: f32(i.c0),
    out,
    outStride,
    outOffset,
    hN: hN.data as Float32Array,
    cN: f32(cN),
  };
}

// NOTE(deferred-reverse): a classifier on the last time step of a bidirectional layer
// (`fc(rnn(x).output.select(1, -1))`) reads its reverse direction's first processed step only (it
// starts at t = T − 1): in inference the other T − 1 steps, and as much of the input projection,
// are computed and never read (W1: a third of its flops; NOTE(zero-gradient-steps) skips their
// zero gradients in training). So when the caller asks (`deferReverse`: the recurrent layers, for
// their last layer) and the layer runs here, over a padded batch of T ≥ 2 steps, one kernel call
// runs the forward direction and the reverse one's first step (the rows of t = T − 1 as a
// one-step sequence: the same numbers), each writing its columns of `out` in place, and the
// reverse half of the other rows, with its hN and cN, is left pending (NOTE(pending-data)). The
// first read of any of them runs the whole reverse direction as the eager call does, on these
// kernels (whatever `setBackend` says by then), from copies of its weights, biases, h0, c0 and,
// unless the caller says it is its own and unchanged (`internalInput`: a stacked layer's input),
// its input x; it rewrites the rows of t = T − 1 with the bits they have. Every read gives the
// eager call's bits; reading the last step (`output.select(1, -1)`) or a complete hN slot runs
// nothing. The copies cost a few MB of memory traffic (W1: 3 MB of W_ih and W_hh), far less than
// the steps skipped. It lives here, in the forward-only path, and not in `recurrentLayer`: a
// browser's bundle without this path stays as small as before, and the js backend (which has
// no forward-only kernels) computes every step. Training (the autograd node's saved state) can
// follow with the same records.

// NOTE(deferred-copies): every fresh array a call allocates is external memory to V8, and V8
// collects on external memory pressure: W1's deferred inference allocated 11.5 MB a step (the
// reverse direction's weight copies 3.15 MB, the stacked layer's kept input 3.28 MB, the output
// 3.28 MB, ...) and ran a mark-compact every third or fourth step, each step with one ≈ 13 ms
// (wall) and ≈ 20 ms (CPU) slower than the others (V8's helper threads take the pool's cores). So
// the weights' copies are kept, one per parameter storage (while the parameter lives), and handed
// to the next call whose parameter has the same shape and bytes (a memcmp: ≈ 0.1 ms for W1's
// 3 MB, against ≈ 3.5 ms to allocate and copy them). Nothing writes a copy (the kernels only read
// it), so pending calls may share one; a parameter changed in place, or replaced, gets a new copy.
// The kept input goes back to the storage pool once the pending steps ran; left unread, it is the
// collector's (a FinalizationRegistry's callbacks would come after a synchronous loop of calls).
const copies = new WeakMap<object, Tensor>();

/** Node's `Buffer` when there is one (its `equals` is a memcmp, ≈ 10× a JavaScript loop). */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(
        b: ArrayBufferLike,
        offset: number,
        length: number,
      ): Uint8Array & { equals(o: Uint8Array): boolean };
    };
  }
).Buffer;

/** Whether two float32 arrays hold the same bytes (−0 and +0 differ, NaNs by their bits). */
function sameBytes(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  if (NodeBuffer)
    return NodeBuffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength),
    );
  const p = new Int32Array(a.buffer, a.byteOffset, a.length);
  const q = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  return true;
}

/** A copy of float32 `t` no one writes: the last one made of its storage when shape and bits are the same. */
function copyOf(t: Tensor): Tensor {
  const source = t.data as Float32Array;
  const last = copies.get(source);
  if (
    last &&
    last.shape.length === t.shape.length &&
    last.shape.every((n, i) => n === t.shape[i]) &&
    sameBytes(last.data as Float32Array, source)
  )
    return last;
  const copy = new Tensor(source.slice(), t.shape, t.dtype);
  copies.set(source, copy);
  // Read by later calls: no `tidy` around this one may dispose it (NOTE(tidy-scope)).
  kept.add(copy);
  return copy;
}

let deferring = true;

/**
 * Turns the deferral of NOTE(deferred-reverse) on or off (on by default) and returns the previous
 * setting, for tests and A/B measurements. Off, every step runs in the layer's call.
 */
export function setReverseDeferral(on: boolean): boolean {
  const was = deferring;
  deferring = on;
  return was;
}

/** `inferLayer` (fused) with the reverse direction deferred (NOTE(deferred-reverse)), or null when it may not be. */
function deferLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  xBatchFirst: boolean,
  outBatchFirst: boolean,
  internalInput: boolean,
): RecurrentLayerOutputs | null {
  const [fwd, rev] = list;
  if (!deferring || list.length !== 2 || fwd.reverse || !rev.reverse) return null;
  const { batchSizes, h0, input } = rev;
  const T = batchSizes.length;
  const B = h0.shape[0];
  if (!input || T < 2 || batchSizes.some((b) => b !== B)) return null;
  // recurrentLayer checked that both directions have N rows of O features.
  const N = T * B;
  const O = rev.wHh.shape[1];
  const W = 2 * O;
  const out = new Tensor(takeStorage('float32', N * W), [N, W], 'float32');
  const data = out.data as Float32Array;
  const states = list.map(finalStates);
  // The reverse direction's first step: x's rows of t = T − 1 as a one-step sequence, its h_t
  // copied into out's rows of t = T − 1 from column O (batch-first row b·T + T − 1, else (T − 1)·B + b).
  const last = xBatchFirst ? input.x.reshape([B, T, -1]).select(1, T - 1) : input.x.narrow(0, (T - 1) * B, B);
  const first = { ...rev, input: { ...input, x: last }, batchSizes: Int32Array.of(B) };
  const step = new Float32Array(B * O);
  (kernels.recurrentInferInputMany as (args: RecurrentInferInputArgs[]) => void)([
    kernelArgs(fwd, true, xBatchFirst, outBatchFirst, data, W, 0, ...states[0]),
    kernelArgs(first, true, false, false, step, O, 0, ...states[1]),
  ] as RecurrentInferInputArgs[]);
  for (let b = 0; b < B; b++)
    data.set(step.subarray(b * O, b * O + O), (outBatchFirst ? b * T + T - 1 : (T - 1) * B + b) * W + O);

  // The rest, from the reverse direction's inputs as this call saw them; its arguments are made
  // now, while its states' storage can still be read without finishing them. The weights' copies
  // are the last call's when their bits did not change (NOTE(deferred-copies)).
  const weight = <V extends Tensor | null>(t: V): V => (t ? copyOf(t) : t) as V;
  const saved: RecurrentLayerInputs = {
    ...rev,
    input: {
      ...input,
      x: internalInput ? input.x : own(input.x),
      wIh: weight(input.wIh),
      biases: input.biases.map(weight),
    },
    wHh: weight(rev.wHh),
    bHh: weight(rev.bHh),
    h0: own(h0),
    c0: own(rev.c0),
  };
  let args: RecurrentInferInputArgs | null = kernelArgs(
    saved,
    true,
    xBatchFirst,
    outBatchFirst,
    data,
    W,
    O,
    ...states[1],
  ) as RecurrentInferInputArgs;
  const finish = () => {
    if (!args) return;
    (kernels.recurrentInferInputMany as (args: RecurrentInferInputArgs[]) => void)([args]);
    args = null;
    // The caller's own input is read by no one now: back to the storage pool, as the call that
    // defers nothing hands it back.
    if (internalInput) releaseStorage(input.x.data as Float32Array);
  };
  for (const s of states[1]) if (s) defer(s, { storage: s.data, finish, complete: () => false });
  defer(out, {
    storage: data,
    finish,
    // Complete: the rows of t = T − 1.
    complete(s, e) {
      for (let k = Math.floor(s / W); k * W < e; k++)
        if ((outBatchFirst ? k % T : Math.floor(k / B)) < T - 1) return false;
      return true;
    },
  });
  return {
    out,
    // A direction's own out is a copy of its columns, made only when someone reads it.
    directions: states.map(([hN, cN], d) => ({
      get out() {
        return out.narrow(1, d * O, O);
      },
      hN,
      cN,
      gates: null,
      cells: null,
    })),
    // No release: the pending rows are written later, and never into the storage pool.
    deferred: true,
  };
}
