/**
 * GRU with reset_after=true: Keras's default since 2.3 and the only GRU with a PyTorch equivalent.
 * TF.js cannot build or run one (its GRUCell refuses reset_after), so the model.json is TF.js's
 * own GRU model.json with `reset_after: true` and the [2, 3H] bias Keras writes, and the expected
 * output comes from Keras's GRUCell equations (keras/layers/rnn/gru.py, reset_after branch) written
 * with TF.js ops on the Keras-layout weights:
 *
 *   x_z, x_r, x_h = split(x · kernel + bias[0])   r_z, r_r, r_h = split(h · recurrent_kernel + bias[1])
 *   z = σ(x_z + r_z)   r = σ(x_r + r_r)   hh = tanh(x_h + r ⊙ r_h)   h = z ⊙ h_prev + (1 − z) ⊙ hh
 */
import { importTfjsLayersModel } from '@seqlab/interop';
import { ConfigError } from '@seqlab/tensor';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectSameOutput, inputs, save, seqlabInput, tf, useCpu } from '../../test/tfjs-models';

beforeAll(useCpu);

const B = 3;
const T = 5;
const F = 4;
const H = 6;

interface KerasGru {
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor2D;
}

/** Keras's GRU (reset_after) over x [B, T, F]: outputs in processing order, or the last. */
function kerasGru(x: tf.Tensor3D, w: KerasGru, goBackwards: boolean, returnSequences: boolean): tf.Tensor {
  const steps = tf.unstack(x, 1) as tf.Tensor2D[];
  if (goBackwards) steps.reverse();
  let h = tf.zeros([x.shape[0], H]) as tf.Tensor2D;
  const outputs: tf.Tensor2D[] = [];
  const [bIn, bRec] = tf.unstack(w.bias, 0) as tf.Tensor1D[];
  for (const xt of steps) {
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, w.kernel), bIn), 3, 1);
    const [rz, rr, rh] = tf.split(tf.add(tf.matMul(h, w.recurrent), bRec), 3, 1);
    const z = tf.sigmoid(tf.add(xz, rz));
    const r = tf.sigmoid(tf.add(xr, rr));
    const hh = tf.tanh(tf.add(xh, tf.mul(r, rh)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
    outputs.push(h);
  }
  return returnSequences ? tf.stack(outputs, 1) : h;
}

/**
 * A TF.js GRU model saved, then turned into the model.json Keras writes for reset_after=true:
 * the flag set, every GRU bias [2, 3H], all weights redrawn from `seed`.
 */
async function resetAfterModel(model: tf.LayersModel, seed: number) {
  const saved = await save(model);
  const text = JSON.stringify(saved.modelJson).replaceAll('"reset_after":false', '"reset_after":true');
  const json = JSON.parse(text) as typeof saved.modelJson;
  const values = new Map<string, tf.Tensor>();
  const specs = json.weightsManifest[0].weights;
  for (const [i, spec] of specs.entries()) {
    if (spec.name.endsWith('/bias')) spec.shape = [2, spec.shape[0]];
    values.set(spec.name, tf.randomUniform(spec.shape, -0.5, 0.5, 'float32', seed + i));
  }
  const bytes = tf.io.concatenateArrayBuffers(
    specs.map((s) => (values.get(s.name)!.dataSync() as Float32Array).slice().buffer),
  );
  const weights = (prefix: string): KerasGru => ({
    kernel: values.get(`${prefix}/kernel`) as tf.Tensor2D,
    recurrent: values.get(`${prefix}/recurrent_kernel`) as tf.Tensor2D,
    bias: values.get(`${prefix}/bias`) as tf.Tensor2D,
  });
  return { json, bytes: new Uint8Array(bytes), weights, names: specs.map((s) => s.name) };
}

describe('GRU (reset_after=true) gives Keras GRUCell equations', () => {
  for (const [goBackwards, returnSequences] of [
    [false, false],
    [false, true],
    [true, true],
    [true, false],
  ]) {
    test(`go_backwards=${goBackwards}, return_sequences=${returnSequences}`, async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.gru({
            units: H,
            recurrentActivation: 'sigmoid',
            goBackwards,
            returnSequences,
            inputShape: [T, F],
          }),
        ],
      });
      const { json, bytes, weights, names } = await resetAfterModel(model, 7);
      const x = inputs([B, T, F], 3);
      const layer = names[0].split('/')[0];
      const expected = tf.tidy(() => {
        const y = kerasGru(tf.tensor3d(x, [B, T, F]), weights(layer), goBackwards, returnSequences);
        return { data: y.dataSync() as Float32Array, shape: y.shape };
      });
      const imported = importTfjsLayersModel(json, bytes);
      expectSameOutput(imported.forward(seqlabInput(x, [B, T, F], false)), expected);
    });
  }

  test('Bidirectional, return_sequences (the reverse direction aligned back to input order)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN,
          inputShape: [T, F],
        }),
      ],
    });
    const { json, bytes, weights, names } = await resetAfterModel(model, 11);
    const x = inputs([B, T, F], 5);
    const prefix = (dir: string) =>
      names
        .find((n) => n.includes(`/${dir}_`))!
        .split('/')
        .slice(0, 2)
        .join('/');
    const expected = tf.tidy(() => {
      const input = tf.tensor3d(x, [B, T, F]);
      const fwd = kerasGru(input, weights(prefix('forward')), false, true);
      const bwd = tf.reverse(kerasGru(input, weights(prefix('backward')), true, true), 1);
      const y = tf.concat([fwd, bwd], 2);
      return { data: y.dataSync() as Float32Array, shape: y.shape };
    });
    const imported = importTfjsLayersModel(json, bytes);
    expectSameOutput(imported.forward(seqlabInput(x, [B, T, F], false)), expected);
  });

  test("TF.js's own GRU (reset_after=false) is refused, naming the layer", async () => {
    const model = tf.sequential({
      layers: [tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', inputShape: [T, F] })],
    });
    const saved = await save(model);
    const error = (() => {
      try {
        importTfjsLayersModel(saved.modelJson, saved.weights);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(
      /^importTfjsLayersModel: expected reset_after true .*\(GRU "gru_GRU\d+"\), got false\. A GRU with reset_after=false/,
    );
  });
});
