import type { FloatStorage } from '../../dtype';
import type {
  Backend,
  ProjectionGradient,
  RecurrentBackwardArgs,
  RecurrentForwardArgs,
  SavedBlock,
} from '../backend';
import { type ArenaBlock, WasmArena } from './arena';
import type { WasmGemm } from './gemm';
import {
  jsBackend,
  recurrentBackward as jsRecurrentBackward,
  recurrentForward as jsRecurrentForward,
  RECURRENT_GATES,
} from './js-parts';
import type { WasmModule } from './module';

// The fused recurrence in wasm (recurrent.c, with the cells in lstm.c, gru.c, rnn.c): one call per
// sequence and direction, with the time loop, W_hh packed once and kept in the module's memory,
// every step's GEMM and the gate math in SIMD. This file lays the sequence out in the module's
// memory, copies it in, calls, and copies the results out (NOTE(wasm-copies)); the contract and
// every saved buffer are the js kernels' (js/recurrent/loop.ts). Float64 storage (gradcheck) runs
// the js kernels. Batch-first out and dOut (`outBatchStride`) and the columns of a wider array
// (`outStride`) are the module's loop's to address (NOTE(wasm-out-rows)).

/** The rec_args slots of kernels.h, in order (NOTE(wasm-recurrent-args)). */
const ARG_SLOTS = [
  'cell',
  'H',
  'O',
  'B',
  'T',
  'N',
  'reverse',
  'batch_sizes',
  'offsets',
  'w_hh',
  'w_hr',
  'b_hh',
  'w_hh_packed',
  'w_hr_packed',
  'x_proj',
  'h',
  'c',
  'h_full_step',
  'hh',
  'out',
  'gates',
  'h_prev',
  'cells',
  'c_prev',
  'h_full',
  'hh_n',
  'd_out',
  'dh',
  'dc',
  'dh_step',
  'dhh',
  'dh_rows',
  'dc_trace',
  'dx_proj',
  'dw_hh',
  'db_hh',
  'dw_hr',
  'scratch_a',
  'scratch_b',
  'out_batch_stride',
  'out_stride',
  'zero_state',
] as const;
export type Slot = (typeof ARG_SLOTS)[number];
const SLOT = Object.fromEntries(ARG_SLOTS.map((name, i) => [name, i])) as Record<Slot, number>;
export const CELL_CODE = { lstm: 0, gru: 1, rnn_tanh: 2, rnn_relu: 3 } as const;

/** The float count of pack_b's panels of op(B) [k, n]. */
export const packedSize = (k: number, n: number) => Math.ceil(n / 4) * 4 * k;

/** Buffers placed one after another from the module's `start`, 16-byte aligned, args first. */
export class Layout {
  private end: number;
  private readonly argsAt: number;
  private readonly slots = new Int32Array(ARG_SLOTS.length);
  constructor(private readonly wasm: WasmModule) {
    this.argsAt = wasm.scratch;
    this.end = wasm.scratch + ((ARG_SLOTS.length + 3) & ~3);
  }
  /** Sets an integer argument. */
  int(slot: Slot, value: number): void {
    this.slots[SLOT[slot]] = value;
  }
  /** Reserves `floats` slots for a buffer argument (none when `floats` is null); returns the float index. */
  place(slot: Slot, floats: number | null): number {
    if (floats === null) return 0;
    const at = this.end;
    this.end += (floats + 3) & ~3;
    this.slots[SLOT[slot]] = at * 4;
    return at;
  }
  /** Points a buffer argument at float index `at` (outside the layout: a saved block). */
  placeAt(slot: Slot, at: number): void {
    this.slots[SLOT[slot]] = at * 4;
  }
  /** Reserves `floats` slots for a buffer outside the args; returns the float index. */
  extra(floats: number): number {
    const at = this.end;
    this.end += (floats + 3) & ~3;
    return at;
  }
  /** Grows the memory to fit, writes the args; returns the args' byte address. */
  commit(): number {
    this.wasm.reserve(this.end);
    this.wasm.resident = null; // the packed B of a GEMM at `scratch` is overwritten
    this.wasm.heapInt().set(this.slots, this.argsAt);
    return this.argsAt * 4;
  }
  at(slot: Slot): number {
    return this.slots[SLOT[slot]] / 4;
  }
}

