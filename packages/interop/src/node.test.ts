/**
 * Loading a TF.js layers model from files (`loadTfjsLayersModelFile`: a folder, a model.json path
 * or a file:// URL) and from a URL with fetch (`loadTfjsLayersModel`), including the layout
 * `tensorflowjs_converter --input_format keras` writes: the Keras config wrapped in `model_config`,
 * an InputLayer, weight names with the cell's scope (`lstm/lstm_cell/kernel`,
 * `bidirectional/forward_lstm/lstm_cell/kernel`) and weights split over several shards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importTfjsLayersModel, loadTfjsLayersModel } from '@seqlab/interop';
import { loadTfjsLayersModelFile } from '@seqlab/interop/node';
import { FileError, FormatError } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  expectSameOutput,
  inputs,
  predict,
  randomizeWeights,
  rejectionOf,
  type SavedModel,
  save,
  seqlabInput,
  tf,
  useCpu,
} from '../test/tfjs-models';

const B = 2;
const T = 6;
const V = 15;
let model: tf.LayersModel;
let saved: SavedModel;
let keras: { json: Record<string, unknown>; shards: Map<string, Uint8Array> };
let dir: string;
const ids = inputs([B, T], 4, V);
let expected: { data: Float32Array; shape: number[] };

/**
 * TF.js's save rewritten the way the Keras converter writes the same model: layer names without
 * TF.js's class suffix, the cell scope in weight names, an InputLayer, `model_config`, and the
 * weights in shards of 100 bytes (cutting through weights, as the converter's 4 MB shards do).
 */
