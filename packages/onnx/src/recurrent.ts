import { GRU, LSTM, RNN } from '@seqlab/layers';
import { ConfigError, type Tensor } from '@seqlab/tensor';
import type { OnnxGraph } from './graph';

/** What `addRecurrent` produced: time-major names in the graph. */
export interface RecurrentValues {
  /** The last layer's outputs, [T, B, D·H], zero past each sequence's length. */
  output: string;
  /** Final hidden states of every layer and direction, [L·D, B, H] (PyTorch's order). */
  hN: string;
  /** LSTM: final cell states, [L·D, B, H]; else null. */
  cN: string | null;
}

/** Time-major inputs of `addRecurrent`. */
export interface RecurrentInputs {
  /** [T, B, I] float32. */
  input: string;
  /** [B] int32 lengths (ONNX's `sequence_lens`), or null when every sequence is T long. */
  sequenceLens: string | null;
  /** [L·D, B, H] initial hidden state, or null for zeros. */
  h0: string | null;
  /** LSTM: [L·D, B, H] initial cell state, or null for zeros. */
  c0: string | null;
}

// NOTE(onnx-gate-order): ONNX orders an LSTM's gates i, o, f, c and a GRU's z, r, h; PyTorch's are
// i, f, g, o and r, z, n. Block k of ONNX's W, R and B is block GATE_ORDER[k] of PyTorch's. ONNX's
// GRU with linear_before_reset = 1 is PyTorch's (the reset gate multiplies W_hn h + b_hn).
const GATE_ORDER = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] } as const;

type Recurrent = LSTM | GRU | RNN;

function opType(layer: Recurrent): 'LSTM' | 'GRU' | 'RNN' {
  return layer instanceof LSTM ? 'LSTM' : layer instanceof GRU ? 'GRU' : 'RNN';
}

/** Rows of `w` ([G·H, n] or [G·H]) with its gate blocks reordered into `out` at `offset`. */
function reorderGates(
  w: Tensor,
  order: readonly number[],
  hidden: number,
  out: Float32Array,
  offset: number,
): void {
  const cols = w.shape.length === 2 ? (w.shape[1] as number) : 1;
  const block = hidden * cols;
  order.forEach((from, k) => {
    out.set(w.data.subarray(from * block, (from + 1) * block) as Float32Array, offset + k * block);
  });
}

/**
 * Adds a seqlab `LSTM`, `GRU` or `RNN` to the graph as one ONNX recurrent node per layer (both
 * directions in one node), so the runtime's fused kernels run it. Refuses what ONNX's operators
 * cannot express: a projected LSTM (`projSize`).
 *
 * @throws {ConfigError} for a projected LSTM or a layer that is not LSTM, GRU or RNN
 */
export function addRecurrent(g: OnnxGraph, layer: Recurrent, inputs: RecurrentInputs): RecurrentValues {
  const op = 'exportOnnx';
  if (!(layer instanceof LSTM || layer instanceof GRU || layer instanceof RNN)) {
    throw new ConfigError(op, 'an LSTM, GRU or RNN', String(layer));
  }
  if (layer.projSize > 0) {
    throw new ConfigError(
      op,
      'an LSTM without projSize',
      `projSize ${layer.projSize}`,
      'ONNX’s LSTM operator has no output projection; export it without projSize, or as separate ops',
    );
  }
  const kind = opType(layer);
  const order = GATE_ORDER[kind];
  const G = order.length;
  const H = layer.hiddenSize;
  const D = layer.bidirectional ? 2 : 1;
  const params = new Map(layer.namedParameters());
  const hs: string[] = [];
  const cs: string[] = [];
  let x = inputs.input;
  let y = '';
  for (let l = 0; l < layer.numLayers; l++) {
    const inSize = l === 0 ? layer.inputSize : D * H;
    const W = new Float32Array(D * G * H * inSize);
    const R = new Float32Array(D * G * H * H);
    const B = new Float32Array(D * 2 * G * H);
    for (let d = 0; d < D; d++) {
      const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const get = (name: string) => params.get(`${name}${suffix}`) as Tensor;
      reorderGates(get('weight_ih'), order, H, W, d * G * H * inSize);
      reorderGates(get('weight_hh'), order, H, R, d * G * H * H);
      if (layer.bias) {
        reorderGates(get('bias_ih'), order, H, B, d * 2 * G * H);
        reorderGates(get('bias_hh'), order, H, B, d * 2 * G * H + G * H);
      }
    }
    const slice = (state: string | null) => {
      if (state === null) return '';
      const at = (v: number) => g.initializer('state_slice', [v], 'int64');
      return g.op('Slice', [state, at(l * D), at((l + 1) * D), at(0)]);
    };
    const attributes: Record<string, number | string | string[]> = {
      hidden_size: H,
      direction: D === 2 ? 'bidirectional' : 'forward',
    };
    if (kind === 'GRU') attributes.linear_before_reset = 1;
    if (kind === 'RNN') {
      const activation = (layer as RNN).nonlinearity === 'relu' ? 'Relu' : 'Tanh';
      attributes.activations = Array.from({ length: D }, () => activation);
    }
    const nodeInputs = [
      x,
      g.floats(`${kind}_W_l${l}`, W, [D, G * H, inSize]),
      g.floats(`${kind}_R_l${l}`, R, [D, G * H, H]),
      layer.bias ? g.floats(`${kind}_B_l${l}`, B, [D, 2 * G * H]) : '',
      inputs.sequenceLens ?? '',
      slice(inputs.h0),
    ];
    if (kind === 'LSTM') nodeInputs.push(slice(inputs.c0));
    while (nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();
    const outs = g.node(kind, nodeInputs, attributes, kind === 'LSTM' ? 3 : 2);
    y = outs[0] as string;
    hs.push(outs[1] as string);
    if (kind === 'LSTM') cs.push(outs[2] as string);
    // Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D·H], the next layer's input
    const shape = g.initializer('shape_tb', [0, 0, -1], 'int64');
    y = g.op('Reshape', [g.op('Transpose', [y], { perm: [0, 2, 1, 3] }), shape]);
    x = y;
  }
  const stack = (names: string[]) =>
    names.length === 1 ? (names[0] as string) : g.op('Concat', names, { axis: 0 });
  return { output: y, hN: stack(hs), cN: kind === 'LSTM' ? stack(cs) : null };
}