/** A recurrent call's layout: its integer arguments, then the batch sizes and their offsets. */
export function startLayout(
  wasm: WasmModule,
  sizes: {
    cell: keyof typeof CELL_CODE;
    H: number;
    O: number;
    B: number;
    T: number;
    N: number;
    reverse: boolean;
  },
): Layout {
  const L = new Layout(wasm);
  const { cell, H, O, B, T, N, reverse } = sizes;
  for (const [slot, v] of [
    ['cell', CELL_CODE[cell]],
    ['H', H],
    ['O', O],
    ['B', B],
    ['T', T],
    ['N', N],
    ['reverse', reverse ? 1 : 0],
  ] as const)
    L.int(slot, v);
  L.place('batch_sizes', T);
  L.place('offsets', T);
  return L;
}

/** The saved buffers a block holds: the kernel's slot, the args' field, its width's index in `widths` below. */
const SAVED = [
  ['gates', 'gates'],
  ['h_prev', 'hPrev'],
  ['cells', 'cells'],
  ['c_prev', 'cPrev'],
  ['h_full', 'hFull'],
  ['hh_n', 'hhN'],
] as const;

// NOTE(fused-projection): an LSTM's or RNN's input projection xProj = x W_ihᵀ + Σ biases, made by
// the op (ops/recurrent-direction.ts `prepare`) for a node with a saved block, is written by the
// GEMM straight into the block's gates (gemm.ts `into`: gemmBias' product, C in place), where the
// forward starts from it: no xProj array, no copy out of the GEMM and none into the recurrence.
// The backward then writes dxProj into an arena block of its rows (allocated before its layout,
// so below the scratch), and the projection's backward (ops/recurrent-projection.ts) reads it there
// through `projectionGradient`: dX's and dW_ih's GEMMs take A in place (gemm.ts `from`; dW_ih's is
// transposed from there) and db is sum_rows over it, all of one call, with the accumulators the
// blocked reduce carries. The numbers are those of the copies (same kernels, same operands, same
// order). Past the arena's cap dxProj goes to an array and the GEMMs copy it in as before.

/**
 * NOTE(fused-projection): a block's input projection and its gradient, shared by its row views.
 * `projected`: the gates hold xProj (SavedBlock.project), so the forward copies no xProj in and
 * every backward leaves dxProj in `grad` (an arena block of the backward's rows, or an array past
 * the arena's cap) for `projectionGradient`.
 */
interface Projection {
  projected: boolean;
  grad: ArenaBlock | Float32Array | null;
  rows: number;
}

/** Offsets of the saved slots (absent: not saved), and the block they are in (NOTE(wasm-arena)). */
interface Resident extends SavedBlock {
  off: Partial<Record<Slot, number>>;
  p: Projection;
}

let residentOn = true;

/**
 * Turns the saved buffers in module memory on or off (on by default) and returns the previous
 * setting: the tests compare the two. Not part of the package's API.
 */
export function setResidentSaved(on: boolean): boolean {
  const was = residentOn;
  residentOn = on;
  return was;
}

/** A saved block's view from its row `r0` on (widths per slot); checks the block is live. */
function resident(
  wasm: WasmModule,
  block: ArenaBlock,
  at: Partial<Record<Slot, number>>,
  widths: Partial<Record<Slot, number>>,
  r0: number,
  free: () => void,
  mine: (active: Backend) => boolean,
  p: Projection,
): Resident {
  const off: Partial<Record<Slot, number>> = {};
  for (const [slot] of SAVED) if (at[slot] !== undefined) off[slot] = at[slot] + r0 * (widths[slot] ?? 0);
  const live = () => {
    if (block.end < 0) throw new Error('a recurrent call read saved buffers that were freed');
  };
  return {
    get off() {
      live();
      return off;
    },
    p,
    rows: (r) => resident(wasm, block, at, widths, r0 + r, free, mine, p),
    materialize(a, active) {
      if (mine(active)) return;
      live();
      const heap = wasm.heap();
      let N = 0;
      for (const rows of a.batchSizes) N += rows;
      for (const [slot, field] of SAVED) {
        const o = off[slot];
        if (o === undefined) continue;
        const n = N * (widths[slot] as number);
        // The op leaves the arrays a block holds empty (NOTE(saved-blocks)): made here.
        if (a[field]?.length !== n) a[field] = new Float32Array(n);
        (a[field] as FloatStorage).set(heap.subarray(o, o + n));
      }
      free();
      delete a.saved;
    },
    free,
  };
}