function asKerasConverted(s: SavedModel): { json: Record<string, unknown>; shards: Map<string, Uint8Array> } {
  const rename = (text: string) => text.replace(/(embedding|bidirectional|lstm|dense)_[A-Za-z]+\d+/g, '$1');
  const topology = JSON.parse(rename(JSON.stringify(s.modelJson.modelTopology))) as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  const first = topology.config.layers[0].config;
  topology.config.layers.unshift({
    class_name: 'InputLayer',
    config: { name: 'input_1', batch_input_shape: first.batch_input_shape, dtype: 'float32', sparse: false },
  });
  delete first.batch_input_shape;
  const weights = s.modelJson.weightsManifest[0].weights.map((w) => ({
    ...w,
    name: rename(w.name)
      .replace(/^(bidirectional\/(?:forward|backward)_lstm)\//, '$1/lstm_cell/')
      .replace(/^lstm\//, 'lstm/lstm_cell/'),
  }));
  const shards = new Map<string, Uint8Array>();
  const paths: string[] = [];
  const count = Math.ceil(s.weights.length / 100);
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    paths.push(path);
    shards.set(path, s.weights.subarray(i * 100, (i + 1) * 100));
  }
  return {
    json: {
      format: 'layers-model',
      generatedBy: 'keras v2.13.1',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: { keras_version: '2.13.1', backend: 'tensorflow', model_config: topology },
      weightsManifest: [{ paths, weights }],
    },
    shards,
  };
}

beforeAll(async () => {
  await useCpu();
  model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: V, outputDim: 6, inputLength: T }),
      tf.layers.bidirectional({
        layer: tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN,
      }),
      tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  randomizeWeights(model, 42);
  saved = await save(model);
  keras = asKerasConverted(saved);
  expected = predict(model, ids, [B, T]);
  dir = mkdtempSync(join(tmpdir(), 'seqlab-tfjs-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(keras.json));
  for (const [path, bytes] of keras.shards) writeFileSync(join(dir, path), bytes);
});

afterAll(() => {
  model.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Keras converter layout', () => {
  test('has names with the cell scope and several shards', () => {
    const names = (keras.json.weightsManifest as { weights: { name: string }[] }[])[0].weights.map(
      (w) => w.name,
    );
    expect(names).toContain('bidirectional/forward_lstm/lstm_cell/kernel');
    expect(names).toContain('lstm/lstm_cell/recurrent_kernel');
    expect(keras.shards.size).toBeGreaterThan(3);
  });

  test('imports from bytes by shard path and gives predict', () => {
    const imported = importTfjsLayersModel(JSON.stringify(keras.json), keras.shards);
    expectSameOutput(imported.forward(seqlabInput(ids, [B, T], true)), expected);
  });
});

describe('loadTfjsLayersModelFile', () => {
  test.each([
    ['a folder', () => dir],
    ['a model.json path', () => join(dir, 'model.json')],
    ['a file:// URL', () => pathToFileURL(join(dir, 'model.json'))],
    ['a file:// URL string', () => pathToFileURL(dir).href],
  ])('from %s', async (_name, where) => {
    const imported = await loadTfjsLayersModelFile(where());
    expectSameOutput(imported.forward(seqlabInput(ids, [B, T], true)), expected);
  });

  test('a missing model.json or shard: FileError naming the path', async () => {
    const missing = await rejectionOf(() => loadTfjsLayersModelFile(join(dir, 'nope.json')));
    expect(missing).toBeInstanceOf(FileError);
    expect(missing.message).toContain(join(dir, 'nope.json'));
    const other = mkdtempSync(join(tmpdir(), 'seqlab-tfjs-'));
    try {
      writeFileSync(join(other, 'model.json'), JSON.stringify(keras.json));
      const error = await rejectionOf(() => loadTfjsLayersModelFile(other));
      expect(error).toBeInstanceOf(FileError);
      expect(error.message).toBe(
        `loadTfjsLayersModelFile: expected a readable weight shard, got ${join(other, 'group1-shard1of')}${keras.shards.size}.bin (ENOENT: no such file or directory)`,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a shard of the wrong size is refused before any shard is read', async () => {
    const other = mkdtempSync(join(tmpdir(), 'seqlab-tfjs-'));
    try {
      writeFileSync(join(other, 'model.json'), JSON.stringify(keras.json));
      for (const [path, bytes] of keras.shards) writeFileSync(join(other, path), bytes);
      const last = [...keras.shards.keys()].at(-1)!;
      writeFileSync(join(other, last), new Uint8Array(3));
      const error = await rejectionOf(() => loadTfjsLayersModelFile(other));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(
        /expected \d+ bytes of float32 weights in the shards of weightsManifest\[0\] \("group1-shard1of\d+\.bin", .*\) of .*model\.json, got \d+ bytes/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a shard path outside the model folder is refused', async () => {
    const other = mkdtempSync(join(tmpdir(), 'seqlab-tfjs-'));
    try {
      mkdirSync(join(other, 'web'));
      const json = JSON.parse(JSON.stringify(keras.json));
      json.weightsManifest[0].paths[0] = '../secret.bin';
      writeFileSync(join(other, 'web', 'model.json'), JSON.stringify(json));
      const error = await rejectionOf(() => loadTfjsLayersModelFile(join(other, 'web')));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(
        /expected a shard path relative to model.json, inside its folder, in .*model.json, got "..\/secret.bin"$/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('loadTfjsLayersModel (fetch)', () => {
  const base = 'https://models.example/text/model.json';
  const served = () => {
    const files = new Map<string, Uint8Array | string>([[base, JSON.stringify(keras.json)]]);
    for (const [path, bytes] of keras.shards) files.set(new URL(path, base).href, bytes);
    return files;
  };
  const fetchFrom =
    (files: Map<string, Uint8Array | string>, requested: string[] = []) =>
    async (url: string) => {
      requested.push(url);
      const body = files.get(url);
      return body === undefined
        ? new Response('not found', { status: 404 })
        : new Response(typeof body === 'string' ? body : new Blob([body.slice()]));
    };

  test('fetches model.json, then its shards beside it, and gives predict', async () => {
    const requested: string[] = [];
    const imported = await loadTfjsLayersModel(base, { fetch: fetchFrom(served(), requested) });
    expectSameOutput(imported.forward(seqlabInput(ids, [B, T], true)), expected);
    expect(requested).toEqual([base, ...[...keras.shards.keys()].map((p) => new URL(p, base).href)]);
  });

  test('a relative URL with no page to resolve it against', async () => {
    const error = await rejectionOf(() =>
      loadTfjsLayersModel('web_model/model.json', { fetch: fetchFrom(served()) }),
    );
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(
      'loadTfjsLayersModel: expected an absolute URL of model.json (or one relative to the page), got "web_model/model.json"',
    );
  });

  test('a missing shard: FormatError with the status', async () => {
    const files = served();
    const first = new URL([...keras.shards.keys()][0], base).href;
    files.delete(first);
    const error = await rejectionOf(() => loadTfjsLayersModel(base, { fetch: fetchFrom(files) }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toBe(`loadTfjsLayersModel: expected an OK response for ${first}, got status 404`);
  });

  test('a bad model.json fetches no shard', async () => {
    const files = served();
    files.set(
      base,
      '{"modelTopology":{"class_name":"Sequential","config":{"layers":[{"class_name":"Conv2D","config":{"name":"c"}}]}},"weightsManifest":[]}',
    );
    const requested: string[] = [];
    const error = await rejectionOf(() => loadTfjsLayersModel(base, { fetch: fetchFrom(files, requested) }));
    expect(error.message).toMatch(/got "Conv2D" \(layer "c"\)$/);
    expect(requested).toEqual([base]);
  });
});
