import {
  assertTensor,
  ConfigError,
  cat,
  dropout,
  formatShape,
  indexSelect,
  isPackedSequence,
  type PackedSequence,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentLayerInputs,
  type RecurrentLayerOutputs,
  recurrentLayer,
  recurrentZeroState,
  ShapeError,
  Tensor,
  uniform,
} from '@seqlab/tensor';
import { Module } from '../module';
import { warn } from '../warn';
import { type RecurrentState, readLayerState } from './state';

/** Options of the recurrent layers, named like PyTorch's arguments (camelCased). */
export interface RNNBaseOptions {
  /** Features per time step of the input (I). */
  inputSize: number;
  /** Features of the hidden state (H). */
  hiddenSize: number;
  /** Stacked layers (L), default 1. */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [B, T, ·] instead of [T, B, ·] (default false, as PyTorch). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Run a second, reversed direction and concatenate (D = 2) (default false). */
  bidirectional?: boolean;
}

/** Every key of `RNNBaseOptions`, for the run-time check of the recurrent layers' options. */
export const RNN_BASE_KEYS: { [K in keyof Required<RNNBaseOptions>]: true } = {
  inputSize: true,
  hiddenSize: true,
  numLayers: true,
  bias: true,
  batchFirst: true,
  dropout: true,
  bidirectional: true,
};

/** One layer-direction's gate activations, recorded when `recordGates` is on. */
export interface GateRecord {
  /** Layer index, 0 for the layer that reads the input. */
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /**
   * Activations per row, [N, G·H] with rows time-major (a padded batch: row t·B + b; packed: see
   * NOTE(packed-batch-sizes)); LSTM columns i, f, g, o; GRU r, z, n; RNN h.
   */
  gates: Tensor;
  /** LSTM cell states c_t per row, [N, H]; null otherwise. */
  cells: Tensor | null;
  /** Active sequences per time step. */
  batchSizes: Int32Array;
}

/** One layer-direction's dL/dh_t (and LSTM dL/dc_t) per row, filled in by backward when `trackGradients` is on. */
export interface GradientRecord {
  /** Layer index, 0 for the layer that reads the input. */
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /** dL/dh_t per row [N, O], rows as in GateRecord. */
  dh: Tensor | null;
  /** LSTM dL/dc_t per row [N, H]. */
  dc: Tensor | null;
  /** Active sequences per time step. */
  batchSizes: Int32Array;
}

// PyTorch's `mode` spelling (RNNBase.mode); the fused kernel's cell it runs is the same name in
// lower case (`LSTM` → `lstm`, `RNN_TANH` → `rnn_tanh`).
type Mode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
const cellOf = (mode: Mode) => mode.toLowerCase() as Lowercase<Mode> satisfies RecurrentCell;

interface LayerWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
}

/**
 * What RNN, LSTM and GRU share (torch.nn.RNNBase): the parameters of every layer and direction,
 * named as PyTorch names them and built in one loop, and the forward over padded or packed input.
 * Each layer-direction runs as one fused kernel (`recurrentSequence`): one input-projection GEMM
 * for all time steps, then per step one recurrent GEMM and the gate math, with a hand-written
 * backward through time; the two directions of a bidirectional layer are one call
 * (`recurrentLayer`), which a backend with threads runs at once, and which saves nothing for a
 * backward when no gradient is needed.
 */
export abstract class RNNBase extends Module {
  /** PyTorch's `mode`: `LSTM`, `GRU`, `RNN_TANH` or `RNN_RELU`. */
  readonly mode: Mode;
  /** Features I of each input step. */
  readonly inputSize: number;
  /** Features H of the hidden state (and of the LSTM's cell state). */
  readonly hiddenSize: number;
  /** Stacked layers L. */
  readonly numLayers: number;
  /** Whether each layer has the biases b_ih and b_hh. */
  readonly bias: boolean;
  /** Whether padded input and output are [B, T, ·] instead of [T, B, ·]; states are never batch-first. */
  readonly batchFirst: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode. */
  readonly dropout: number;
  /** Whether each layer also runs right to left (D = 2). */
  readonly bidirectional: boolean;
  /** LSTM only: the size O of the projected hidden state (0: no projection, O = H). */
  readonly projSize: number;
  /** Record every layer's gate activations in `lastGates` on each forward (off by default; free when off). */
  recordGates = false;
  /** Keep dL/dh_t (and dL/dc_t) of every step in `lastGradients` when backward runs (off by default). */
  trackGradients = false;
  /** Gate activations of the last forward, when `recordGates` is on. */
  lastGates: GateRecord[] | null = null;
  /** Per-step gradients of the last backward, when `trackGradients` is on. */
  lastGradients: GradientRecord[] | null = null;
  readonly #weights: LayerWeights[][] = [];

