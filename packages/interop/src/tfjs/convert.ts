/**
 * From Keras layer specs and manifest weights to a seqlab Sequential, in two steps:
 *
 * 1. `planModel` (no allocation): gives every layer its input size (from the model's input shape,
 *    the previous layer, or the first kernel), finds each weight it needs in the manifest by name,
 *    and checks the manifest's shape against the one the layer config implies. Every manifest
 *    weight must belong to a layer.
 * 2. `buildModel`: builds the seqlab layers without random init and loads the weights, turned
 *    from Keras's layout into PyTorch's.
 *
 * NOTE(keras-layout): Keras keeps `kernel` [I, G·H] and `recurrent_kernel` [H, G·H] with the G gates
 * as column blocks, where PyTorch keeps `weight_ih` [G·H, I] and `weight_hh` [G·H, H] with gates as
 * row blocks: transpose, and reorder the blocks where the gate orders differ. LSTM: Keras i, f, c, o
 * = PyTorch i, f, g, o (same order). GRU: Keras z, r, h → PyTorch r, z, n (swap the first two).
 * Keras has one bias [G·H] (the input's); PyTorch adds two, so `bias_ih` takes it and `bias_hh` is
 * zero, except a GRU with reset_after, whose bias [2, 3H] holds both (row 0 input, row 1 recurrent).
 * Dense's kernel [I, U] is Linear's weight [U, I] transposed.
 */
import {
  Dropout,
  Embedding,
  GRU,
  Linear,
  LSTM,
  type Module,
  RNN,
  Sequential,
  skipInit,
  type TensorModule,
} from '@seqlab/layers';
import { FormatError, formatShape, formatValue, ShapeError, type Tensor, tensor } from '@seqlab/tensor';
import { KerasActivationModule, KerasRecurrent, RefuseMaskedIds } from './glue';
import type { KerasModel, LayerSpec, RecurrentSpec } from './keras-config';
import { KerasMaskedStack } from './masked-stack';
import type { WeightSpec } from './model-json';

/** A weight a layer needs: its role (`kernel`, `forward/bias`, …) and its manifest entry. */
interface NeededWeight {
  role: string;
  spec: WeightSpec;
}

/** One layer with its input size and weights, checked against the manifest. */
export interface PlannedLayer {
  layer: LayerSpec;
  /** Features per step of its input (for an Embedding: the vocabulary). */
  inputSize: number;
  weights: Map<string, WeightSpec>;
}

/** Gate blocks per cell, and which Keras block each PyTorch block comes from (see NOTE(keras-layout)). */
const GATE_ORDER: Record<RecurrentSpec['cell'], number[]> = {
  SimpleRNN: [0],
  LSTM: [0, 1, 2, 3],
  GRU: [1, 0, 2],
};

/**
 * Checks the model's weights against its layers.
 *
 * @throws {FormatError} for a weight missing, given twice or belonging to no layer
 * @throws {ShapeError} naming the weight, with the expected and the given shape
 */
