import { Embedding, GRU, Linear, LSTM, type Module, RNN, Sequential } from '@seqlab/layers';
import { ConfigError } from '@seqlab/tensor';
import { type OnnxDim, OnnxGraph } from './graph';
import { addEmbedding, addTensorModule } from './layers';
import { addRecurrent } from './recurrent';

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** ONNX opset, 14 (default) to 21. */
  opset?: number;
  /** Recurrent layers: a `sequence_lens` input (int32 [batch]) for variable-length batches. Default true. */
  lengths?: boolean;
  /** Recurrent layers: `h0` (and LSTM `c0`) inputs, [L·D, batch, H]. Default false (zeros). */
  initialState?: boolean;
  /** Ids of an `Embedding` input: int64 (default, what tokenizers in Python give) or int32. */
  idsType?: 'int64' | 'int32';
}

/**
 * Writes an ONNX model (protobuf bytes) of a seqlab module for inference: its dropout off, its
 * weights copied in. Exported, with dynamic batch and sequence axes:
 *
 * - `LSTM`, `GRU`, `RNN` (stacked, bidirectional, with or without bias, batch-first or not) as
 *   ONNX's own recurrent operators, one node per layer: inputs `input` ([T, B, I], or [B, T, I]
 *   with batchFirst), `sequence_lens` (int32 [B]; outputs are zero past each length, as after
 *   `padPackedSequence`), optionally `h0`/`c0`; outputs `output`, `h_n` (and `c_n`), PyTorch's shapes.
 *   A projected LSTM (`projSize`) is refused: ONNX's LSTM has no projection.
 * - `Embedding`, `Linear`, `ReLU`, `Tanh`, `Dropout` and a `Sequential` of them (an `Embedding`
 *   only first): input `input` (ids [batch, sequence] after an Embedding, else [batch, features]),
 *   output `output`.
 *
 * @throws {ConfigError} for a module or option ONNX cannot express here, naming it
 *
 * @example
 * ```ts
 * const bytes = exportOnnx(new LSTM({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, batchFirst: true }));
 * await writeFile('lstm.onnx', bytes);   // then: new ort.InferenceSession('lstm.onnx')
 * ```
 */
export function exportOnnx(module: Module, options: ExportOnnxOptions = {}): Uint8Array {
  const g = new OnnxGraph(module.constructor.name);
  if (module instanceof LSTM || module instanceof GRU || module instanceof RNN) {
    exportRecurrent(g, module, options);
  } else {
    exportChain(g, module instanceof Sequential ? [...module.layers] : [module], options);
  }
  return g.toBytes(options.opset === undefined ? {} : { opset: options.opset });
}

function exportRecurrent(g: OnnxGraph, layer: LSTM | GRU | RNN, options: ExportOnnxOptions): void {
  const D = layer.bidirectional ? 2 : 1;
  const H = layer.hiddenSize;
  const LD = layer.numLayers * D;
  const steps: OnnxDim[] = layer.batchFirst ? ['batch', 'sequence'] : ['sequence', 'batch'];
  let input = g.input('input', 'float32', [...steps, layer.inputSize]);
  if (layer.batchFirst) input = g.op('Transpose', [input], { perm: [1, 0, 2] });
  const lens = (options.lengths ?? true) ? g.input('sequence_lens', 'int32', ['batch']) : null;
  const initial = options.initialState ?? false;
  const h0 = initial ? g.input('h0', 'float32', [LD, 'batch', H]) : null;
  const c0 = initial && layer instanceof LSTM ? g.input('c0', 'float32', [LD, 'batch', H]) : null;
  const values = addRecurrent(g, layer, { input, sequenceLens: lens, h0, c0 });
  const output = layer.batchFirst ? g.op('Transpose', [values.output], { perm: [1, 0, 2] }) : values.output;
  g.output(output, 'output', 'float32', [...steps, D * H]);
  g.output(values.hN, 'h_n', 'float32', [LD, 'batch', H]);
  if (values.cN) g.output(values.cN, 'c_n', 'float32', [LD, 'batch', H]);
}

function exportChain(g: OnnxGraph, modules: Module[], options: ExportOnnxOptions): void {
  if (modules.length === 0)
    throw new ConfigError('exportOnnx', 'a module with at least one layer', 'an empty Sequential');
  let x: string;
  let dims: OnnxDim[];
  const [first, ...rest] = modules;
  if (first instanceof Embedding) {
    const ids = g.input('input', options.idsType ?? 'int64', ['batch', 'sequence']);
    x = addEmbedding(g, first, ids);
    dims = ['batch', 'sequence', first.embeddingDim];
  } else {
    const features = firstFeatures(modules);
    x = g.input('input', 'float32', ['batch', features]);
    dims = ['batch', features];
    rest.unshift(first as Module);
  }
  rest.forEach((m) => {
    if (m instanceof Embedding) {
      throw new ConfigError(
        'exportOnnx',
        'an Embedding only as the first layer',
        `an Embedding at position ${modules.indexOf(m)}`,
      );
    }
    x = addTensorModule(g, m, x, `layer ${modules.indexOf(m)}`);
    if (m instanceof Linear) dims = [...dims.slice(0, -1), m.outFeatures];
  });
  g.output(x, 'output', 'float32', dims);
}

/** The input width of a chain that does not start with an Embedding: its first Linear's. */
function firstFeatures(modules: Module[]): number | string {
  const linear = modules.find((m) => m instanceof Linear) as Linear | undefined;
  return linear ? linear.inFeatures : 'features';
}
