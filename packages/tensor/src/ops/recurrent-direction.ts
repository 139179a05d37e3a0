// One direction of the fused recurrence's autograd node (`recurrentSequences` in recurrent.ts):
// its checks, its outputs and saved buffers, the kernel's arguments, and its backward over the steps
// whose gradient can be nonzero (NOTE(zero-gradient-steps)), with the input projection's backward
// when the node holds the projection.
import { willRecord } from '../autograd/function';
import {
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentForwardArgs,
  type SavedBlock,
} from '../backend/backend';
import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { DTypeError, formatShape, ShapeError } from '../errors';
import { numel } from '../shape';
import { releaseStorage, takeStorage, zeroedStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import type { RecurrentLayerInputs, RecurrentSequenceInputs, RecurrentSequenceOutputs } from './recurrent';
import { type InputProjection, projectInput, projectionBackward } from './recurrent-projection';
import { keptArgs, keptSteps } from './recurrent-skip';

/**
 * A direction given to `fusedSequences`: its xProj, and, when `recurrentLayer` made that xProj from
 * the layer's input, the projection it came from (then x, W_ih and the biases, not xProj, are the
 * node's inputs, and the projection's backward runs in the node: see NOTE(zero-gradient-steps)).
 * No xProj with a projection: `prepare` makes it (NOTE(fused-projection)), with overwriteXProj.
 */
export interface SequenceInputs extends Omit<RecurrentSequenceInputs, 'xProj'> {
  xProj?: Tensor;
  projection?: InputProjection;
  /**
   * A padded batch's out (and its gradient) in batch-first row order, written and read by the
   * kernel itself (RecurrentForwardArgs.outBatchStride): only for a backend with
   * `recurrentBatchFirst`.
   */
  outBatchFirst?: boolean;
  /**
   * Write out into the columns of a layer's output instead of an array of its own, and read dOut
   * there (RecurrentForwardArgs.outStride): only for a backend with `recurrentOutStride`. The
   * direction's `out` is then none of the node's outputs (the layer's is, `fusedSequences`'), and
   * its gradient is the layer's.
   */
  outColumns?: OutColumns;
}

/** A direction's columns of its layer's output (SequenceInputs.outColumns). */
export interface OutColumns {
  /** The layer's output [N, D·O], which the node returns. */
  layer: Tensor;
  /** The direction's first column, d·O. */
  offset: number;
}

export interface Prepared {
  args: RecurrentForwardArgs;
  ins: Tensor[];
  outs: Tensor[];
  result: RecurrentSequenceOutputs;
  /**
   * The backward from the gradients of out (with outColumns: the layer's), hN and cN: see
   * `BackwardStep`.
   */
  backward(grads: readonly (Tensor | null | undefined)[]): BackwardStep;
  /** Hands the backward's traces to the caller once the backend has filled them. */
  afterBackward(): void;
  /** Gives the saved buffers nobody else can reach back to the storage pool (after backward). */
  release(): void;
}

/** One direction's backward: the kernel's arguments, then the gradients of its `ins`. */
interface BackwardStep {
  /** The `recurrentBackward` call over the kept steps (NOTE(zero-gradient-steps)); null: none. */
  args: RecurrentBackwardArgs | null;
  /**
   * After the kernel ran: the gradients of `ins`, in order. A projection's x gradient goes into
   * `xGrads` (keyed by x) for the directions that share that x, which add theirs into it.
   */
  finish(xGrads: Map<Tensor, Tensor | null>): (Tensor | null)[];
}

/** The zero initial states `recurrentZeroState` made (NOTE(zero-state-step)). */
const zeroStates = new WeakSet<Tensor>();
/**
 * The zeros every zero state reads, one array for all: no kernel writes an initial state (each
 * copies it into its working state), and a fresh array each forward cost 0.1–1 ms in a training
 * step (W1: six of 32 KiB).
 */
let zeroData = new Float32Array(0);

/**
 * A zero initial state [batch, size] (float32) for `recurrentSequence` / `recurrentLayer`, as a
 * layer given no initial state makes it: the recurrence knows it is zeros by this tensor itself
 * (never by its values), and when it needs no gradient skips the first step's recurrent product
 * h0 W_hhᵀ and its backward with the same bits. Its data is one array of zeros that every zero
 * state shares: never write into it.
 */
export function recurrentZeroState(batch: number, size: number): Tensor {
  const n = batch * size;
  // One more than any state read: a prefix is never the whole buffer, so releaseStorage never pools it.
  if (zeroData.length <= n) zeroData = new Float32Array(n + 1);
  const t = new Tensor(zeroData.subarray(0, n), [batch, size], 'float32');
  zeroStates.add(t);
  return t;
}

/** Whether h0 (and c0) are `recurrentZeroState`'s and need no gradient. */
export function isZeroState(h0: Tensor, c0: Tensor | null): boolean {
  return zeroStates.has(h0) && !h0.requiresGrad && (c0 === null || (zeroStates.has(c0) && !c0.requiresGrad));
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

/** Each tensor's storage under the same name; null where the tensor may be absent. */
type Storages<T> = { [K in keyof T]: T[K] extends Tensor ? FloatStorage : FloatStorage | null };

/** The kernel arguments' arrays, the forward's and the backward's: the storages of named tensors. */
function storages<T extends Record<string, Tensor | null | undefined>>(tensors: T): Storages<T> {
  const out: Record<string, FloatStorage | null> = {};
  for (const name in tensors) out[name] = (tensors[name]?.data as FloatStorage | undefined) ?? null;
  return out as Storages<T>;
}

/**
 * Checks one sequence's inputs and allocates its outputs and saved buffers. With a projection, its
 * x (when `ownsX`: the first direction over that x), W_ih and biases are inputs in xProj's place.
 * NOTE(saved-blocks): on a backend with `reserveSaved` (wasm), a node to be recorded keeps its saved
 * buffers in the backend's memory instead (RecurrentForwardArgs.saved; the arrays stay unwritten):
 * `release` frees the block, and a backward on another backend copies it into the arrays first.
 */
export function prepare(inputs: SequenceInputs, ownsX: boolean): Prepared {
  const { cell, xProj, wHh, bHh, wHr, h0, c0, batchSizes, reverse, projection } = inputs;
  const { G, GH, H, O, B, N } = checkInputs(inputs);
  const dtype = (xProj ?? (projection as InputProjection).x).dtype as 'float32' | 'float64';
  const lstm = cell === 'lstm';
  // Zeroed: the backward adds into the weight gradients (pooled: a dropped `.grad` comes back here).
  const f = (shape: number[]) => new Tensor(zeroedStorage(dtype, numel(shape)), shape, dtype);
  // Every element written by the kernel before it is read: storage from the pool.
  const w = (shape: number[]) => new Tensor(takeStorage(dtype, numel(shape)), shape, dtype);
  const columns = inputs.outColumns;
  const out = columns ? null : w([N, O]);
  const hN = w([B, O]);
  const cN = lstm ? w([B, H]) : null;
  const head = projection
    ? [...(ownsX ? [projection.x] : []), projection.wIh, ...projection.biases]
    : [xProj as Tensor];
  const given = [wHh, bHh, wHr, h0, c0];
  const ins = [...head, ...given.filter((t): t is Tensor => t !== null)];
  // The saved buffers are added below, once it is known whether a block holds them.
  const args = {
    cell,
    hidden: H,
    outSize: O,
    batch: B,
    batchSizes,
    reverse,
    ...storages({ xProj, wHh, bHh, wHr, h0, c0, out, hN, cN }),
    ...(inputs.outBatchFirst ? { outBatchStride: batchSizes.length } : {}),
    ...(isZeroState(h0, c0) ? { zeroState: true } : {}),
  } as RecurrentForwardArgs;
  if (columns) {
    args.out = (columns.layer.data as FloatStorage).subarray(columns.offset);
    args.outStride = columns.layer.shape[1];
  }
  if (!inputs.recordGates && willRecord(ins)) args.saved = backend().reserveSaved?.(args);
  // NOTE(fused-projection): a projection the op makes goes straight into a saved block's gates
  // when the backend can write it there (wasm: no xProj array, no copy in); else as `linear` does.
  const lazy = projection as InputProjection;
  const data = (t: Tensor) => t.data as FloatStorage;
  const projected =
    !xProj &&
    !!backend().projectIntoSaved &&
    !!args.saved?.project?.(data(lazy.x), data(lazy.wIh), lazy.biases.map(data));
  if (!xProj) args.xProj = projected ? data(lazy.x).subarray(0, 0) : data(projectInput(lazy));
  // NOTE(saved-buffers): what the forward saves for the backward alone (hPrev, cPrev, hFull, hhN,
  // and gates and cells unless recordGates hands them to the caller) comes from the storage pool
  // and goes back to it when the engine releases the node after backward; with a saved block
  // (NOTE(saved-blocks)) their arrays are empty (`materialize` makes them for another backend's
  // backward). The gates of an LSTM or RNN start as xProj: when xProj is this call's own
  // (overwriteXProj), they are written over it and nothing is allocated.
  const saved: FloatStorage[] = [];
  /** A saved buffer [N, width] (none: null), going back to the pool after backward unless not `back`. */
  const save = (width: number | false | null, back = true): FloatStorage | null => {
    if (typeof width !== 'number') return null;
    const data = args.saved ? args.xProj.subarray(0, 0) : takeStorage(dtype, N * width);
    if (back) saved.push(data);
    return data;
  };
  const gatesInXProj = inputs.overwriteXProj === true && cell !== 'gru';
  // Gates over xProj go back too: xProj is this call's own, and only the node still points to it.
  args.gates = gatesInXProj ? args.xProj : (save(GH, false) as FloatStorage);
  if (!inputs.recordGates) saved.push(args.gates);
  args.hPrev = save(O) as FloatStorage;
  args.cells = save(lstm && H, !inputs.recordGates);
  args.cPrev = save(lstm && H);
  args.hFull = save(wHr && H);
  args.hhN = save(cell === 'gru' && H);
  // A GRU's projection made for the node (its gates are apart, its backward reads neither): only
  // the node points to it.
  if (projection && !gatesInXProj) saved.push(args.xProj);
  let dhTrace: Tensor | null = null;
  let dcTrace: Tensor | null = null;
  return {
    args,
    ins,
    outs: [out, hN, cN].filter((t): t is Tensor => t !== null),
    result: {
      // With columns: a copy of them, made when read.
      get out() {
        return out ?? (columns as OutColumns).layer.narrow(1, (columns as OutColumns).offset, O);
      },
      hN,
      cN,
      gates: inputs.recordGates ? new Tensor(args.gates, [N, GH], dtype) : null,
      cells: inputs.recordGates && args.cells ? new Tensor(args.cells, [N, H], dtype) : null,
    },
    backward(grads) {
      args.saved?.materialize(args, backend());
      // A projected block that stayed (same backend) holds dxProj too (NOTE(fused-projection)).
      const held = projected && args.saved !== undefined;
      const [dOut, dhN, dcN] = grads;
      const dxProj = held ? null : w([N, GH]);
      const dwHh = f(wHh.shape as number[]);
      const dbHh = bHh ? f([GH]) : null;
      const dwHr = wHr ? f(wHr.shape as number[]) : null;
      const dh0 = w([B, O]);
      const dc0 = lstm ? w([B, H]) : null;
      dhTrace = inputs.trace ? f([N, O]) : null;
      dcTrace = inputs.trace && lstm ? f([N, H]) : null;
      const full: RecurrentBackwardArgs = {
        ...args,
        ...storages({ dOut, dhN, dcN, dwHh, dbHh, dwHr, dh0, dc0, dhTrace, dcTrace }),
        // Held: empty (the projected xProj's), the block holds it.
        dxProj: dxProj ? (dxProj.data as FloatStorage) : args.xProj,
      };
      // The layer's gradient, read in place from the direction's first column on.
      if (columns && full.dOut) full.dOut = full.dOut.subarray(columns.offset);
      // NOTE(zero-gradient-steps): the kernel runs on the steps whose gradient can be nonzero.
      const kept = keptSteps(
        batchSizes,
        reverse,
        O,
        full.dOut,
        full.dhN,
        full.dcN,
        args.outBatchStride,
        args.outStride,
      );
      const { r0, r1 } = kept;
      const whole = r0 === 0 && r1 === N;
      if (r0 === r1) {
        // No step to backpropagate: the initial states' gradients are zero (the carried ones are).
        full.dh0.fill(0);
        full.dc0?.fill(0);
      }
      return {
        args: whole ? full : r0 === r1 ? null : keptArgs(full, kept, G * H),
        finish(xGrads) {
          // A zero state (NOTE(zero-state-step)) needs no gradient, and dh0 was not computed.
          const states = args.zeroState ? [null, null] : [dh0, dc0];
          const rest = [dwHh, dbHh, dwHr, ...states].filter((_, i) => given[i] !== null);
          if (!projection) {
            // xProj's own gradient: zero in the skipped rows.
            if (!whole) {
              full.dxProj.fill(0, 0, r0 * GH);
              full.dxProj.fill(0, r1 * GH, N * GH);
            }
            return [dxProj, ...rest];
          }
          const shared = ownsX ? null : (xGrads.get(projection.x) ?? null);
          const g = held && r0 < r1 ? (args.saved as SavedBlock).projectionGradient?.() : undefined;
          const p = projectionBackward(projection, g ?? full.dxProj, r0, r1, shared);
          if (ownsX) xGrads.set(projection.x, p.dx);
          if (g) g.free();
          else releaseStorage(full.dxProj);
          return [...(ownsX ? [p.dx] : []), p.dwIh, ...p.dBiases, ...rest];
        },
      };
    },
    afterBackward() {
      if (inputs.trace && dhTrace) inputs.trace.onBackward(dhTrace, dcTrace);
    },
    release() {
      for (const data of saved) releaseStorage(data);
      args.saved?.free();
    },
  };
}