export function planModel(op: string, model: KerasModel, manifest: Map<string, WeightSpec>): PlannedLayer[] {
  const byLayer = groupByLayer(op, manifest);
  const plan: PlannedLayer[] = [];
  const declared = model.inputShape;
  // Features of what flows into the next layer, and whether it is still a sequence [B, T, ·].
  let features: number | null = declared && declared.length === 2 ? declared[1] : null;
  let sequence = declared === null || declared.length === 2;
  model.layers.forEach((layer, index) => {
    const found = byLayer.get(layer.name) ?? new Map<string, WeightSpec>();
    byLayer.delete(layer.name);
    const present = listNames([...found.values()]);
    const what = `${layer.kind === 'recurrent' ? (layer.bidirectional ? `Bidirectional(${layer.cell})` : layer.cell) : kindName(layer)} ${formatValue(layer.name)}`;
    const take = (role: string): WeightSpec => {
      const spec = found.get(role);
      if (!spec) {
        throw new FormatError(
          op,
          `weight ${formatValue(`${layer.name}/${role}`)} of ${what} in weightsManifest`,
          present ? `only ${present}` : 'no weight of that layer',
        );
      }
      found.delete(role);
      return spec;
    };
    const expectShape = (w: NeededWeight, shape: number[], why: string) => {
      if (w.spec.shape.length !== shape.length || w.spec.shape.some((d, i) => d !== shape[i])) {
        throw new ShapeError(
          op,
          `weight ${formatValue(w.spec.name)} of shape ${formatShape(shape)} (${what}: ${why})`,
          formatShape(w.spec.shape),
        );
      }
    };
    const weights = new Map<string, WeightSpec>();
    let inputSize = features ?? 0;
    switch (layer.kind) {
      case 'embedding': {
        if (index !== 0) {
          throw new FormatError(op, `${what} as the first layer (it reads token ids)`, `layer ${index}`);
        }
        const w = { role: 'embeddings', spec: take('embeddings') };
        expectShape(
          w,
          [layer.inputDim, layer.outputDim],
          `input_dim ${layer.inputDim}, output_dim ${layer.outputDim}`,
        );
        weights.set(w.role, w.spec);
        inputSize = layer.inputDim;
        features = layer.outputDim;
        sequence = true;
        break;
      }
      case 'dense': {
        const kernel = { role: 'kernel', spec: take('kernel') };
        inputSize = features ?? firstDim(op, kernel.spec);
        expectShape(kernel, [inputSize, layer.units], `units ${layer.units}, ${inputSize} input features`);
        weights.set('kernel', kernel.spec);
        if (layer.useBias) {
          const bias = { role: 'bias', spec: take('bias') };
          expectShape(bias, [layer.units], `units ${layer.units}`);
          weights.set('bias', bias.spec);
        }
        features = layer.units;
        break;
      }
      case 'recurrent': {
        if (!sequence) {
          throw new ShapeError(
            op,
            `${what} to get a sequence [B, T, F]`,
            'a [B, F] input (the layer before it has return_sequences=false)',
          );
        }
        const H = layer.units;
        const G = GATE_ORDER[layer.cell].length;
        const directions = layer.bidirectional ? ['forward/', 'backward/'] : [''];
        for (const dir of directions) {
          const kernel = { role: `${dir}kernel`, spec: take(`${dir}kernel`) };
          inputSize = features ?? firstDim(op, kernel.spec);
          const why = `units ${H}, ${inputSize} input features`;
          expectShape(kernel, [inputSize, G * H], why);
          const recurrent = { role: `${dir}recurrent_kernel`, spec: take(`${dir}recurrent_kernel`) };
          expectShape(recurrent, [H, G * H], why);
          weights.set(kernel.role, kernel.spec).set(recurrent.role, recurrent.spec);
          if (layer.useBias) {
            const bias = { role: `${dir}bias`, spec: take(`${dir}bias`) };
            expectShape(
              bias,
              layer.cell === 'GRU' ? [2, G * H] : [G * H],
              layer.cell === 'GRU' ? `units ${H}, reset_after` : `units ${H}`,
            );
            weights.set(bias.role, bias.spec);
          }
        }
        features = directions.length * H;
        sequence = layer.returnSequences;
        break;
      }
      case 'activation':
      case 'dropout':
        break;
    }
    if (found.size) {
      throw new FormatError(
        op,
        `only the weights of ${what} under ${formatValue(`${layer.name}/`)}`,
        `also ${listNames([...found.values()])}`,
      );
    }
    plan.push({ layer, inputSize, weights });
  });
  for (const [name, rest] of byLayer) {
    const first = rest.values().next().value as WeightSpec;
    throw new FormatError(
      op,
      'every weight in weightsManifest to belong to a layer of the model',
      `${formatValue(first.name)} (no layer named ${formatValue(name)})`,
    );
  }
  return plan;
}