const isF32 = (s: FloatStorage | null): boolean => s === null || s instanceof Float32Array;

/** Whether every float buffer of `a` is float32 (the op gives all one dtype; check them anyway). */
function allFloat32(a: RecurrentForwardArgs | RecurrentBackwardArgs): boolean {
  for (const value of Object.values(a)) {
    if ((value instanceof Float64Array || value instanceof Float32Array) && !isF32(value)) return false;
  }
  return true;
}

// NOTE(wasm-out-rows): the module's out and d_out hold the caller's rows in the caller's order
// (time-major, or batch-first with outBatchStride: row j·S + t), O floats apart where the caller's
// are outStride apart (a direction's columns of the layer's output); the loop addresses both alike
// (out_index in recurrent.c), and writes 0 + h or reads 0 + g as the args say.

/** The rows out and dOut span in the module: N time-major, (B − 1)·S + T batch-first. */
function outSpan(a: RecurrentForwardArgs, N: number): number {
  const S = a.outBatchStride;
  return S === undefined || N === 0 ? N : (a.batch - 1) * S + a.batchSizes.length;
}

/**
 * Every row of every step between the module's out or d_out at `at` (rows O apart) and the
 * caller's `rows` (outStride apart): into `rows` (the forward's out) or (`toHeap`) from them (the
 * backward's dOut). One copy when the rows are contiguous on both sides.
 */
function copyRows(
  heap: Float32Array,
  at: number,
  rows: FloatStorage,
  a: RecurrentForwardArgs,
  toHeap: boolean,
): void {
  const { batchSizes, outSize: O } = a;
  const S = a.outBatchStride;
  const R = a.outStride ?? O;
  const T = batchSizes.length;
  let N = 0;
  for (let t = 0; t < T; t++) N += batchSizes[t];
  if (R === O && (S === undefined || S === T)) {
    if (toHeap) heap.set(rows.subarray(0, N * O), at);
    else rows.set(heap.subarray(at, at + N * O));
    return;
  }
  for (let t = 0, row = 0; t < T; row += batchSizes[t++]) {
    for (let j = 0; j < batchSizes[t]; j++) {
      const r = S === undefined ? row + j : j * S + t;
      if (toHeap) heap.set(rows.subarray(r * R, r * R + O), at + r * O);
      else rows.set(heap.subarray(at + r * O, at + (r + 1) * O), r * R);
    }
  }
}

/** The loop's out_batch_stride and out_stride (NOTE(wasm-out-rows)): the caller's S; O when outStride is given. */
function outSlots(L: Layout, a: RecurrentForwardArgs): void {
  L.int('out_batch_stride', a.outBatchStride ?? 0);
  L.int('out_stride', a.outStride === undefined ? 0 : a.outSize);
}

