/**
 * Bad input to the TF.js importer: every malformed or mismatched model.json or shard is a typed
 * error naming the field, weight or layer, with what was expected and what was given, raised before
 * anything the size of the weights is allocated.
 */
import { importTfjsLayersModel } from '@seqlab/interop';
import { ConfigError, DTypeError, FormatError, ShapeError, tensor } from '@seqlab/tensor';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  errorOf,
  expectSameOutput,
  inputs,
  predict,
  randomizeWeights,
  type SavedModel,
  save,
  seqlabInput,
  tf,
  useCpu,
} from '../../test/tfjs-models';

beforeAll(useCpu);

const T = 5;
const F = 4;
const sigmoid = { recurrentActivation: 'sigmoid' } as const;

/** LSTM(7) -> Dense(3), saved; layer names are TF.js's (`lstm_LSTM<n>`), so tests read them back. */
async function lstmModel(): Promise<SavedModel & { lstm: string; dense: string }> {
  const model = tf.sequential({
    layers: [tf.layers.lstm({ units: 7, ...sigmoid, inputShape: [T, F] }), tf.layers.dense({ units: 3 })],
  });
  randomizeWeights(model, 1);
  const saved = await save(model);
  model.dispose();
  const specs = saved.modelJson.weightsManifest[0].weights;
  return { ...saved, lstm: specs[0].name.split('/')[0], dense: specs[3].name.split('/')[0] };
}

