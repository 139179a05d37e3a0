import { recordOp } from '../autograd/function';
import type { RecurrentCell } from '../backend/backend';
import { backend } from '../backend/registry';
import { ConfigError, ShapeError } from '../errors';
import { takeStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import { checkInputs, type Prepared, prepare, type SequenceInputs } from './recurrent-direction';
import { recurrentLayout } from './recurrent-layout';

export { recurrentZeroState } from './recurrent-direction';

/** Per-step gradients captured by `recurrentSequence` during backward (for diagnostics). */
export interface RecurrentTrace {
  /** Called once per backward with dL/dh_t for every row [N, O] and (LSTM) dL/dc_t [N, H]. */
  onBackward(dh: Tensor, dc: Tensor | null): void;
}

/** Inputs of `recurrentSequence`: one direction of one layer (see RecurrentForwardArgs for layouts). */
export interface RecurrentSequenceInputs {
  /** Which cell runs: `rnn_tanh`, `rnn_relu`, `lstm` or `gru` (G = 1, 1, 4, 3 gates). */
  cell: RecurrentCell;
  /** x W_ihᵀ + b_ih (+ b_hh for LSTM/RNN), [N, G·H], time-major rows. */
  xProj: Tensor;
  /** W_hh [G·H, O]. */
  wHh: Tensor;
  /** GRU's b_hh [G·H], else null. */
  bHh: Tensor | null;
  /** Projected LSTM's W_hr [O, H], else null. */
  wHr: Tensor | null;
  /** Initial states [B, O] and (LSTM) [B, H], sorted batch order. */
  h0: Tensor;
  /** The LSTM's initial cell state [B, H], sorted batch order; null for RNN and GRU. */
  c0: Tensor | null;
  /** Active sequences per step (NOTE(packed-batch-sizes)); a padded batch has [B, B, …]. */
  batchSizes: Int32Array;
  /** Run from the last step to the first (reverse direction). */
  reverse: boolean;
  /** Keep the forward's gate activations (returned as `gates`, plus `cells` for LSTM). */
  recordGates?: boolean;
  /** Receive dL/dh_t (and dL/dc_t) of every step when backward runs. */
  trace?: RecurrentTrace;
  /**
   * xProj is made for this call alone (as the recurrent layers make their input projections) and
   * nothing else reads it afterwards: the op may overwrite its values, as scratch when no gradient
   * is needed, and as the saved gates of an LSTM or RNN when one is (the gates start as xProj),
   * whose storage then goes back to the storage pool after backward (see NOTE(saved-buffers)). Its
   * gradient is unaffected. Default false: xProj is copied, and stays as it was.
   */
  overwriteXProj?: boolean;
}

/** Outputs of `recurrentSequence`. */
export interface RecurrentSequenceOutputs {
  /** h_t of every row, [N, O]. */
  out: Tensor;
  /** Final states [B, O] and (LSTM) [B, H], sorted batch order. */
  hN: Tensor;
  /** The LSTM's final cell state [B, H], sorted batch order; null for RNN and GRU. */
  cN: Tensor | null;
  /** With recordGates: activations [N, G·H] (LSTM i,f,g,o; GRU r,z,n) and LSTM cell states [N, H]. */
  gates: Tensor | null;
  /** With recordGates, the LSTM's cell state c_t of every row [N, H]; else null. */
  cells: Tensor | null;
}

/**
 * The fused recurrence: one direction of one RNN/LSTM/GRU layer over a whole sequence, as one
 * autograd node with a hand-written backward through time. The layers of @seqlab/layers build
 * on it; it is exported for custom recurrent layers.
 */
export function recurrentSequence(inputs: RecurrentSequenceInputs): RecurrentSequenceOutputs {
  return recurrentSequences([inputs])[0];
}

/**
 * Several independent fused recurrences (the two directions of a bidirectional layer) as one
 * autograd node: forward and backward each make one backend call for all of them
 * (`recurrentForwardMany` / `recurrentBackwardMany`, which a backend with threads runs at once;
 * else one call per sequence). Each result is what `recurrentSequence` returns for its inputs,
 * bit for bit. The backward visits only the steps whose gradient can be nonzero (see
 * NOTE(zero-gradient-steps)); xProj's gradient is zero in the rows of the others.
 */
export function recurrentSequences(list: readonly RecurrentSequenceInputs[]): RecurrentSequenceOutputs[] {
  return fusedSequences(list);
}

/**
 * `recurrentSequences`, with each direction's input projection in the node where one is given.
 * `forward`, when given, runs the forward kernels in place of one call over every direction's
 * `args` (the training deferral of ops/recurrent-train-defer.ts runs one direction's first step).
 * Directions given `outColumns` (all or none: `layerColumns`) write the layer's output, which is
 * then the node's first output, in place of their own.
 */
export function fusedSequences(
  list: readonly SequenceInputs[],
  forward?: (prepared: Prepared[]) => void,
): RecurrentSequenceOutputs[] {
  // The directions of a layer project the same x: it is one input of the node, whose gradient the
  // first direction makes and the others add into.
  const prepared = list.map((inputs, k) => {
    const x = inputs.projection?.x;
    return prepare(inputs, x !== undefined && list.findIndex((i) => i.projection?.x === x) === k);
  });
  const kernels = backend();
  const forwardArgs = prepared.map((p) => p.args);
  if (forward) forward(prepared);
  else if (kernels.recurrentForwardMany && forwardArgs.length > 1) kernels.recurrentForwardMany(forwardArgs);
  else for (const a of forwardArgs) kernels.recurrentForward(a);

  const ins: Tensor[] = [];
  const layer = list[0]?.outColumns?.layer;
  const outs: Tensor[] = layer ? [layer] : [];
  for (const p of prepared) {
    ins.push(...p.ins);
    outs.push(...p.outs);
  }
  const cells = list.map((i) => i.cell);
  const name = cells.every((c) => c === 'lstm') ? 'LSTM' : cells.every((c) => c === 'gru') ? 'GRU' : 'RNN';
  recordOp(name, ins, outs, (grads) => {
    let at = layer ? 1 : 0;
    const steps = prepared.map((p) => {
      const mine = grads.slice(at, at + p.outs.length);
      at += p.outs.length;
      return p.backward(layer ? [grads[0], ...mine] : mine);
    });
    // Directions with no step to backpropagate make no call (NOTE(zero-gradient-steps)).
    const calls = steps.flatMap((s) => (s.args ? [s.args] : []));
    const k = backend();
    if (k.recurrentBackwardMany && calls.length > 1) k.recurrentBackwardMany(calls);
    else for (const a of calls) k.recurrentBackward(a);
    const xGrads = new Map<Tensor, Tensor | null>();
    const all: (Tensor | null)[] = [];
    prepared.forEach((p, i) => {
      p.afterBackward();
      all.push(...steps[i].finish(xGrads));
    });
    return all;
  });
  // Its gradients are buffers allocated in backward: the engine may keep them without a copy.
  const node = outs[0]?._node;
  if (node) {
    node.freshGradients = true;
    node.release = () => {
      for (const p of prepared) p.release();
    };
  }
  return prepared.map((p) => p.result);
}

/** Outputs of `recurrentLayer`. */
export interface RecurrentLayerOutputs {
  /** Every row's output of every direction side by side, [N, D·O]: direction d in columns d·O to (d+1)·O; rows time-major, or batch-first with the `batchFirst` option. */
  out: Tensor;
  /** Each direction's results, as `recurrentSequences` returns them. */
  directions: RecurrentSequenceOutputs[];
  /**
   * Hands `out`'s storage back to the storage pool (the forward-only path sets it; its `out` is a
   * pooled array nothing else shares). Only for a caller that owns `out` and is done with it: no
   * user can reach it, and nothing saved it for a backward.
   */
  release?: () => void;
  /**
   * The reverse direction was deferred (`RecurrentLayerOptions.deferReverse`): its pending rows and
   * states still read the layer's input, which the caller must then neither release nor change.
   */
  deferred?: boolean;
}

/** A direction's input before its projection (see `RecurrentLayerInputs.input`). */
export interface RecurrentLayerInput {
  /** The layer's input rows, [N, I], time-major (packed or padded, as batchSizes says). */
  x: Tensor;
  /** W_ih, [G·H, I]. */
  wIh: Tensor;
  /** Added to x W_ihᵀ one after the other, each [G·H]: b_ih, then b_hh for LSTM and RNN (a GRU's b_hh is `bHh`). */
  biases: readonly Tensor[];
  /**
   * x's rows are in batch-first order: step t of sequence b is row b·T + t (a padded batch: every
   * batch size is B), as a batch-first [B, T, I] input reshaped to [B·T, I] without a transpose.
   * Every direction of a layer gives the same. Default false: time-major rows.
   */
  batchFirst?: boolean;
}

/** Options of `recurrentLayer`. */
export interface RecurrentLayerOptions {
  /**
   * Give `out` (and each direction's) in batch-first row order, step t of sequence b in row
   * b·T + t, a padded batch only: what a batch-first layer returns, with no transpose when the
   * backend writes that order itself (`recurrentInferInputMany`). Default false: time-major rows.
   */
  batchFirst?: boolean;
  /**
   * The caller reads the reverse direction at the last time step mostly: the forward-only path
   * (`layerInference`) may then run only the reverse direction's first step (of a padded batch of
   * two or more steps) and compute the rest of its output and its final states when first read,
   * with the same numbers (NOTE(deferred-reverse) in ops/recurrent-infer.ts). Default false.
   */
  deferReverse?: boolean;
  /**
   * With `deferReverse`: the input x is the caller's own and never changed afterwards (a stacked
   * layer's input is the layer below's output), so the pending rows read it instead of a copy.
   */
  internalInput?: boolean;
}

/**
 * One direction of `recurrentLayer`: the inputs of `recurrentSequence`, with the input projection
 * either made by the caller (`xProj`) or left to `recurrentLayer` (`input`): exactly one of the two.
 */
export interface RecurrentLayerInputs extends Omit<RecurrentSequenceInputs, 'xProj'> {
  /** x W_ihᵀ + b_ih (+ b_hh for LSTM/RNN), [N, G·H], made by the caller; or leave it out and give `input`. */
  xProj?: Tensor;
  /**
   * The projection to make: `linear(x, wIh, biases)`'s numbers, which `recurrentLayer` computes
   * before the recurrence and differentiates in the recurrence's own node (its backward then runs
   * on the rows whose gradient can be nonzero, see NOTE(zero-gradient-steps)), or which the
   * backend's `recurrentInferInputMany` fuses into it when no gradient is needed (a few steps at a
   * time, never the whole [N, G·H] buffer), with the same result.
   */
  input?: RecurrentLayerInput;
}

/**
 * The directions of one recurrent layer (one, or two for a bidirectional one) with their outputs
 * side by side, the numbers of `cat(outs, 1)` of `recurrentSequences`' (when a gradient is needed,
 * each direction writes its columns itself, NOTE(layer-columns), or `recurrentLayout` copies them
 * side by side, batch-first when asked, in one copy). Directions given as `input` (not `xProj`) are projected here, inside that node. A backend
 * with a `layerInference` hook (the native one) may run the whole layer forward-only instead
 * when no gradient is needed (see `inferRecurrentLayer` of @seqlab/tensor/backend): nothing is
 * saved for a backward, each direction writes straight into its columns of `out`, and the
 * projection may be fused into the recurrence.
 */
export function recurrentLayer(
  list: readonly RecurrentLayerInputs[],
  options: RecurrentLayerOptions = {},
): RecurrentLayerOutputs {
  let first: { N: number; O: number } | undefined;
  for (const i of list) {
    if ((i.xProj === undefined) === (i.input === undefined))
      throw new ConfigError(
        'recurrentLayer',
        'exactly one of xProj and input per direction',
        i.xProj ? 'both' : 'neither',
      );
    // Before linear, so that every backend names the same mistake.
    const s = checkInputs(i);
    first ??= s;
    if (s.N !== first.N || s.O !== first.O)
      throw new ShapeError(
        'recurrentLayer',
        `every direction with N=${first.N} rows of ${first.O} features`,
        `${s.N} of ${s.O}`,
      );
  }
  const outBatchFirst = options.batchFirst === true;
  const xBatchFirst = checkBatchFirst(list, outBatchFirst);
  const { deferReverse, internalInput } = options;
  const inferred = backend().layerInference?.(list, {
    xBatchFirst,
    outBatchFirst,
    deferReverse,
    internalInput,
  });
  if (inferred) return inferred;
  // NOTE(layer-columns): two directions or more, on a backend with `recurrentOutStride`: each
  // writes its h_t straight into its columns of the layer's [N, D·O] output (rows D·O apart,
  // RecurrentForwardArgs.outStride; batch-first ones as below), and its backward reads dOut there:
  // no layout node, no copy either way. The bits are the layout's (NOTE(layout-bits)): its cat
  // into zeros wrote 0 + h, which the kernel writes; its gradient was a copy of the layer's (the
  // kernel reads −0 + g, which is g), or after a transpose 0 + g (the kernel's batch-first read).
  // NOTE(batch-first-recurrence): one direction with a batch-first out, on a backend with
  // `recurrentBatchFirst`: the kernel writes h_t of sequence b straight into row b·T + t of the
  // node's own out, and its backward reads dOut there, so there is no layout node and no
  // [N, O] transpose either way; the gradient a loss sends (a select's zeros, say) is read in
  // place. The bits are the layout's (NOTE(layout-bits)): out holds the same values (a transpose
  // copies), and the kernel adds 0 + dOut where it added the transposed gradient, 0 + g. The
  // input side keeps its layout node: dW_ih and db sum the rows of dxProj, and x, in time-major
  // order, which batch-first rows would change. Two directions keep the layout too (their cat
  // into zeros is a copy either way).
  const inKernel = outBatchFirst && list.length === 1 && backend().recurrentBatchFirst === true;
  const sequences = projectLayer(list, xBatchFirst);
  const columns = layerColumns(sequences, outBatchFirst);
  if (columns) return { out: columns.layer, directions: fusedSequences(columns.sequences) };
  const directions = fusedSequences(inKernel ? [{ ...sequences[0], outBatchFirst: true }] : sequences);
  if (inKernel) return { out: directions[0].out, directions };
  const outs = directions.map((d) => d.out);
  // The directions side by side (and batch-first) in one copy: see recurrentLayout.
  if (outBatchFirst) return batchFirstOutputs(outs, directions, list);
  return { out: outs.length === 1 ? outs[0] : recurrentLayout(outs, 1, outs[0].shape[0], false), directions };
}

/**
 * NOTE(layer-columns): the directions of a layer, each writing its columns of the layer's output
 * (`outColumns`, rows batch-first when `batchFirst`), and that output [N, D·O] (every element
 * written by the kernels, so from the storage pool); null for one direction, or when the backend
 * has no `recurrentOutStride` (batch-first rows: no `recurrentBatchFirst`). A direction's own out
 * is then a copy of its columns, made when read.
 */
export function layerColumns(
  sequences: readonly SequenceInputs[],
  batchFirst: boolean,
): { layer: Tensor; sequences: SequenceInputs[] } | null {
  const k = backend();
  const D = sequences.length;
  if (D < 2 || !k.recurrentOutStride || (batchFirst && !k.recurrentBatchFirst)) return null;
  const { h0, wHh, batchSizes } = sequences[0];
  const O = wHh.shape[1];
  const N = batchSizes.reduce((n, bs) => n + bs, 0);
  const layer = new Tensor(takeStorage(h0.dtype as 'float32', N * D * O), [N, D * O], h0.dtype);
  return {
    layer,
    sequences: sequences.map((s, d) => ({
      ...s,
      outBatchFirst: batchFirst,
      outColumns: { layer, offset: d * O },
    })),
  };
}

/**
 * The directions of `recurrentLayer` with every `input` given as the projection to make (no xProj):
 * the recurrence's node makes it as `linear` does, its own xProj, which the kernel may use as
 * scratch, or in a saved block (NOTE(fused-projection)), and differentiates it (no `linear` node).
 * Batch-first rows go time-major first (one copy for the directions that share an x, `recurrentLayout`).
 */
export function projectLayer(list: readonly RecurrentLayerInputs[], xBatchFirst: boolean): SequenceInputs[] {
  const timeMajor = new Map<Tensor, Tensor>();
  return list.map((i): SequenceInputs => {
    if (!i.input) return { ...i, xProj: i.xProj as Tensor };
    const { x } = i.input;
    let rows = xBatchFirst ? timeMajor.get(x) : x;
    if (!rows) {
      rows = recurrentLayout([x], i.h0.shape[0], i.batchSizes.length, true);
      timeMajor.set(x, rows);
    }
    const projection = { x: rows, wIh: i.input.wIh, biases: i.input.biases };
    return { ...i, overwriteXProj: true, projection };
  });
}

/**
 * A layer's outputs in batch-first row order: `parts`, its time-major output (whole, or each
 * direction's), side by side in one copy, and each direction's own out transposed only when
 * someone reads it.
 */
export function batchFirstOutputs(
  parts: readonly Tensor[],
  directions: readonly RecurrentSequenceOutputs[],
  list: readonly RecurrentLayerInputs[],
): RecurrentLayerOutputs {
  const T = list[0].batchSizes.length;
  const B = list[0].h0.shape[0];
  return {
    out: recurrentLayout(parts, T, B, true),
    directions: directions.map(({ hN, cN, gates, cells }, d) => ({
      hN,
      cN,
      gates,
      cells,
      get out() {
        return recurrentLayout([directions[d].out], T, B, true);
      },
    })),
  };
}

/** Whether the layer's input rows are batch-first (every direction's or none); batch-first rows need a padded batch. */
function checkBatchFirst(list: readonly RecurrentLayerInputs[], outBatchFirst: boolean): boolean {
  const batchFirst = list.some((i) => i.input?.batchFirst);
  for (const i of list) {
    if (
      (batchFirst || outBatchFirst) &&
      (batchFirst !== !!i.input?.batchFirst || i.batchSizes.some((bs) => bs !== i.h0.shape[0]))
    )
      throw new ConfigError(
        'recurrentLayer',
        'batch-first rows on every direction of a padded batch',
        `batch sizes [${i.batchSizes.join(', ')}] of ${i.h0.shape[0]} sequences`,
      );
  }
  return batchFirst;
}

export type { RecurrentCell };
