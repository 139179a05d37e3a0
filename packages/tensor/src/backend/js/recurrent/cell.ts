import type { FloatStorage } from '../../../dtype';
import type { RecurrentBackwardArgs, RecurrentForwardArgs } from '../../backend';

// What a cell file (lstm.ts, gru.ts, rnn.ts) gives the shared time loop in loop.ts: its gate math
// for one time step, forward and backward, over buffers the loop allocates once per sequence.

/** The working state of a forward pass, allocated once per sequence. */
export interface ForwardState {
  /** h of every sequence [B, O], sorted batch order: h_{t−1} on entry to a step. */
  h: FloatStorage;
  /** LSTM: c of every sequence [B, H]; null otherwise. */
  c: FloatStorage | null;
  /** Where the cell writes h_t [B, H]: `h`, or the unprojected h of a projected LSTM. */
  hOut: FloatStorage;
  /** GRU: the recurrent part h_{t−1} W_hhᵀ + b_hh of the step's rows [B, G·H]; null otherwise. */
  hh: FloatStorage | null;
}

/** The carried gradients of a backward pass, allocated once per sequence. */
export interface BackwardState {
  /** dL/dh_t [B, O] on entry to a step; the cell may leave the direct path h_{t−1} → h_t in it. */
  dh: FloatStorage;
  /** dL/dh_t before the projection [B, H]: `dh`, or dh W_hr for a projected LSTM. */
  dhFull: FloatStorage;
  /** LSTM: dL/dc_t [B, H] on entry, dL/dc_{t−1} on exit; null otherwise. */
  dc: FloatStorage | null;
  /** GRU: dL/d(h_{t−1} W_hhᵀ + b_hh) of every row [N, G·H]; null when it is dxProj. */
  dhh: FloatStorage | null;
}

/** One cell's gate math for one time step: `bs` active rows starting at row `row`. */
export interface CellKernel {
  /**
   * Where the step's recurrent product h_{t−1} W_hhᵀ goes: added into the gates (LSTM, RNN), or
   * into `state.hh` with b_hh (GRU, whose r multiplies W_hn h + b_hn).
   */
  readonly recurrentApart: boolean;
  /**
   * Whether dL/dh_{t−1} keeps what the cell's backward left in `dh` (GRU's direct path z ⊙ dh)
   * and adds dgates W_hh to it, rather than being dgates W_hh alone.
   */
  readonly directPath: boolean;
  /** Whether the cell carries a cell state c (LSTM). */
  readonly cellState: boolean;
  /** gates (pre-activations on entry) → activations; fills hOut (and c, cells, cPrev, hhN). */
  forward(a: RecurrentForwardArgs, state: ForwardState, row: number, bs: number): void;
  /** dL/dh_t (and dL/dc_t) → dxProj rows (and dhh, dc, dcTrace). */
  backward(a: RecurrentBackwardArgs, state: BackwardState, row: number, bs: number): void;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