/** A deep copy to edit. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const layersOf = (json: SavedModel['modelJson']) =>
  (json.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } })
    .config.layers;

describe('malformed model.json', () => {
  test('nested deeper than 128 levels: refused before JSON.parse', () => {
    const text = `{"modelTopology":${'['.repeat(5000)}${']'.repeat(5000)},"weightsManifest":[]}`;
    const error = errorOf(() => importTfjsLayersModel(text, new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(
      /^importTfjsLayersModel: expected JSON nested at most 128 deep in model.json, got more than 128/,
    );
  });

  test.each([
    ['not JSON', '{"modelTopology":', /expected JSON in model.json, got /],
    ['not an object', '[1]', /expected a JSON object in model.json, got \[1\]/],
    [
      'no modelTopology',
      '{"weightsManifest":[]}',
      /expected an object modelTopology in model.json, got undefined/,
    ],
    [
      'no weightsManifest',
      '{"modelTopology":{}}',
      /expected an array weightsManifest in model.json, got undefined/,
    ],
    [
      'a graph model',
      '{"format":"graph-model","modelTopology":{},"weightsManifest":[]}',
      /expected format "layers-model" in model.json, got "graph-model"\. A graph model/,
    ],
    [
      'bad paths',
      '{"modelTopology":{},"weightsManifest":[{"paths":[1],"weights":[]}]}',
      /expected weightsManifest\[0\]\.paths an array of file names in model.json, got \[1\]/,
    ],
    [
      'a fractional size',
      '{"modelTopology":{},"weightsManifest":[{"paths":["a"],"weights":[{"name":"d/kernel","shape":[1.5],"dtype":"float32"}]}]}',
      /expected weight "d\/kernel" with a shape of at most 8 integer sizes .*, got \[1\.5\]/,
    ],
    [
      'no class_name',
      '{"modelTopology":{"config":{}},"weightsManifest":[]}',
      /expected modelTopology a Keras model config with a class_name, got \{"config":\{\}\}/,
    ],
    [
      'no layers',
      '{"modelTopology":{"class_name":"Sequential","config":{}},"weightsManifest":[]}',
      /expected modelTopology\.config\.layers an array \(Sequential\), got undefined/,
    ],
  ])('%s: FormatError', (_name, text, message) => {
    const error = errorOf(() => importTfjsLayersModel(text, new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(message);
  });

  test('bytes that are not UTF-8', () => {
    const error = errorOf(() => importTfjsLayersModel(new Uint8Array([0x7b, 0xff, 0x7d]), new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe('importTfjsLayersModel: expected UTF-8 text in model.json, got invalid UTF-8');
  });
});

describe('weights that do not match the manifest or the layers', () => {
  test('shards shorter than the manifest: the byte counts', async () => {
    const { modelJson, weights } = await lstmModel();
    const error = errorOf(() => importTfjsLayersModel(modelJson, weights.subarray(4)));
    expect(error).toBeInstanceOf(FormatError);
    const bytes = 4 * (4 * 28 + 7 * 28 + 28 + 7 * 3 + 3);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected ${bytes} bytes of float32 weights for the weightsManifest of model.json, got ${bytes - 4} bytes`,
    );
  });

  test('a shard file of the wrong size, by path', async () => {
    const { modelJson, weights } = await lstmModel();
    const error = errorOf(() =>
      importTfjsLayersModel(modelJson, { 'weights.bin': new Uint8Array(weights.length + 8) }),
    );
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(
      /expected \d+ bytes of float32 weights in the shards of weightsManifest\[0\] \("weights.bin"\) of model.json, got \d+ bytes/,
    );
  });

  test('a shard missing from the map', async () => {
    const { modelJson, weights } = await lstmModel();
    const error = errorOf(() => importTfjsLayersModel(modelJson, { 'group1-shard1of1.bin': weights }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(
      'importTfjsLayersModel: expected the bytes of shard "weights.bin" named in model.json, got none',
    );
  });

  test('a kernel whose shape does not match units: ShapeError naming the weight, both shapes', async () => {
    const { modelJson, weights, lstm } = await lstmModel();
    const json = copy(modelJson);
    json.weightsManifest[0].weights[0].shape = [4, 24];
    const error = errorOf(() => importTfjsLayersModel(json, weights));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected weight "${lstm}/kernel" of shape [4, 28] (LSTM "${lstm}": units 7, 4 input features), got [4, 24]`,
    );
  });

  test("a Dense kernel that does not take the LSTM's output", async () => {
    const { modelJson, weights, dense } = await lstmModel();
    const json = copy(modelJson);
    json.weightsManifest[0].weights[3].shape = [3, 7];
    const error = errorOf(() => importTfjsLayersModel(json, weights));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected weight "${dense}/kernel" of shape [7, 3] (Dense "${dense}": units 3, 7 input features), got [3, 7]`,
    );
  });

  test('a weight of dtype int32: DTypeError naming it', async () => {
    const { modelJson, weights, lstm } = await lstmModel();
    const json = copy(modelJson);
    json.weightsManifest[0].weights[1].dtype = 'int32';
    const error = errorOf(() => importTfjsLayersModel(json, weights));
    expect(error).toBeInstanceOf(DTypeError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected weight "${lstm}/recurrent_kernel" of dtype float32 in model.json, got int32`,
    );
  });

  test('quantized weights', async () => {
    const { modelJson, weights } = await lstmModel();
    const json = copy(modelJson) as unknown as { weightsManifest: { weights: Record<string, unknown>[] }[] };
    json.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0, scale: 1 };
    const error = errorOf(() => importTfjsLayersModel(json, weights));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(
      /stored as plain float32 in model.json, got quantization \{"dtype":"uint8".*\. Convert without --quantize_\* options$/,
    );
  });

  test('a missing weight: named with its layer', async () => {
    const { modelJson, lstm } = await lstmModel();
    const json = copy(modelJson);
    json.weightsManifest[0].weights.splice(1, 1);
    const error = errorOf(() => importTfjsLayersModel(json, new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected weight "${lstm}/recurrent_kernel" of LSTM "${lstm}" in weightsManifest, got only "${lstm}/kernel", "${lstm}/bias"`,
    );
  });

  test('a weight of no layer, and a weight given twice', async () => {
    const { modelJson } = await lstmModel();
    const extra = copy(modelJson);
    extra.weightsManifest[0].weights.push({ name: 'conv1d/kernel', shape: [2], dtype: 'float32' });
    const error = errorOf(() => importTfjsLayersModel(extra, new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(
      'importTfjsLayersModel: expected every weight in weightsManifest to belong to a layer of the model, got "conv1d/kernel" (no layer named "conv1d")',
    );
    const twice = copy(modelJson);
    twice.weightsManifest[0].weights.push({ ...twice.weightsManifest[0].weights[0] });
    expect(errorOf(() => importTfjsLayersModel(twice, new Uint8Array(0))).message).toMatch(
      /expected unique weight names in model.json, got "lstm_LSTM\d+\/kernel" twice/,
    );
    const scoped = copy(modelJson);
    const first = scoped.weightsManifest[0].weights[0];
    scoped.weightsManifest[0].weights.push({ ...first, name: first.name.replace('/', '/lstm_cell/') });
    expect(errorOf(() => importTfjsLayersModel(scoped, new Uint8Array(0))).message).toMatch(
      /expected one weight "lstm_LSTM\d+\/kernel" in weightsManifest, got "lstm_LSTM\d+\/kernel" and "lstm_LSTM\d+\/lstm_cell\/kernel"/,
    );
  });

  test('optimizer weights (saved with includeOptimizer) take their bytes and are skipped', async () => {
    const model = tf.sequential({ layers: [tf.layers.lstm({ units: 3, ...sigmoid, inputShape: [T, F] })] });
    randomizeWeights(model, 3);
    const saved = await save(model);
    const json = copy(saved.modelJson) as unknown as {
      weightsManifest: { weights: Record<string, unknown>[] }[];
    };
    json.weightsManifest[0].weights.push(
      { name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' },
      { name: 'lstm/kernel/m', shape: [4, 12], dtype: 'float32', group: 'optimizer' },
    );
    const weights = new Uint8Array(saved.weights.length + 4 + 4 * 48);
    weights.set(saved.weights);
    const x = inputs([2, T, F], 1);
    const imported = importTfjsLayersModel(json, weights);
    expectSameOutput(imported.forward(seqlabInput(x, [2, T, F], false)), predict(model, x, [2, T, F]));
    json.weightsManifest[0].weights.push({ name: 'notes', shape: [1], dtype: 'string', group: 'optimizer' });
    const error = errorOf(() => importTfjsLayersModel(json, weights));
    expect(error).toBeInstanceOf(DTypeError);
    expect(error.message).toBe(
      'importTfjsLayersModel: expected optimizer weight "notes" of a fixed-size dtype in model.json, got string',
    );
    model.dispose();
  });

  test('names from the file are shown briefly in messages', async () => {
    const { modelJson, lstm } = await lstmModel();
    const json = copy(modelJson);
    const long = 'w'.repeat(100_000);
    for (const spec of json.weightsManifest[0].weights) spec.name = spec.name.replace(lstm, long);
    layersOf(json)[0].config.name = long;
    json.weightsManifest[0].weights.splice(0, 1);
    const error = errorOf(() => importTfjsLayersModel(json, new Uint8Array(0)));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message.length).toBeLessThan(400);
  });

  test('a model whose config implies terabytes: refused on the byte count, nothing allocated', async () => {
    const { modelJson, lstm } = await lstmModel();
    const json = copy(modelJson);
    layersOf(json)[0].config.units = 2 ** 28;
    const specs = json.weightsManifest[0].weights;
    specs[0].shape = [4, 2 ** 30];
    specs[1].shape = [2 ** 28, 2 ** 30];
    specs[2].shape = [2 ** 30];
    specs[3].shape = [2 ** 28, 3];
    const before = process.memoryUsage().arrayBuffers;
    const error = errorOf(() => importTfjsLayersModel(json, new Uint8Array(64)));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(
      /^importTfjsLayersModel: expected \d+(e\+\d+)? bytes of float32 weights for the weightsManifest of model.json, got 64 bytes$/,
    );
    expect(lstm).toBeTruthy();
  });
});

describe('layers and options with no PyTorch equivalent: ConfigError naming the layer', () => {
  const edit = async (change: (layers: ReturnType<typeof layersOf>) => void) => {
    const { modelJson, weights, lstm, dense } = await lstmModel();
    const json = copy(modelJson);
    change(layersOf(json));
    return { error: errorOf(() => importTfjsLayersModel(json, weights)), lstm, dense };
  };

  test("TF.js's default recurrent_activation, hard_sigmoid", async () => {
    const { error, lstm } = await edit((layers) => {
      layers[0].config.recurrent_activation = 'hard_sigmoid';
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected recurrent_activation "sigmoid" (torch.nn.LSTM's gates) (LSTM "${lstm}"), got "hard_sigmoid". hard_sigmoid (the default of Keras 2.x before TF2 and of TF.js) is a piecewise-linear gate with no PyTorch equivalent; retrain with recurrent_activation="sigmoid"`,
    );
  });

  test.each([
    [
      'stateful',
      { stateful: true },
      /expected stateful false \(LSTM "lstm_LSTM\d+"\), got true\. PyTorch layers start every batch from zero state/,
    ],
    ['return_state', { return_state: true }, /expected return_state false \(LSTM "lstm_LSTM\d+"\), got true/],
    ['time_major', { time_major: true }, /expected time_major false \(LSTM "lstm_LSTM\d+"\), got true/],
    [
      'activation relu',
      { activation: 'relu' },
      /expected activation "tanh" \(torch.nn.LSTM\) \(LSTM "lstm_LSTM\d+"\), got "relu"/,
    ],
    [
      'an unknown activation',
      { activation: 'swish' },
      /expected activation one of "linear", "relu", "tanh", "sigmoid", "softmax" \(LSTM "lstm_LSTM\d+"\), got "swish"/,
    ],
  ])('LSTM %s', async (_name, options, message) => {
    const { error } = await edit((layers) => Object.assign(layers[0].config, options));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
  });

  test('Dense with an activation seqlab does not compute exactly as Keras', async () => {
    const { error, dense } = await edit((layers) => {
      layers[1].config.activation = 'elu';
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `importTfjsLayersModel: expected activation one of "linear", "relu", "tanh", "sigmoid", "softmax" (Dense "${dense}"), got "elu"`,
    );
  });

  test('an unknown layer class', async () => {
    const { error } = await edit((layers) => {
      layers.splice(1, 0, { class_name: 'Conv1D', config: { name: 'conv1d_1', filters: 3 } });
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /expected a layer of class InputLayer, Embedding, SimpleRNN, LSTM, GRU \(reset_after=true\), Bidirectional, Dense, Activation or Dropout, got "Conv1D" \(layer "conv1d_1"\)$/,
    );
  });

  test('a recurrent layer after one that returns only the last step', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 3, ...sigmoid, returnSequences: true, inputShape: [T, F] }),
        tf.layers.lstm({ units: 3, ...sigmoid }),
      ],
    });
    const saved = await save(model);
    layersOf(saved.modelJson)[0].config.return_sequences = false;
    const error = errorOf(() => importTfjsLayersModel(saved.modelJson, saved.weights));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toMatch(
      /expected LSTM "lstm_LSTM\d+" to get a sequence \[B, T, F\], got a \[B, F\] input/,
    );
  });

  test('Bidirectional with merge_mode sum, or around a go_backwards layer', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, ...sigmoid }) as tf.RNN,
          inputShape: [T, F],
          mergeMode: 'sum',
        }),
      ],
    });
    const saved = await save(model);
    const error = errorOf(() => importTfjsLayersModel(saved.modelJson, saved.weights));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /expected merge_mode "concat" \(Bidirectional "bidirectional_Bidirectional\d+"\), got "sum"$/,
    );
    const layer = layersOf(saved.modelJson)[0].config as {
      merge_mode: string;
      layer: { config: Record<string, unknown> };
    };
    layer.merge_mode = 'concat';
    layer.layer.config.go_backwards = true;
    const backwards = errorOf(() => importTfjsLayersModel(saved.modelJson, saved.weights));
    expect(backwards).toBeInstanceOf(ConfigError);
    expect(backwards.message).toMatch(
      /expected go_backwards false in the layer of Bidirectional "bidirectional_Bidirectional\d+", got true/,
    );
  });

  test('a functional model that is not a chain', async () => {
    const input = tf.input({ shape: [T, F] });
    const a = tf.layers.lstm({ units: 3, ...sigmoid }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.lstm({ units: 3, ...sigmoid }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor,
    });
    const saved = await save(model);
    const error = errorOf(() => importTfjsLayersModel(saved.modelJson, saved.weights));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /expected a functional model whose layers form one chain \(layer 2 "lstm_LSTM\d+" fed by "lstm_LSTM\d+"\), got inbound nodes/,
    );
  });
});

describe('Embedding with mask_zero', () => {
  const ids = [
    [0, 0, 3, 4, 5], // padded before (Keras's pad_sequences default)
    [6, 7, 8, 0, 0], // padded after
    [9, 0, 2, 0, 11], // masked steps in between
    [0, 0, 0, 0, 0], // nothing left: the initial state
    [1, 2, 3, 4, 5],
  ];
  const flat = ids.flat();
  const shape = [ids.length, T];

  test.each([
    ['LSTM', () => tf.layers.lstm({ units: 4, ...sigmoid })],
    [
      'Bidirectional LSTM',
      () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, ...sigmoid }) as tf.RNN }),
    ],
    ['SimpleRNN', () => tf.layers.simpleRNN({ units: 4 })],
  ])('masked steps are skipped as Keras skips them: Embedding -> %s', async (_name, layer) => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputLength: T }),
        layer(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    randomizeWeights(model, 5);
    const saved = await save(model);
    const imported = importTfjsLayersModel(saved.modelJson, saved.weights);
    expectSameOutput(imported.forward(seqlabInput(flat, shape, true)), predict(model, flat, shape));
    model.dispose();
  });

  test('stacked: Embedding -> Bidirectional LSTM (sequences) -> Dropout -> Dense per step -> LSTM -> Dense', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputLength: T }),
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, ...sigmoid, returnSequences: true }) as tf.RNN,
        }),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 4, activation: 'tanh' }),
        tf.layers.lstm({ units: 4, ...sigmoid }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    randomizeWeights(model, 8);
    const saved = await save(model);
    const imported = importTfjsLayersModel(saved.modelJson, saved.weights);
    expectSameOutput(imported.forward(seqlabInput(flat, shape, true)), predict(model, flat, shape));
    const unmasked = inputs([3, T], 9, 12);
    expectSameOutput(imported.forward(seqlabInput(unmasked, [3, T], true)), predict(model, unmasked, [3, T]));
    model.dispose();
  });

  test('a last recurrent layer with return_sequences: ids without 0 give predict; id 0 is refused at forward, not silently wrong', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputLength: T }),
        tf.layers.lstm({ units: 4, ...sigmoid, returnSequences: true }),
      ],
    });
    randomizeWeights(model, 5);
    const saved = await save(model);
    const imported = importTfjsLayersModel(saved.modelJson, saved.weights);
    const unmasked = inputs([3, T], 9, 12);
    expectSameOutput(imported.forward(seqlabInput(unmasked, [3, T], true)), predict(model, unmasked, [3, T]));
    const padded = tensor(
      [
        [3, 4, 0, 0, 0],
        [1, 2, 3, 4, 5],
      ],
      { dtype: 'int32' },
    );
    const error = errorOf(() => imported.forward(padded));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^RefuseMaskedIds.forward: expected ids without 0 \(Embedding "embedding_Embedding\d+" has mask_zero=true\), got id 0 at flat position 2 of ids of shape \[2, 5\]\. Keras skips masked steps/,
    );
    model.dispose();
  });
});
