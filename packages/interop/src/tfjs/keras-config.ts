/**
 * Reads the Keras model config of a TF.js layers model (`modelTopology`) into a list of layer specs,
 * and refuses, naming the layer, everything that has no exact PyTorch equivalent. Accepted: a
 * `Sequential` model, or a functional model (`Model`/`Functional`) whose layers form one chain,
 * of `InputLayer`, `Embedding`, `SimpleRNN`, `LSTM`, `GRU`, `Bidirectional` (of one of the three),
 * `Dense`, `Activation` and `Dropout`.
 */
import { ConfigError, FormatError, formatValue } from '@seqlab/tensor';
import { isRecord } from './model-json';

/** Elementwise activations seqlab computes exactly as Keras does. */
export type KerasActivation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax';
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'tanh', 'sigmoid', 'softmax']);

export type RecurrentClass = 'SimpleRNN' | 'LSTM' | 'GRU';

/** One Keras recurrent layer (alone or wrapped in Bidirectional). */
export interface RecurrentSpec {
  kind: 'recurrent';
  /** The Keras layer name, the first part of its weight names. */
  name: string;
  cell: RecurrentClass;
  units: number;
  useBias: boolean;
  /** SimpleRNN's activation (`tanh` or `relu`); `tanh` for LSTM and GRU. */
  activation: 'tanh' | 'relu';
  returnSequences: boolean;
  goBackwards: boolean;
  /** Set for a Bidirectional wrapper (merge_mode concat): the inner layer's name. */
  bidirectional: { inner: string } | null;
}

export type LayerSpec =
  | { kind: 'embedding'; name: string; inputDim: number; outputDim: number; maskZero: boolean }
  | { kind: 'dense'; name: string; units: number; activation: KerasActivation; useBias: boolean }
  | { kind: 'activation'; name: string; activation: KerasActivation }
  | { kind: 'dropout'; name: string }
  | RecurrentSpec;

/** The model's layers in order, and the input shape its config declares (batch dimension dropped). */
export interface KerasModel {
  layers: LayerSpec[];
  /** e.g. [T, F] or [T] (ids), with null for any size; null when the config gives none. */
  inputShape: (number | null)[] | null;
}

const SUPPORTED =
  'InputLayer, Embedding, SimpleRNN, LSTM, GRU (reset_after=true), Bidirectional, Dense, Activation or Dropout';

/**
 * @throws {FormatError} when the config is not a Keras model config
 * @throws {ConfigError} naming the layer, for a layer or an option with no PyTorch equivalent
 */
export function readKerasModel(op: string, topology: unknown): KerasModel {
  // tensorflowjs_converter wraps a Keras HDF5 model's config: { keras_version, model_config, … }.
  const model = isRecord(topology) && isRecord(topology.model_config) ? topology.model_config : topology;
  if (!isRecord(model) || typeof model.class_name !== 'string') {
    throw new FormatError(op, 'modelTopology a Keras model config with a class_name', formatValue(model));
  }
  const cls = model.class_name;
  const config = model.config;
  // Keras < 2.2 wrote a Sequential's config as the bare layer list.
  const list = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(list)) {
    throw new FormatError(op, `modelTopology.config.layers an array (${cls})`, formatValue(list));
  }
  if (cls === 'Model' || cls === 'Functional') checkChain(op, list);
  else if (cls !== 'Sequential') {
    throw new ConfigError(
      op,
      'a Sequential model or a functional model (Model, Functional) whose layers form one chain',
      `a ${formatValue(cls)} model`,
    );
  }
  const layers: LayerSpec[] = [];
  let inputShape: (number | null)[] | null = null;
  list.forEach((layer: unknown, i) => {
    const where = `layer ${i}`;
    if (!isRecord(layer) || typeof layer.class_name !== 'string' || !isRecord(layer.config)) {
      throw new FormatError(op, `${where} an object with class_name and config`, formatValue(layer));
    }
    const c = layer.config;
    const name = layerName(op, layer, where);
    if (i === 0) inputShape = batchShape(op, c, name);
    if (layer.class_name === 'InputLayer') return;
    layers.push(readLayer(op, layer.class_name, c, name));
  });
  return { layers, inputShape };
}

