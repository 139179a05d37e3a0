import { recordOp } from '../autograd/function';
import {
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentCell,
  type RecurrentForwardArgs,
} from '../backend/backend';
import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { ConfigError, DTypeError, formatShape, ShapeError } from '../errors';
import { numel } from '../shape';
import { releaseStorage, takeStorage, zeroedStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import { linear } from './linear';
import { cat } from './movement';

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
 * bit for bit.
 */
export function recurrentSequences(list: readonly RecurrentSequenceInputs[]): RecurrentSequenceOutputs[] {
  const prepared = list.map(prepare);
  const kernels = backend();
  const forwardArgs = prepared.map((p) => p.args);
  if (kernels.recurrentForwardMany && forwardArgs.length > 1) kernels.recurrentForwardMany(forwardArgs);
  else for (const a of forwardArgs) kernels.recurrentForward(a);

  const ins: Tensor[] = [];
  const outs: Tensor[] = [];
  for (const p of prepared) {
    ins.push(...p.ins);
    outs.push(...p.outs);
  }
  const cells = list.map((i) => i.cell);
  const name = cells.every((c) => c === 'lstm') ? 'LSTM' : cells.every((c) => c === 'gru') ? 'GRU' : 'RNN';
  recordOp(name, ins, outs, (grads) => {
    const backwardArgs: RecurrentBackwardArgs[] = [];
    const results: ((Tensor | null)[] | null)[] = [];
    let at = 0;
    for (const p of prepared) {
      const mine = grads.slice(at, at + p.outs.length);
      at += p.outs.length;
      const b = p.backwardArgs(mine);
      backwardArgs.push(b.args);
      results.push(b.grads);
    }
    const k = backend();
    if (k.recurrentBackwardMany && backwardArgs.length > 1) k.recurrentBackwardMany(backwardArgs);
    else for (const a of backwardArgs) k.recurrentBackward(a);
    const all: (Tensor | null)[] = [];
    prepared.forEach((p, i) => {
      p.afterBackward();
      all.push(...(results[i] as (Tensor | null)[]));
    });
    return all;
  });
  // Its gradients are buffers allocated in backwardArgs: the engine may keep them without a copy.
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
}

/**
 * One direction of `recurrentLayer`: the inputs of `recurrentSequence`, with the input projection
 * either made by the caller (`xProj`) or left to `recurrentLayer` (`input`): exactly one of the two.
 */
export interface RecurrentLayerInputs extends Omit<RecurrentSequenceInputs, 'xProj'> {
  /** x W_ihᵀ + b_ih (+ b_hh for LSTM/RNN), [N, G·H], made by the caller; or leave it out and give `input`. */
  xProj?: Tensor;
  /**
   * The projection to make: `linear(x, wIh, biases)`, which `recurrentLayer` runs before the
   * recurrence, or which the backend's `recurrentInferInputMany` fuses into it when no gradient is
   * needed (a few steps at a time, never the whole [N, G·H] buffer), with the same result.
   */
  input?: RecurrentLayerInput;
}

/**
 * The directions of one recurrent layer (one, or two for a bidirectional one) with their outputs
 * side by side, as `cat(outs, 1)` of `recurrentSequences`' (which it is, when a gradient is
 * needed). Directions given as `input` (not `xProj`) are projected here with `linear`. A backend
 * with a `layerInference` hook (the native one) may run the whole layer forward-only instead
 * when no gradient is needed (see `inferRecurrentLayer` of @seqlab/tensor/backend): nothing is
 * saved for a backward, each direction writes straight into its columns of `out`, and the
 * projection may be fused into the recurrence.
 */
export function recurrentLayer(
  list: readonly RecurrentLayerInputs[],
  options: RecurrentLayerOptions = {},
): RecurrentLayerOutputs {
  for (const i of list) {
    if ((i.xProj === undefined) === (i.input === undefined))
      throw new ConfigError(
        'recurrentLayer',
        'exactly one of xProj and input per direction',
        i.xProj ? 'both' : 'neither',
      );
    // Before linear, so that every backend names the same mistake.
    if (i.input) checkInputs(i);
  }
  const outBatchFirst = options.batchFirst === true;
  const xBatchFirst = checkBatchFirst(list, outBatchFirst);
  const inferred = backend().layerInference?.(list, { xBatchFirst, outBatchFirst });
  if (inferred) return inferred;
  const directions = recurrentSequences(projectLayer(list, xBatchFirst));
  const out =
    directions.length === 1
      ? directions[0].out
      : cat(
          directions.map((d) => d.out),
          1,
        );
  return outBatchFirst ? batchFirstOutputs({ out, directions }, list) : { out, directions };
}

/**
 * The directions of `recurrentLayer` with every `input` projected by `linear` (its own xProj, which
 * the kernel may use as scratch). Batch-first rows go time-major first (one copy for the
 * directions that share an x).
 */
export function projectLayer(
  list: readonly RecurrentLayerInputs[],
  xBatchFirst: boolean,
): RecurrentSequenceInputs[] {
  const timeMajor = new Map<Tensor, Tensor>();
  return list.map((i): RecurrentSequenceInputs => {
    if (!i.input) return { ...i, xProj: i.xProj as Tensor };
    const { x } = i.input;
    let rows = xBatchFirst ? timeMajor.get(x) : x;
    if (!rows) {
      rows = swapRows(x, i.h0.shape[0], i.batchSizes.length);
      timeMajor.set(x, rows);
    }
    return { ...i, xProj: linear(rows, i.input.wIh, i.input.biases), overwriteXProj: true };
  });
}

/** A layer's time-major outputs in batch-first row order (each direction's own out transposed only when someone reads it). */
export function batchFirstOutputs(
  result: RecurrentLayerOutputs,
  list: readonly RecurrentLayerInputs[],
): RecurrentLayerOutputs {
  const T = list[0].batchSizes.length;
  const B = list[0].h0.shape[0];
  return {
    out: swapRows(result.out, T, B),
    directions: result.directions.map(({ hN, cN, gates, cells }, d) => ({
      hN,
      cN,
      gates,
      cells,
      get out() {
        return swapRows(result.directions[d].out, T, B);
      },
    })),
  };
}

/** Rows [P·Q, F] in (p, q) order as rows in (q, p) order: a transpose of [P, Q, F] (a copy; gradients flow). */
function swapRows(x: Tensor, P: number, Q: number): Tensor {
  const F = x.shape[1];
  return x
    .reshape([P, Q, F])
    .transpose(0, 1)
    .reshape([P * Q, F]);
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

interface Prepared {
  args: RecurrentForwardArgs;
  ins: Tensor[];
  outs: Tensor[];
  result: RecurrentSequenceOutputs;
  /** The backward's arguments from the gradients of `outs`, and the gradients of `ins` it fills. */
  backwardArgs(grads: readonly (Tensor | null | undefined)[]): {
    args: RecurrentBackwardArgs;
    grads: (Tensor | null)[];
  };
  /** Hands the backward's traces to the caller once the backend has filled them. */
  afterBackward(): void;
  /** Gives the saved buffers nobody else can reach back to the storage pool (after backward). */
  release(): void;
}

/** Checks one sequence's inputs (its xProj, or the input it is to be made from); its sizes. */
export function checkInputs(inputs: RecurrentLayerInputs): {
  G: number;
  GH: number;
  H: number;
  O: number;
  B: number;
  N: number;
} {
  const { cell, xProj, input, wHh, bHh, wHr, h0, c0, batchSizes } = inputs;
  const op = 'recurrentSequence';
  const G = RECURRENT_GATES[cell];
  const first = (xProj ?? input?.x) as Tensor;
  const projection = input ? [input.x, input.wIh, ...input.biases] : [xProj];
  for (const t of [...projection, wHh, bHh, wHr, h0, c0]) {
    if (t && t.dtype !== first.dtype) throw new DTypeError(op, `every tensor ${first.dtype}`, t.dtype);
  }
  if (first.dtype !== 'float32' && first.dtype !== 'float64')
    throw new DTypeError(op, 'float32 or float64', first.dtype);
  const GH = wHh.shape[0];
  const H = GH / G;
  const O = wHh.shape[1];
  const B = h0.shape[0];
  let N = 0;
  for (const bs of batchSizes) N += bs;
  if (xProj && (xProj.ndim !== 2 || xProj.shape[0] !== N || xProj.shape[1] !== GH)) {
    throw new ShapeError(op, `xProj of shape [${N}, ${GH}]`, formatShape(xProj.shape));
  }
  if (input) {
    const { x, wIh, biases } = input;
    const I = x.shape[1];
    if (
      x.ndim !== 2 ||
      x.shape[0] !== N ||
      wIh.ndim !== 2 ||
      wIh.shape[0] !== GH ||
      wIh.shape[1] !== I ||
      biases.some((b) => b.ndim !== 1 || b.shape[0] !== GH)
    )
      throw new ShapeError(
        op,
        `input x [${N}, I], W_ih [${GH}, I] and biases [${GH}]`,
        `x ${[x, wIh, ...biases].map((t) => formatShape(t.shape)).join(', ')}`,
      );
  }
  if (h0.ndim !== 2 || h0.shape[1] !== O || (batchSizes.length > 0 && batchSizes[0] > B)) {
    throw new ShapeError(op, `h0 of shape [${batchSizes[0] ?? B}, ${O}]`, formatShape(h0.shape));
  }
  if (cell === 'lstm' && (!c0 || c0.shape[0] !== B || c0.shape[1] !== H)) {
    throw new ShapeError(op, `c0 of shape [${B}, ${H}]`, c0 ? formatShape(c0.shape) : 'none');
  }
  return { G, GH, H, O, B, N };
}

/** Checks one sequence's inputs and allocates its outputs and saved buffers. */
function prepare(inputs: RecurrentSequenceInputs): Prepared {
  const { cell, xProj, wHh, bHh, wHr, h0, c0, batchSizes, reverse } = inputs;
  const { GH, H, O, B, N } = checkInputs(inputs);
  const dtype = xProj.dtype as 'float32' | 'float64';
  const lstm = cell === 'lstm';
  // Zeroed: the backward adds into the weight gradients (pooled: a dropped `.grad` comes back here).
  const f = (shape: number[]) => new Tensor(zeroedStorage(dtype, numel(shape)), shape, dtype);
  // Every element written by the kernel before it is read: storage from the pool.
  const w = (shape: number[]) => new Tensor(takeStorage(dtype, numel(shape)), shape, dtype);
  const out = w([N, O]);
  const hN = w([B, O]);
  const cN = lstm ? w([B, H]) : null;
  // NOTE(saved-buffers): what the forward saves for the backward alone (hPrev, cPrev, hFull, hhN,
  // and gates and cells unless recordGates hands them to the caller) comes from the storage pool
  // and goes back to it when the engine releases the node after backward. The gates of an LSTM or
  // RNN start as xProj: when xProj is this call's own (overwriteXProj), they are written over it
  // and nothing is allocated.
  const gatesInXProj = inputs.overwriteXProj === true && cell !== 'gru';
  const gates = gatesInXProj ? new Tensor(xProj.data, [N, GH], dtype) : w([N, GH]);
  const hPrev = w([N, O]);
  const cells = lstm ? w([N, H]) : null;
  const cPrev = lstm ? w([N, H]) : null;
  const hFull = wHr ? w([N, H]) : null;
  const hhN = cell === 'gru' ? w([N, H]) : null;
  const saved = [hPrev, cPrev, hFull, hhN];
  // Gates over xProj go back too: xProj is this call's own, and only the node still points to it.
  if (!inputs.recordGates) saved.push(gates, cells);
  const data = (t: Tensor | null): FloatStorage | null => (t ? (t.data as FloatStorage) : null);
  const args: RecurrentForwardArgs = {
    cell,
    hidden: H,
    outSize: O,
    batch: B,
    batchSizes,
    reverse,
    xProj: xProj.data as FloatStorage,
    wHh: wHh.data as FloatStorage,
    bHh: data(bHh),
    wHr: data(wHr),
    h0: h0.data as FloatStorage,
    c0: data(c0),
    out: out.data as FloatStorage,
    hN: hN.data as FloatStorage,
    cN: data(cN),
    gates: gates.data as FloatStorage,
    hPrev: hPrev.data as FloatStorage,
    cells: data(cells),
    cPrev: data(cPrev),
    hFull: data(hFull),
    hhN: data(hhN),
  };
  const given = [xProj, wHh, bHh, wHr, h0, c0];
  let dhTrace: Tensor | null = null;
  let dcTrace: Tensor | null = null;
  return {
    args,
    ins: given.filter((t): t is Tensor => t !== null),
    outs: cN ? [out, hN, cN] : [out, hN],
    result: {
      out,
      hN,
      cN,
      gates: inputs.recordGates ? gates : null,
      cells: inputs.recordGates ? cells : null,
    },
    backwardArgs(grads) {
      const [dOut, dhN, dcN] = grads;
      const dxProj = w([N, GH]);
      const dwHh = f(wHh.shape as number[]);
      const dbHh = bHh ? f([GH]) : null;
      const dwHr = wHr ? f(wHr.shape as number[]) : null;
      const dh0 = w([B, O]);
      const dc0 = lstm ? w([B, H]) : null;
      dhTrace = inputs.trace ? f([N, O]) : null;
      dcTrace = inputs.trace && lstm ? f([N, H]) : null;
      const all = [dxProj, dwHh, dbHh, dwHr, dh0, dc0];
      return {
        args: {
          ...args,
          dOut: data(dOut ?? null),
          dhN: data(dhN ?? null),
          dcN: data(dcN ?? null),
          dxProj: dxProj.data as FloatStorage,
          dwHh: dwHh.data as FloatStorage,
          dbHh: data(dbHh),
          dwHr: data(dwHr),
          dh0: dh0.data as FloatStorage,
          dc0: data(dc0),
          dhTrace: data(dhTrace),
          dcTrace: data(dcTrace),
        },
        grads: given.flatMap((t, i) => (t ? [all[i]] : [])),
      };
    },
    afterBackward() {
      if (inputs.trace && dhTrace) inputs.trace.onBackward(dhTrace, dcTrace);
    },
    release() {
      for (const t of saved) if (t) releaseStorage(t.data as FloatStorage);
    },
  };
}

export type { RecurrentCell };