/** The wasm `recurrentForward` and `recurrentBackward` over an instantiated module. */
export function makeWasmRecurrent(
  wasm: WasmModule,
  gemm: Pick<WasmGemm, 'into' | 'from'>,
): {
  recurrentForward(a: RecurrentForwardArgs): void;
  recurrentBackward(a: RecurrentBackwardArgs): void;
  reserveSaved: NonNullable<Backend['reserveSaved']>;
  arena: WasmArena;
} {
  const arena = new WasmArena(wasm);
  const collected = new FinalizationRegistry<ArenaBlock>((block) => arena.free(block));
  /** The sizes every call shares, and the layout's integer arguments. */
  const begin = (a: RecurrentForwardArgs) => {
    const { cell, hidden: H, outSize: O, batch: B, batchSizes } = a;
    const GH = RECURRENT_GATES[cell] * H;
    const T = batchSizes.length;
    let N = 0;
    for (let t = 0; t < T; t++) N += batchSizes[t];
    const L = startLayout(wasm, { cell, H, O, B, T, N, reverse: a.reverse });
    if (a.zeroState) L.int('zero_state', 1);
    const off = (a.saved as Resident | undefined)?.off;
    /** A saved buffer's slot: in the block when there is one, else in the layout. */
    const save = (slot: Slot, floats: number | null) => {
      if (off && floats !== null) L.placeAt(slot, off[slot] as number);
      else L.place(slot, floats);
    };
    const lstm = cell === 'lstm';
    const proj = a.wHr !== null;
    /** The saved buffers the cell has: slot, floats, and the args' array (their copy outside). */
    const saved: [Slot, number, FloatStorage | null][] = [];
    const add = (slot: Slot, floats: number, array: FloatStorage | null, has = true) => {
      if (has) saved.push([slot, floats, array]);
    };
    add('gates', N * GH, a.gates);
    add('h_prev', N * O, a.hPrev);
    add('cells', N * H, a.cells, lstm);
    add('c_prev', N * H, a.cPrev, lstm);
    add('h_full', N * H, a.hFull, proj);
    add('hh_n', N * H, a.hhN, cell === 'gru');
    /** Every saved buffer's slot, as the forward writes them and the backward reads them. */
    const saveAll = () => {
      for (const [slot, floats] of saved) save(slot, floats);
    };
    return { L, H, O, B, T, N, GH, off, saveAll, saved };
  };

  // NOTE(wasm-arena): one direction's saved buffers in one block, each [N, width], freed by the
  // owner (the autograd node, NOTE(saved-blocks)) or when `args` is collected.
  function reserveSaved(args: RecurrentForwardArgs): SavedBlock | undefined {
    if (!residentOn || !allFloat32(args)) return;
    const { cell, hidden: H, outSize: O } = args;
    let N = 0;
    for (const rows of args.batchSizes) N += rows;
    const lstm = cell === 'lstm';
    const w = [RECURRENT_GATES[cell] * H, O, lstm && H, lstm && H, args.wHr && H, cell === 'gru' && H];
    let n = 0;
    const at: Partial<Record<Slot, number>> = {};
    const widths: Partial<Record<Slot, number>> = {};
    SAVED.forEach(([slot], i) => {
      if (!w[i]) return;
      widths[slot] = w[i] as number;
      at[slot] = n;
      n += ((w[i] as number) * N + 3) & ~3;
    });
    const block = arena.alloc(n);
    if (!block) return;
    for (const [slot] of SAVED) if (at[slot] !== undefined) at[slot] += block.at;
    const p: Projection = { projected: false, grad: null, rows: 0 };
    const dropGradient = () => {
      if (p.grad && !(p.grad instanceof Float32Array)) arena.free(p.grad);
      p.grad = null;
    };
    collected.register(args, block, block);
    const free = () => {
      collected.unregister(block);
      arena.free(block);
      dropGradient();
    };
    const saved = resident(wasm, block, at, widths, 0, free, (b) => b.reserveSaved === reserveSaved, p);
    const GH = widths.gates as number;
    // NOTE(fused-projection): gemmBias' product, C written in the block's gates.
    saved.project = (x, wIh, biases) => {
      const I = wIh.length / GH;
      const f32 = [x, wIh, ...biases].every((s) => s instanceof Float32Array);
      if (!f32 || cell === 'gru' || p.projected || block.end < 0 || I * N === 0 || x.length !== N * I)
        return false;
      gemm.into(
        N,
        GH,
        I,
        x as Float32Array,
        wIh as Float32Array,
        at.gates as number,
        biases as Float32Array[],
      );
      p.projected = true;
      return true;
    };
    saved.projectionGradient = () => {
      const { grad, rows } = p;
      if (!grad)
        throw new Error('no dxProj held: the block had no backward since its last projectionGradient');
      p.grad = null;
      const src = grad instanceof Float32Array ? grad : grad.at;
      const g: ProjectionGradient = {
        dx: (wIh, I, out, o) =>
          gemm.from(false, rows, I, GH, src, wIh as Float32Array, 0, out as Float32Array, o),
        dw: (x, xOff, I, out) =>
          gemm.from(true, GH, I, rows, src, x as Float32Array, xOff, out as Float32Array, 0),
        db(out) {
          // Past the arena's cap: the js row sum, whose numbers the blocked reduce gives.
          if (typeof src !== 'number')
            return jsBackend.reduce('sum', src.subarray(0, rows * GH), [rows, GH], [true, false], out);
          // reduce's row sum (blocked.ts) over the rows in place: float64 accumulators in the scratch.
          const A = wasm.scratch;
          wasm.reserve(A + 2 * GH);
          wasm.resident = null;
          const acc = new Float64Array(wasm.heap().buffer, A * 4, GH).fill(0);
          wasm.exports.sum_rows(rows, GH, src * 4, A * 4);
          for (let j = 0; j < GH; j++) out[j] = acc[j];
        },
        free: () => {
          if (!(grad instanceof Float32Array)) arena.free(grad);
        },
      };
      return g;
    };
    return saved;
  }

  // xProj [N, G·H], wHh [G·H, O], h0 [B, O], c0 [B, H] -> out [N, O], hN [B, O], cN [B, H]
  function recurrentForward(a: RecurrentForwardArgs): void {
    if (!allFloat32(a)) {
      jsRecurrentForward(a);
      return;
    }
    const { L, H, O, B, N, GH, off, saveAll, saved } = begin(a);
    const gru = a.cell === 'gru';
    const lstm = a.cell === 'lstm';
    const proj = a.wHr !== null;
    L.place('w_hh', GH * O);
    L.place('w_hh_packed', packedSize(O, GH));
    L.place('w_hr', proj ? O * H : null);
    L.place('w_hr_packed', proj ? packedSize(H, O) : null);
    L.place('b_hh', a.bHh ? GH : null);
    L.place('x_proj', gru ? N * GH : null);
    L.place('h', B * O);
    L.place('c', lstm ? B * H : null);
    L.place('h_full_step', proj ? B * H : null);
    L.place('hh', gru ? B * GH : null);
    L.place('out', outSpan(a, N) * O);
    outSlots(L, a);
    saveAll();
    const args = L.commit();
    const heap = wasm.heap();
    wasm.heapInt().set(a.batchSizes, L.at('batch_sizes'));
    heap.set(a.wHh, L.at('w_hh'));
    if (a.wHr) heap.set(a.wHr, L.at('w_hr'));
    if (a.bHh) heap.set(a.bHh, L.at('b_hh'));
    // LSTM and RNN add the recurrent product into the gates in place: they start as xProj (in the
    // block already when projected there, NOTE(fused-projection)).
    if (!(a.saved as Resident | undefined)?.p.projected) heap.set(a.xProj, L.at(gru ? 'x_proj' : 'gates'));
    heap.set(a.h0, L.at('h'));
    if (a.c0 && lstm) heap.set(a.c0, L.at('c'));
    wasm.exports.recurrent_forward(args);
    const read = (slot: Slot, into: FloatStorage | null) => {
      if (into) into.set(heap.subarray(L.at(slot), L.at(slot) + into.length));
    };
    copyRows(heap, L.at('out'), a.out, a, false);
    read('h', a.hN);
    read('c', lstm ? a.cN : null);
    if (off) return;
    for (const [slot, , array] of saved) read(slot, array);
  }

  // dOut [N, O], dhN [B, O], dcN [B, H] -> dxProj [N, G·H], dh0 [B, O], dc0 [B, H], dwHh += …, dbHh += …, dwHr += …
  function recurrentBackward(a: RecurrentBackwardArgs): void {
    if (!allFloat32(a)) {
      jsRecurrentBackward(a);
      return;
    }
    // NOTE(fused-projection): a projected block's dxProj stays in module memory, below the scratch
    // (so allocated before the layout starts at `scratch`).
    const p = (a.saved as Resident | undefined)?.p;
    let grad: ArenaBlock | Float32Array | null = null;
    if (p?.projected) {
      let rows = 0;
      for (const bs of a.batchSizes) rows += bs;
      const n = rows * RECURRENT_GATES[a.cell] * a.hidden;
      if (p.grad && !(p.grad instanceof Float32Array)) arena.free(p.grad);
      grad = arena.alloc(n) ?? new Float32Array(n);
      p.grad = grad;
      p.rows = rows;
    }
    const { L, H, O, B, N, GH, off, saveAll, saved } = begin(a);
    const gru = a.cell === 'gru';
    const lstm = a.cell === 'lstm';
    const proj = a.wHr !== null;
    // Every row's total dL/dh_t: wanted by the diagnostics, and needed for dW_hr.
    const dhRows = a.dhTrace !== null || proj;
    L.place('w_hh', GH * O);
    L.place('w_hh_packed', packedSize(GH, O));
    L.place('w_hr', proj ? O * H : null);
    L.place('w_hr_packed', proj ? packedSize(O, H) : null);
    saveAll();
    L.place('d_out', a.dOut ? outSpan(a, N) * O : null);
    outSlots(L, a);
    L.place('dh', B * O);
    L.place('dc', lstm ? B * H : null);
    L.place('dh_step', proj ? B * H : null);
    L.place('dhh', gru ? N * GH : null);
    L.place('dh_rows', dhRows ? N * O : null);
    L.place('dc_trace', lstm && a.dcTrace ? N * H : null);
    if (grad && !(grad instanceof Float32Array)) L.placeAt('dx_proj', grad.at);
    else L.place('dx_proj', N * GH);
    L.place('dw_hh', GH * O);
    L.place('db_hh', a.dbHh ? GH : null);
    L.place('dw_hr', proj && a.dwHr ? O * H : null);
    // The weight gradients' operands: dRecᵀ [G·H, N] and hPrev's panels; dhRowsᵀ and hFull's.
    L.place('scratch_a', Math.max(GH, proj ? O : 0) * N);
    L.place('scratch_b', Math.max(packedSize(N, O), proj ? packedSize(N, H) : 0));
    const args = L.commit();
    const heap = wasm.heap();
    const write = (slot: Slot, from: FloatStorage | null) => {
      if (from) heap.set(from, L.at(slot));
    };
    wasm.heapInt().set(a.batchSizes, L.at('batch_sizes'));
    write('w_hh', a.wHh);
    write('w_hr', a.wHr);
    if (!off) for (const [slot, , array] of saved) write(slot, array);
    if (a.dOut) copyRows(heap, L.at('d_out'), a.dOut, a, true);
    // The carried gradients start as dL/dhN, dL/dcN (zero where none arrived).
    if (a.dhN) write('dh', a.dhN);
    else heap.fill(0, L.at('dh'), L.at('dh') + B * O);
    if (lstm) {
      if (a.dcN) write('dc', a.dcN);
      else heap.fill(0, L.at('dc'), L.at('dc') + B * H);
    }
    write('dw_hh', a.dwHh);
    write('db_hh', a.dbHh);
    write('dw_hr', proj ? a.dwHr : null);
    wasm.exports.recurrent_backward(args);
    const read = (slot: Slot, into: FloatStorage | null) => {
      if (into) into.set(heap.subarray(L.at(slot), L.at(slot) + into.length));
    };
    read('dx_proj', grad ? (grad instanceof Float32Array ? grad : null) : a.dxProj);
    read('dw_hh', a.dwHh);
    read('db_hh', a.dbHh);
    read('dw_hr', proj ? a.dwHr : null);
    read('dh', a.dh0);
    read('dc', lstm ? a.dc0 : null);
    read('dh_rows', a.dhTrace);
    read('dc_trace', lstm ? a.dcTrace : null);
  }

  return { recurrentForward, recurrentBackward, reserveSaved, arena };
}