/** Weight names for a message: each shown briefly, at most 5 of them. */
function listNames(weights: WeightSpec[]): string {
  const shown = weights.slice(0, 5).map((w) => formatValue(w.name));
  return weights.length > 5 ? `${shown.join(', ')} and ${weights.length - 5} more` : shown.join(', ');
}

function kindName(layer: LayerSpec): string {
  return {
    embedding: 'Embedding',
    dense: 'Dense',
    activation: 'Activation',
    dropout: 'Dropout',
    recurrent: '',
  }[layer.kind];
}

/** A kernel's first size, when nothing before it says how many features reach the layer. */
function firstDim(op: string, spec: WeightSpec): number {
  const d = spec.shape[0];
  if (spec.shape.length !== 2 || !(d > 0)) {
    throw new ShapeError(
      op,
      `weight ${formatValue(spec.name)} of shape [I, ·] with I > 0`,
      formatShape(spec.shape),
    );
  }
  return d;
}

/**
 * Manifest weights by layer name and role. Names are `<layer>/<weight>` (TF.js), with Keras's cell
 * scope in between (`lstm/lstm_cell/kernel`), and for Bidirectional `<layer>/forward_<inner>/…` and
 * `<layer>/backward_<inner>/…`; the role is the last part, prefixed by `forward/` or `backward/`.
 */
function groupByLayer(op: string, manifest: Map<string, WeightSpec>): Map<string, Map<string, WeightSpec>> {
  const groups = new Map<string, Map<string, WeightSpec>>();
  for (const spec of manifest.values()) {
    const parts = spec.name.split('/');
    const layer = parts[0];
    let role = parts[parts.length - 1];
    if (parts.length > 2 && /^(forward|backward)_/.test(parts[1])) role = `${parts[1].split('_')[0]}/${role}`;
    const group = groups.get(layer) ?? new Map<string, WeightSpec>();
    groups.set(layer, group);
    const other = group.get(role);
    if (other) {
      throw new FormatError(
        op,
        `one weight ${formatValue(`${layer}/${role}`)} in weightsManifest`,
        `${formatValue(other.name)} and ${formatValue(spec.name)}`,
      );
    }
    group.set(role, spec);
  }
  return groups;
}

/** Reads one weight's float32 values (a fresh array) once the manifest has been checked against the shards. */
export type ReadWeight = (spec: WeightSpec) => Float32Array;

/**
 * Builds the seqlab Sequential of a checked plan (see NOTE(keras-layout)), with batch-first
 * recurrent layers, in eval mode.
 */
export function buildModel(plan: PlannedLayer[], read: ReadWeight): Sequential {
  let modules: TensorModule[] = [];
  // modules.length after each planned layer (a Dense may add an activation module).
  const ends: number[] = [];
  for (const { layer, inputSize, weights } of plan) {
    const w = (role: string) => weights.get(role)!;
    switch (layer.kind) {
      case 'embedding': {
        const embedding = skipInit(() => new Embedding(layer.inputDim, layer.outputDim));
        embedding.loadStateDict(
          new Map([['weight', tensor(read(w('embeddings')), { shape: [layer.inputDim, layer.outputDim] })]]),
        );
        modules.push(embedding);
        break;
      }
      case 'dense': {
        const linear = skipInit(() => new Linear(inputSize, layer.units, { bias: layer.useBias }));
        const state = new Map<string, Tensor>([
          ['weight', toTorch(read(w('kernel')), inputSize, layer.units, [0])],
        ]);
        if (layer.useBias) state.set('bias', tensor(read(w('bias'))));
        linear.loadStateDict(state);
        modules.push(linear);
        if (layer.activation !== 'linear') modules.push(new KerasActivationModule(layer.activation));
        break;
      }
      case 'activation':
        modules.push(new KerasActivationModule(layer.activation));
        break;
      case 'dropout':
        modules.push(new Dropout(0));
        break;
      case 'recurrent':
        modules.push(buildRecurrent(layer, inputSize, w, read));
        break;
    }
    ends.push(modules.length);
  }
  modules = applyMask(plan, modules, ends);
  const model = new Sequential(...modules);
  return model.eval();
}