  protected constructor(mode: Mode, options: RNNBaseOptions & { projSize?: number }) {
    super();
    const name = mode.startsWith('RNN') ? 'RNN' : mode;
    const { inputSize, hiddenSize } = options;
    const numLayers = options.numLayers ?? 1;
    const p = options.dropout ?? 0;
    const projSize = options.projSize ?? 0;
    for (const [key, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', numLayers],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ConfigError(name, `a positive integer ${key}`, `${v}`);
    }
    if (!(p >= 0 && p <= 1)) throw new ConfigError(name, 'dropout in [0, 1]', `${p}`);
    if (p > 0 && numLayers === 1) {
      // As PyTorch's UserWarning: the dropout between layers has nothing to act on with one layer.
      warn(
        `${name}: dropout adds dropout after all but the last recurrent layer, so dropout > 0 expects ` +
          `numLayers > 1, got dropout=${p} and numLayers=1`,
      );
    }
    if (!Number.isInteger(projSize) || projSize < 0 || (projSize > 0 && projSize >= hiddenSize)) {
      throw new ConfigError(name, `projSize an integer in [0, hiddenSize=${hiddenSize})`, `${projSize}`);
    }
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = projSize;

    // PyTorch's parameter names and order: per layer, per direction: w_ih, w_hh, b_ih, b_hh, w_hr.
    // Every parameter is U(−1/√H, 1/√H), drawn in that order.
    const H = hiddenSize;
    const O = projSize || H;
    const GH = RECURRENT_GATES[cellOf(mode)] * H;
    const D = this.bidirectional ? 2 : 1;
    const k = 1 / Math.sqrt(H);
    for (let layer = 0; layer < numLayers; layer++) {
      const dirs: LayerWeights[] = [];
      for (let d = 0; d < D; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : O * D;
        const reg = (n: string, shape: number[]) =>
          this.registerParameter(`${n}${suffix}`, uniform(shape, -k, k));
        const wIh = reg('weight_ih', [GH, layerInput]);
        const wHh = reg('weight_hh', [GH, O]);
        const bIh = this.bias ? reg('bias_ih', [GH]) : null;
        const bHh = this.bias ? reg('bias_hh', [GH]) : null;
        const wHr = projSize ? reg('weight_hr', [projSize, H]) : null;
        dirs.push({ wIh, wHh, bIh, bHh, wHr });
      }
      this.#weights.push(dirs);
    }
  }

  /** Runs the layer over padded or packed input; see RNN, LSTM and GRU for the result's fields. */
  abstract forward(
    input: Tensor | PackedSequence,
    state?: RecurrentState | Tensor | readonly [Tensor, Tensor] | null,
  ): {
    /** Every step's last-layer output, padded or packed as the input. */
    output: Tensor | PackedSequence;
    /** Each layer-direction's final hidden state [L·D, B, O]. */
    hN: Tensor;
    /** LSTM only: each layer-direction's final cell state [L·D, B, H]. */
    cN?: Tensor;
  };

  /** The op name in messages, e.g. `LSTM.forward`. */
  protected get opName(): string {
    return `${this.constructor.name}.forward`;
  }

  /** Number of directions D. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Adds `value` to the forget-gate slice of every layer's b_ih (LSTM's forgetBias). */
  protected addForgetBias(value: number): void {
    const H = this.hiddenSize;
    for (const dirs of this.#weights) {
      for (const w of dirs) {
        if (!w.bIh)
          throw new ConfigError(this.constructor.name, 'bias: true when forgetBias is set', 'bias: false');
        for (let k = H; k < 2 * H; k++) w.bIh.data[k] += value;
      }
    }
  }

  /**
   * The shared forward. input: [T, B, I] (or [B, T, I] with batchFirst, or [T, I] unbatched) or a
   * PackedSequence of [N, I] rows -> output of the same kind with D·O features, hN [L·D, B, O],
   * cN [L·D, B, H] (LSTM), states at each sequence's true end, in the caller's batch order.
   */
  protected run(
    input: Tensor | PackedSequence,
    state: unknown,
  ): {
    /** Every step's last-layer output, padded or packed as the input. */
    output: Tensor | PackedSequence;
    /** Each layer-direction's final hidden state [L·D, B, O]. */
    hN: Tensor;
    /** LSTM: each layer-direction's final cell state [L·D, B, H]; null otherwise. */
    cN: Tensor | null;
  } {
    // x [T, B, I] | packed [N, I], h0 [L*D, B, O], c0 [L*D, B, H] -> out [T, B, D*O] | packed [N, D*O], hN, cN
    const op = this.opName;
    const packed = isPackedSequence(input);
    if (!packed) assertTensor(op, input, 'input (or a PackedSequence)');
    const lstm = this.mode === 'LSTM';
    const gru = this.mode === 'GRU';
    const H = this.hiddenSize;
    const O = this.projSize || H;
    const D = this.numDirections;
    const L = this.numLayers;
    let rows: Tensor;
    let batchSizes: Int32Array;
    let B: number;
    let T = 0;
    let unbatched = false;
    let rowsBatchFirst = false;
    if (packed) {
      rows = input.data;
      if (rows.ndim !== 2 || rows.shape[1] !== this.inputSize) {
        throw new ShapeError(op, `packed data of shape [N, ${this.inputSize}]`, formatShape(rows.shape));
      }
      batchSizes = input.batchSizes;
      B = input.batchSize;
    } else {
      const layout = this.batchFirst ? `[B, T, ${this.inputSize}]` : `[T, B, ${this.inputSize}]`;
      if ((input.ndim !== 3 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
        throw new ShapeError(
          op,
          `input of shape ${layout} (batchFirst=${this.batchFirst}) or [T, ${this.inputSize}]`,
          formatShape(input.shape),
        );
      }
      unbatched = input.ndim === 2;
      const x = unbatched ? input.unsqueeze(1) : input;
      // A batch-first input goes in as it is, and the last layer's output comes out batch-first:
      // recurrentLayer transposes them (or the backend reads and writes that order itself).
      rowsBatchFirst = this.batchFirst && !unbatched;
      T = x.shape[rowsBatchFirst ? 1 : 0];
      B = x.shape[rowsBatchFirst ? 0 : 1];
      if (T === 0 || B === 0)
        throw new ShapeError(op, 'at least one time step and one sequence', formatShape(input.shape));
      rows = x.reshape([T * B, this.inputSize]);
      batchSizes = new Int32Array(T).fill(B);
    }
    const given = readLayerState(op, state, lstm);
    const sorted = packed ? input.sortedIndices : null;
    // No initial state: each layer-direction starts from the recurrence's own zero state
    // (recurrentZeroState), whose first step it skips.
    const h0 = given.h0 ? this.initialState(op, 'h0', given.h0, B, O, unbatched, sorted) : null;
    const c0 = lstm && given.c0 ? this.initialState(op, 'c0', given.c0, B, H, unbatched, sorted) : null;

    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    const gates: GateRecord[] = [];
    const grads: GradientRecord[] = [];
    let layerInput = rows;
    let previous: RecurrentLayerOutputs | undefined;
    for (let layer = 0; layer < L; layer++) {
      const inputs: RecurrentLayerInputs[] = [];
      const records: GradientRecord[] = [];
      for (let d = 0; d < D; d++) {
        const w = this.#weights[layer][d];
        // x W_ihᵀ + b_ih (+ b_hh, except GRU, whose b_hh sits inside the reset gate's product).
        // recurrentLayer makes it (linear), or the backend fuses it into the recurrence in inference.
        const biases = [w.bIh, gru ? null : w.bHh].filter((b): b is Tensor => b !== null);
        const s = layer * D + d;
        const record: GradientRecord = { layer, direction: d, dh: null, dc: null, batchSizes };
        records.push(record);
        inputs.push({
          cell: cellOf(this.mode),
          input: {
            x: layerInput,
            wIh: w.wIh,
            biases,
            ...(rowsBatchFirst && layer === 0 ? { batchFirst: true } : {}),
          },
          wHh: w.wHh,
          bHh: gru ? w.bHh : null,
          wHr: w.wHr,
          h0: h0 ? h0.select(0, s) : recurrentZeroState(B, O),
          c0: lstm ? (c0 ? c0.select(0, s) : recurrentZeroState(B, H)) : null,
          batchSizes,
          reverse: d === 1,
          recordGates: this.recordGates,
          ...(this.trackGradients
            ? {
                trace: {
                  onBackward: (dh: Tensor, dc: Tensor | null) => {
                    record.dh = dh;
                    record.dc = dc;
                  },
                },
              }
            : {}),
        });
      }
      // Both directions in one call: a backend with threads runs them at once. Their outputs side
      // by side are the next layer's input (written there directly when no gradient is needed).
      // The last layer of a padded bidirectional stack leaves its reverse direction's unread steps
      // pending until someone reads them (NOTE(deferred-reverse) in @seqlab/tensor).
      const last = layer === L - 1;
      const result = recurrentLayer(inputs, {
        ...(rowsBatchFirst && last ? { batchFirst: true } : {}),
        ...(last && !packed && !this.recordGates ? { deferReverse: true, internalInput: layer > 0 } : {}),
      });
      // The last layer's output: read by this layer only (its dropout's too), saved by no backward
      // when this layer's output needs no gradient, and reachable by no one, unless a deferred
      // reverse direction still reads it.
      if (!result.out.requiresGrad && !result.deferred) previous?.release?.();
      previous = result;
      result.directions.forEach((res, d) => {
        hs.push(res.hN);
        if (res.cN) cs.push(res.cN);
        if (res.gates) gates.push({ layer, direction: d, gates: res.gates, cells: res.cells, batchSizes });
        grads.push(records[d]);
      });
      layerInput = result.out;
      if (this.dropout > 0 && this.training && layer < L - 1) layerInput = dropout(layerInput, this.dropout);
    }
    this.lastGates = this.recordGates ? gates : null;
    this.lastGradients = this.trackGradients ? grads : null;

    const unsort = packed && input.unsortedIndices ? indices(input.unsortedIndices) : null;
    let hN = stackStates(hs);
    let cN = lstm ? stackStates(cs) : null;
    if (unsort) {
      hN = indexSelect(hN, 1, unsort);
      if (cN) cN = indexSelect(cN, 1, unsort);
    }
    if (packed) return { output: input.withData(layerInput), hN, cN };
    let output = layerInput.reshape(rowsBatchFirst ? [B, T, D * O] : [T, B, D * O]);
    if (unbatched) {
      output = output.squeeze(1);
      hN = hN.squeeze(1);
      if (cN) cN = cN.squeeze(1);
    }
    return { output, hN, cN };
  }

  /** A given initial state checked and put in sorted batch order. */
  private initialState(
    op: string,
    name: string,
    given: Tensor,
    B: number,
    size: number,
    unbatched: boolean,
    sorted: Int32Array | null,
  ): Tensor {
    const LD = this.numLayers * this.numDirections;
    const want = unbatched ? [LD, size] : [LD, B, size];
    if (given.ndim !== want.length || given.shape.some((s, i) => s !== want[i])) {
      throw new ShapeError(op, `${name} of shape ${formatShape(want)}`, formatShape(given.shape));
    }
    const s = unbatched ? given.unsqueeze(1) : given;
    return sorted ? indexSelect(s, 1, indices(sorted)) : s;
  }
}

// The two helpers below are what
// `tensor(index)` and `stack(states, 0)` do with these arguments, without the general code of
// either (their checks, the nested-array reader) in a bundle that needs only a forward.

/** A packed batch's permutation as an int32 tensor (sharing it, as `tensor(index)` does). */
function indices(index: Int32Array): Tensor {
  return new Tensor(index, [index.length], 'int32');
}

/** Each layer-direction's final state [B, ·] stacked into [L·D, B, ·] (`stack(states, 0)`'s numbers and gradient). */
function stackStates(states: readonly Tensor[]): Tensor {
  return cat(
    states.map((t) => t.unsqueeze(0)),
    0,
  );
}
