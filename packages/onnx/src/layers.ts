import { Dropout, type Embedding, Linear, type Module, ReLU, Tanh } from '@seqlab/layers';
import { ConfigError } from '@seqlab/tensor';
import type { OnnxGraph } from './graph';

/** Adds an `Embedding`: ids (int32 or int64, any shape) -> [..., E] by `Gather` on its weight. */
export function addEmbedding(g: OnnxGraph, embedding: Embedding, ids: string): string {
  return g.op('Gather', [g.initializer('embedding_weight', embedding.weight), ids], { axis: 0 });
}

/** Adds a `Linear` over the last axis of x (any rank): `MatMul` by Wᵀ, then `Add` of the bias. */
export function addLinear(g: OnnxGraph, linear: Linear, x: string): string {
  const [out, inp] = [linear.outFeatures, linear.inFeatures];
  const w = linear.weight.data;
  const wt = new Float32Array(inp * out);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) wt[i * out + o] = w[o * inp + i] as number;
  const y = g.op('MatMul', [x, g.floats('linear_weight_t', wt, [inp, out])]);
  return linear.bias ? g.op('Add', [y, g.initializer('linear_bias', linear.bias)]) : y;
}

/**
 * Adds a module that maps a tensor to a tensor elementwise or by its last axis: `Linear`, `ReLU`,
 * `Tanh`, and `Dropout` (the identity: an exported model runs in inference mode).
 *
 * @throws {ConfigError} for any other module
 */
export function addTensorModule(g: OnnxGraph, module: Module, x: string, where: string): string {
  if (module instanceof Linear) return addLinear(g, module, x);
  if (module instanceof ReLU) return g.op('Relu', [x]);
  if (module instanceof Tanh) return g.op('Tanh', [x]);
  if (module instanceof Dropout) return x;
  throw new ConfigError(
    'exportOnnx',
    `${where} to be Embedding (first), Linear, ReLU, Tanh or Dropout`,
    module.constructor.name,
    'Export recurrent layers on their own (exportOnnx(lstm)), or build the graph with OnnxGraph and addRecurrent',
  );
}