/**
 * An Embedding with mask_zero followed by recurrent layers: run them with Keras's masking
 * (KerasMaskedStack) when the last recurrent layer returns its last output and none reads
 * backwards; otherwise refuse id 0 at forward (RefuseMaskedIds), where Keras's outputs at masked
 * steps follow conventions that differ between Keras and TF.js.
 */
function applyMask(plan: PlannedLayer[], modules: TensorModule[], ends: number[]): TensorModule[] {
  const first = plan[0]?.layer;
  if (first?.kind !== 'embedding' || !first.maskZero) return modules;
  const recurrent = plan.flatMap((p, i) => (p.layer.kind === 'recurrent' ? [{ layer: p.layer, i }] : []));
  if (recurrent.length === 0) return modules; // Dense and Activation ignore the mask
  const last = recurrent[recurrent.length - 1];
  if (last.layer.returnSequences || recurrent.some((r) => r.layer.goBackwards)) {
    return [new RefuseMaskedIds(first.name), ...modules];
  }
  const stack = new KerasMaskedStack(modules[0] as Embedding, modules.slice(1, ends[last.i]));
  return [stack, ...modules.slice(ends[last.i])];
}

function buildRecurrent(
  layer: RecurrentSpec,
  inputSize: number,
  w: (role: string) => WeightSpec,
  read: ReadWeight,
): Module & TensorModule {
  const H = layer.units;
  const order = GATE_ORDER[layer.cell];
  const options = {
    inputSize,
    hiddenSize: H,
    bias: layer.useBias,
    batchFirst: true,
    bidirectional: layer.bidirectional !== null,
  };
  const rnn = skipInit(() =>
    layer.cell === 'LSTM'
      ? new LSTM(options)
      : layer.cell === 'GRU'
        ? new GRU(options)
        : new RNN({ ...options, nonlinearity: layer.activation }),
  );
  const state = new Map<string, Tensor>();
  const directions = layer.bidirectional
    ? [
        ['forward/', ''],
        ['backward/', '_reverse'],
      ]
    : [['', '']];
  for (const [dir, suffix] of directions) {
    state.set(`weight_ih_l0${suffix}`, toTorch(read(w(`${dir}kernel`)), inputSize, H, order));
    state.set(`weight_hh_l0${suffix}`, toTorch(read(w(`${dir}recurrent_kernel`)), H, H, order));
    if (!layer.useBias) continue;
    const bias = read(w(`${dir}bias`));
    const GH = order.length * H;
    if (layer.cell === 'GRU') {
      state.set(`bias_ih_l0${suffix}`, toTorch(bias.subarray(0, GH), 1, H, order).reshape([GH]));
      state.set(`bias_hh_l0${suffix}`, toTorch(bias.subarray(GH), 1, H, order).reshape([GH]));
    } else {
      state.set(`bias_ih_l0${suffix}`, tensor(bias));
      state.set(`bias_hh_l0${suffix}`, tensor(new Float32Array(GH)));
    }
  }
  rnn.loadStateDict(state);
  return new KerasRecurrent(rnn, { returnSequences: layer.returnSequences, goBackwards: layer.goBackwards });
}

/**
 * A Keras kernel [I, G·H] (gate blocks as columns) as PyTorch's weight [G·H, I]: PyTorch block g is
 * Keras block order[g], transposed (see NOTE(keras-layout)).
 */
function toTorch(kernel: Float32Array, I: number, H: number, order: number[]): Tensor {
  const G = order.length;
  const out = new Float32Array(G * H * I);
  for (let g = 0; g < G; g++) {
    const from = order[g] * H;
    for (let j = 0; j < H; j++) {
      const row = (g * H + j) * I;
      for (let i = 0; i < I; i++) out[row + i] = kernel[i * G * H + from + j];
    }
  }
  return tensor(out, { shape: [G * H, I] });
}