/** A functional model's layers must feed each other in list order: layer i's one input is layer i − 1. */
function checkChain(op: string, list: unknown[]): void {
  let previous: string | null = null;
  for (const [i, layer] of list.entries()) {
    if (!isRecord(layer)) continue; // reported with its index by the caller
    const name =
      typeof layer.name === 'string' ? layer.name : isRecord(layer.config) ? layer.config.name : null;
    const inbound = inboundLayers(layer.inbound_nodes);
    const expected = previous === null ? [] : [previous];
    if (inbound === null || inbound.length !== expected.length || inbound[0] !== expected[0]) {
      throw new ConfigError(
        op,
        `a functional model whose layers form one chain (layer ${i} ${formatValue(name)} fed by ${
          previous === null ? 'nothing' : formatValue(previous)
        })`,
        `inbound nodes ${formatValue(layer.inbound_nodes)}`,
      );
    }
    previous = typeof name === 'string' ? name : null;
  }
}

/** The layer names of Keras 2's / TF.js's `inbound_nodes` ([[["dense", 0, 0, {}]]]), or null when not that form. */
function inboundLayers(nodes: unknown): string[] | null {
  if (nodes === undefined || (Array.isArray(nodes) && nodes.length === 0)) return [];
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) return null;
  const names: string[] = [];
  for (const tensor of nodes[0] as unknown[]) {
    if (!Array.isArray(tensor) || typeof tensor[0] !== 'string') return null;
    names.push(tensor[0]);
  }
  return names;
}

function layerName(op: string, layer: Record<string, unknown>, where: string): string {
  const name = layer.config && isRecord(layer.config) ? layer.config.name : undefined;
  const value = typeof name === 'string' ? name : layer.name;
  if (typeof value !== 'string' || value === '' || value.includes('/')) {
    throw new FormatError(op, `${where} a name without "/"`, formatValue(value));
  }
  return value;
}

/** The input shape a layer config declares (`batch_input_shape`, Keras 3's `batch_shape`), batch dropped. */
function batchShape(op: string, c: Record<string, unknown>, name: string): (number | null)[] | null {
  const shape = c.batch_input_shape ?? c.batch_shape;
  if (shape === undefined || shape === null) return null;
  if (
    !Array.isArray(shape) ||
    shape.length < 2 ||
    shape.length > 3 ||
    shape.some((d) => d !== null && !(Number.isInteger(d) && d > 0 && d < 2 ** 31))
  ) {
    throw new FormatError(
      op,
      `layer ${formatValue(name)} batch_input_shape [B, T] or [B, T, F]`,
      formatValue(shape),
    );
  }
  return (shape as (number | null)[]).slice(1);
}

function readLayer(op: string, cls: string, c: Record<string, unknown>, name: string): LayerSpec {
  const o = new Options(op, cls, name, c);
  switch (cls) {
    case 'Embedding':
      return {
        kind: 'embedding',
        name,
        inputDim: o.size('input_dim'),
        outputDim: o.size('output_dim'),
        maskZero: o.flag('mask_zero', false),
      };
    case 'Dense':
      return {
        kind: 'dense',
        name,
        units: o.size('units'),
        activation: o.activation(),
        useBias: o.flag('use_bias', true),
      };
    case 'Activation':
      return { kind: 'activation', name, activation: o.activation() };
    case 'Dropout':
      // Inference only: dropout is the identity.
      return { kind: 'dropout', name };
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return readRecurrent(op, cls, c, name, null);
    case 'Bidirectional':
      return readBidirectional(op, c, name);
    default:
      throw new ConfigError(
        op,
        `a layer of class ${SUPPORTED}`,
        `${formatValue(cls)} (layer ${formatValue(name)})`,
      );
  }
}

function readBidirectional(op: string, c: Record<string, unknown>, name: string): RecurrentSpec {
  const merge = c.merge_mode ?? 'concat';
  if (merge !== 'concat') {
    throw new ConfigError(op, `merge_mode "concat" (Bidirectional ${formatValue(name)})`, formatValue(merge));
  }
  const inner = c.layer;
  if (!isRecord(inner) || typeof inner.class_name !== 'string' || !isRecord(inner.config)) {
    throw new FormatError(
      op,
      `layer of Bidirectional ${formatValue(name)} a layer config`,
      formatValue(inner),
    );
  }
  const cls = inner.class_name;
  if (cls !== 'SimpleRNN' && cls !== 'LSTM' && cls !== 'GRU') {
    throw new ConfigError(
      op,
      `Bidirectional ${formatValue(name)} of a SimpleRNN, LSTM or GRU`,
      `a ${formatValue(cls)}`,
    );
  }
  const innerName = layerName(op, inner, `the layer of Bidirectional ${formatValue(name)}`);
  const spec = readRecurrent(op, cls, inner.config, innerName, name);
  if (spec.goBackwards) {
    throw new ConfigError(
      op,
      `go_backwards false in the layer of Bidirectional ${formatValue(name)}`,
      'true (its "forward" direction would run backwards)',
    );
  }
  const backward = c.backward_layer;
  if (backward !== undefined && backward !== null) {
    // Keras writes backward_layer only for a custom one; it must be the same layer run backwards.
    if (!isRecord(backward) || backward.class_name !== cls || !isRecord(backward.config)) {
      throw new ConfigError(
        op,
        `backward_layer of Bidirectional ${formatValue(name)} a ${cls}`,
        formatValue(backward),
      );
    }
    const back = readRecurrent(op, cls, backward.config, innerName, name);
    if (
      !back.goBackwards ||
      back.units !== spec.units ||
      back.useBias !== spec.useBias ||
      back.activation !== spec.activation ||
      back.returnSequences !== spec.returnSequences
    ) {
      throw new ConfigError(
        op,
        `backward_layer of Bidirectional ${formatValue(name)} the same ${cls} with go_backwards true`,
        'a different layer',
      );
    }
  }
  return { ...spec, name, bidirectional: { inner: innerName } };
}

