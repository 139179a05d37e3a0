import { recordOp } from '../autograd/function';
import { RECURRENT_GATES, type RecurrentCell } from '../backend/backend';
import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { DTypeError, formatShape, ShapeError } from '../errors';
import { empty, type Tensor } from '../tensor';

/** Per-step gradients captured by `recurrentSequence` during backward (for diagnostics). */
export interface RecurrentTrace {
  /** Called once per backward with dL/dh_t for every row [N, O] and (LSTM) dL/dc_t [N, H]. */
  onBackward(dh: Tensor, dc: Tensor | null): void;
}

/** Inputs of `recurrentSequence`: one direction of one layer (see RecurrentForwardArgs for layouts). */
export interface RecurrentSequenceInputs {
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
  c0: Tensor | null;
  /** Active sequences per step (NOTE(packed-batch-sizes)); a padded batch has [B, B, …]. */
  batchSizes: Int32Array;
  /** Run from the last step to the first (reverse direction). */
  reverse: boolean;
  /** Keep the forward's gate activations (returned as `gates`, plus `cells` for LSTM). */
  recordGates?: boolean;
  /** Receive dL/dh_t (and dL/dc_t) of every step when backward runs. */
  trace?: RecurrentTrace;
}

/** Outputs of `recurrentSequence`. */
export interface RecurrentSequenceOutputs {
  /** h_t of every row, [N, O]. */
  out: Tensor;
  /** Final states [B, O] and (LSTM) [B, H], sorted batch order. */
  hN: Tensor;
  cN: Tensor | null;
  /** With recordGates: activations [N, G·H] (LSTM i,f,g,o; GRU r,z,n) and LSTM cell states [N, H]. */
  gates: Tensor | null;
  cells: Tensor | null;
}

/**
 * The fused recurrence: one direction of one RNN/LSTM/GRU layer over a whole sequence, as one
 * autograd node with a hand-written backward through time. The layers of @seqlab/layers build
 * on it; it is exported for custom recurrent layers.
 */
export function recurrentSequence(inputs: RecurrentSequenceInputs): RecurrentSequenceOutputs {
  const { cell, xProj, wHh, bHh, wHr, h0, c0, batchSizes, reverse } = inputs;
  const op = 'recurrentSequence';
  const G = RECURRENT_GATES[cell];
  for (const t of [xProj, wHh, bHh, wHr, h0, c0]) {
    if (t && t.dtype !== xProj.dtype) throw new DTypeError(op, `every tensor ${xProj.dtype}`, t.dtype);
  }
  if (xProj.dtype !== 'float32' && xProj.dtype !== 'float64')
    throw new DTypeError(op, 'float32 or float64', xProj.dtype);
  const GH = wHh.shape[0];
  const H = GH / G;
  const O = wHh.shape[1];
  const B = h0.shape[0];
  let N = 0;
  for (const bs of batchSizes) N += bs;
  if (xProj.ndim !== 2 || xProj.shape[0] !== N || xProj.shape[1] !== GH) {
    throw new ShapeError(op, `xProj of shape [${N}, ${GH}]`, formatShape(xProj.shape));
  }
  if (h0.ndim !== 2 || h0.shape[1] !== O || (batchSizes.length > 0 && batchSizes[0] > B)) {
    throw new ShapeError(op, `h0 of shape [${batchSizes[0] ?? B}, ${O}]`, formatShape(h0.shape));
  }
  if (cell === 'lstm' && (!c0 || c0.shape[0] !== B || c0.shape[1] !== H)) {
    throw new ShapeError(op, `c0 of shape [${B}, ${H}]`, c0 ? formatShape(c0.shape) : 'none');
  }
  const dtype = xProj.dtype;
  const lstm = cell === 'lstm';
  const f = (shape: number[]) => empty(shape, dtype);
  const out = f([N, O]);
  const hN = f([B, O]);
  const cN = lstm ? f([B, H]) : null;
  const gates = f([N, GH]);
  const hPrev = f([N, O]);
  const cells = lstm ? f([N, H]) : null;
  const cPrev = lstm ? f([N, H]) : null;
  const hFull = wHr ? f([N, H]) : null;
  const hhN = cell === 'gru' ? f([N, H]) : null;
  const data = (t: Tensor | null): FloatStorage | null => (t ? (t.data as FloatStorage) : null);
  const args = {
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
  backend().recurrentForward(args);

  const ins = [xProj, wHh, bHh, wHr, h0, c0].filter((t): t is Tensor => t !== null);
  const outs = cN ? [out, hN, cN] : [out, hN];
  recordOp(cell === 'lstm' ? 'LSTM' : cell === 'gru' ? 'GRU' : 'RNN', ins, outs, (grads) => {
    const [dOut, dhN, dcN] = grads;
    const dxProj = f([N, GH]);
    const dwHh = f(wHh.shape as number[]);
    const dbHh = bHh ? f([GH]) : null;
    const dwHr = wHr ? f(wHr.shape as number[]) : null;
    const dh0 = f([B, O]);
    const dc0 = lstm ? f([B, H]) : null;
    const dhTrace = inputs.trace ? f([N, O]) : null;
    const dcTrace = inputs.trace && lstm ? f([N, H]) : null;
    backend().recurrentBackward({
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
    });
    if (inputs.trace && dhTrace) inputs.trace.onBackward(dhTrace, dcTrace);
    const all = [dxProj, dwHh, dbHh, dwHr, dh0, dc0];
    return [xProj, wHh, bHh, wHr, h0, c0].flatMap((t, i) => (t ? [all[i]] : []));
  });
  // Its gradients are buffers allocated just above: the engine may keep them without a copy.
  if (out._node) out._node.freshGradients = true;
  return {
    out,
    hN,
    cN,
    gates: inputs.recordGates ? gates : null,
    cells: inputs.recordGates ? cells : null,
  };
}

export type { RecurrentCell };
