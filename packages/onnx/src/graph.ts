import { ConfigError, type Tensor } from '@seqlab/tensor';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types of graph inputs, outputs and initializers. */
export type OnnxElementType = 'float32' | 'int32' | 'int64';

const ELEMENT: Record<OnnxElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A dimension of a graph input or output: a size, or a name for a dynamic axis (`'batch'`). */
export type OnnxDim = number | string;

/** An attribute value: ints, floats, strings and their lists (typed by their JavaScript values). */
export type OnnxAttribute = number | string | number[] | string[] | { float: number };

/** The default opset: 14, where LSTM/GRU/RNN take `layout` and every op used here is defined. */
export const DEFAULT_OPSET = 14;

/** The newest opset accepted: every op used here is unchanged from 14 to 21. */
export const MAX_OPSET = 21;

/** ONNX IR version 8 (ONNX 1.10–1.12), what opsets 14 to 17 are written with. */
const IR_VERSION = 8;

/**
 * An ONNX graph being built: inputs, constant initializers, nodes and outputs, written as a
 * `ModelProto` by `toBytes`. Names are made unique by the builder; every method returns the name
 * of the value it produced, so building reads like the forward pass it exports.
 *
 * @example
 * ```ts
 * const g = new OnnxGraph('mlp');
 * const x = g.input('x', 'float32', ['batch', 4]);
 * const w = g.initializer('w', tensor([[1, 2], [3, 4], [5, 6], [7, 8]]));
 * g.output(g.node('MatMul', [x, w]), 'y', 'float32', ['batch', 2]);
 * const bytes = g.toBytes();
 * ```
 */
export class OnnxGraph {
  readonly name: string;
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #names = new Set<string>();

  constructor(name: string) {
    this.name = name;
  }

  /** A fresh value name starting with `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, type: OnnxElementType, dims: readonly OnnxDim[]): string {
    if (this.#names.has(name)) throw new ConfigError('OnnxGraph.input', 'a new name', `'${name}' twice`);
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A float32 constant from a tensor (its values are copied), or an int64/int32 constant from numbers. */
  initializer(base: string, value: Tensor): string;
  initializer(
    base: string,
    value: readonly number[],
    type: 'int64' | 'int32',
    dims?: readonly number[],
  ): string;
  initializer(
    base: string,
    value: Tensor | readonly number[],
    type?: 'int64' | 'int32',
    dims?: readonly number[],
  ): string {
    const name = this.fresh(base);
    if (Array.isArray(value)) {
      const ints = value as readonly number[];
      const raw =
        type === 'int32'
          ? new Uint8Array(Int32Array.from(ints).buffer)
          : new Uint8Array(BigInt64Array.from(ints, (v) => BigInt(v)).buffer);
      this.#initializers.push({
        name,
        dims: [...(dims ?? [ints.length])],
        dataType: ELEMENT[type ?? 'int64'],
        rawData: raw,
      });
      return name;
    }
    const t = value as Tensor;
    const floats = Float32Array.from(t.data.subarray(0, t.numel) as ArrayLike<number>);
    this.#initializers.push({
      name,
      dims: [...t.shape],
      dataType: ELEMENT.float32,
      rawData: new Uint8Array(floats.buffer),
    });
    return name;
  }

  /** A float32 constant from raw values and a shape (weights rearranged for an ONNX operator). */
  floats(base: string, values: Float32Array, dims: readonly number[]): string {
    const name = this.fresh(base);
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: ELEMENT.float32,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /**
   * Adds a node; returns the names of its outputs (`outputs` of them, default 1). An empty string
   * among the inputs is an omitted optional input, as ONNX spells it.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, OnnxAttribute> = {},
    outputs = 1,
  ): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.#nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([key, v]) => attribute(key, v)),
    });
    return names;
  }

  /** Like `node` with one output: its name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}): string {
    return this.node(opType, inputs, attributes)[0] as string;
  }

  /** Declares `value` a graph output named `name` (an Identity node renames it). */
  output(value: string, name: string, type: OnnxElementType, dims: readonly OnnxDim[]): void {
    if (this.#names.has(name)) throw new ConfigError('OnnxGraph.output', 'a new name', `'${name}' twice`);
    this.#names.add(name);
    this.#nodes.push({
      opType: 'Identity',
      name: this.fresh('Identity_node'),
      input: [value],
      output: [name],
    });
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /**
   * The model: this graph with the given opset (14 to 21, default 14), serialized as ONNX's
   * protobuf `ModelProto`.
   *
   * @throws {ConfigError} for an opset outside [14, 21]
   */
  toBytes(options: { opset?: number; producerVersion?: string; docString?: string } = {}): Uint8Array {
    const opset = options.opset ?? DEFAULT_OPSET;
    if (!Number.isInteger(opset) || opset < DEFAULT_OPSET || opset > MAX_OPSET) {
      throw new ConfigError(
        'exportOnnx',
        `opset an integer in [${DEFAULT_OPSET}, ${MAX_OPSET}]`,
        String(opset),
      );
    }
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'seqlab',
      producerVersion: options.producerVersion ?? '',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(
  name: string,
  type: OnnxElementType,
  dims: readonly OnnxDim[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const utf8 = new TextEncoder();

function attribute(name: string, value: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new ConfigError('OnnxGraph', `attribute ${name} an integer (use { float })`, `${value}`);
    return { name, type: A.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: A.STRING, s: utf8.encode(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: A.STRINGS, strings: (value as string[]).map((v) => utf8.encode(v)) };
    }
    return { name, type: A.INTS, ints: value as number[] };
  }
  return { name, type: A.FLOAT, f: value.float };
}