function readRecurrent(
  op: string,
  cls: RecurrentClass,
  c: Record<string, unknown>,
  name: string,
  wrapper: string | null,
): RecurrentSpec {
  const o = new Options(op, cls, wrapper ? `${wrapper}.${name}` : name, c);
  const units = o.size('units');
  const useBias = o.flag('use_bias', true);
  o.refuseTrue('stateful', "PyTorch layers start every batch from zero state, never from the last batch's");
  o.refuseTrue('return_state', 'The importer builds models with one output');
  o.refuseTrue('time_major', 'Save the model with batch-major input [B, T, F]');
  // unroll builds the same recurrence as a graph without a loop: same numbers, nothing to map.
  o.flag('unroll', false);
  const activation = o.activation();
  if (cls === 'SimpleRNN') {
    if (activation !== 'tanh' && activation !== 'relu') {
      o.refuse('activation', '"tanh" or "relu" (torch.nn.RNN nonlinearity)', activation);
    }
  } else {
    if (activation !== 'tanh') o.refuse('activation', `"tanh" (torch.nn.${cls})`, activation);
    const recurrent = c.recurrent_activation ?? 'sigmoid';
    if (recurrent !== 'sigmoid') {
      o.refuse(
        'recurrent_activation',
        `"sigmoid" (torch.nn.${cls}'s gates)`,
        recurrent,
        recurrent === 'hard_sigmoid'
          ? 'hard_sigmoid (the default of Keras 2.x before TF2 and of TF.js) is a piecewise-linear gate with no PyTorch equivalent; retrain with recurrent_activation="sigmoid"'
          : undefined,
      );
    }
  }
  if (cls === 'GRU' && c.reset_after !== true) {
    o.refuse(
      'reset_after',
      'true (torch.nn.GRU applies the reset gate after the recurrent matmul)',
      c.reset_after ?? 'missing (false before Keras 2.3)',
      'A GRU with reset_after=false (old Keras, TF.js) has no PyTorch equivalent',
    );
  }
  return {
    kind: 'recurrent',
    name,
    cell: cls,
    units,
    useBias,
    activation: activation as 'tanh' | 'relu',
    returnSequences: o.flag('return_sequences', false),
    goBackwards: o.flag('go_backwards', false),
    bidirectional: null,
  };
}

/** Reads options from one layer config; every error names the layer. */
class Options {
  constructor(
    readonly op: string,
    readonly cls: string,
    readonly name: string,
    readonly c: Record<string, unknown>,
  ) {}

  refuse(key: string, expected: string, got: unknown, hint?: string): never {
    throw new ConfigError(
      this.op,
      `${key} ${expected} (${this.cls} ${formatValue(this.name)})`,
      typeof got === 'string' && got.startsWith('missing') ? got : formatValue(got),
      hint,
    );
  }

  size(key: string): number {
    const v = this.c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v >= 2 ** 31) {
      throw new FormatError(
        this.op,
        `${key} a positive integer (${this.cls} ${formatValue(this.name)})`,
        formatValue(v),
      );
    }
    return v;
  }

  flag(key: string, fallback: boolean): boolean {
    const v = this.c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      throw new FormatError(
        this.op,
        `${key} true or false (${this.cls} ${formatValue(this.name)})`,
        formatValue(v),
      );
    }
    return v;
  }

  refuseTrue(key: string, hint: string): void {
    if (this.flag(key, false)) this.refuse(key, 'false', true, hint);
  }

  activation(): KerasActivation {
    const v = this.c.activation ?? 'linear';
    if (typeof v !== 'string' || !ACTIVATIONS.has(v)) {
      return this.refuse('activation', 'one of "linear", "relu", "tanh", "sigmoid", "softmax"', v);
    }
    return v as KerasActivation;
  }
}
