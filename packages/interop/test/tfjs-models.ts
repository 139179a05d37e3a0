/**
 * Test helpers: small TF.js layers models built with @tensorflow/tfjs on its pure-JS cpu backend,
 * given seeded random weights, saved to bytes with `tf.io.withSaveHandler` (what `model.save`
 * writes to model.json and weights.bin), and run with `predict`.
 */
import { type Tensor, tensor } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import * as tf from '@tensorflow/tfjs';

export { tf };

/** The cpu backend (tfjs-node is never used: it downloads a native library). */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** model.json as TF.js writes it for `file://`, and the weights (one shard, `weights.bin`). */
export interface SavedModel {
  modelJson: {
    format: string;
    generatedBy: string;
    convertedBy: string | null;
    modelTopology: Record<string, unknown>;
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  weights: Uint8Array;
}

/** Replaces every weight with U(−0.5, 0.5) drawn from `seed` (biases too, so they are tested). */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const weights = model.getWeights();
  model.setWeights(weights.map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed + i)));
}

export async function save(model: tf.LayersModel): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  const data = a.weightData!;
  const weights = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
  return {
    modelJson: {
      format: a.format ?? 'layers-model',
      generatedBy: a.generatedBy ?? '',
      convertedBy: a.convertedBy ?? null,
      modelTopology: a.modelTopology as Record<string, unknown>,
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: a.weightSpecs as SavedModel['modelJson']['weightsManifest'][0]['weights'],
        },
      ],
    },
    weights,
  };
}

/** Seeded inputs: floats in [−1, 1) of `shape`, or ids in [1, vocab) when `vocab` is given. */
export function inputs(shape: number[], seed: number, vocab?: number): number[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => (vocab ? 1 + Math.floor(next() * (vocab - 1)) : next() * 2 - 1));
}

/** TF.js's `predict` on `values` of `shape`, as a flat array and shape. */
export function predict(
  model: tf.LayersModel,
  values: number[],
  shape: number[],
): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(values, shape)) as tf.Tensor;
    return { data: y.dataSync() as Float32Array, shape: y.shape };
  });
}

/** seqlab's input: int32 ids or float32 values. */
export function seqlabInput(values: number[], shape: number[], ids: boolean): Tensor {
  return ids
    ? tensor(Int32Array.from(values), { shape, dtype: 'int32' })
    : tensor(Float32Array.from(values), { shape });
}

/**
 * Asserts seqlab's output equals TF.js's within 1e-5 absolute: float32 sums taken in a different
 * order differ by a few ulps, and the recurrence carries them through T steps.
 */
export function expectSameOutput(actual: Tensor, expected: { data: Float32Array; shape: number[] }): void {
  expectClose(actual, tensor(expected.data, { shape: expected.shape }), { atol: 1e-5, rtol: 0 });
}

/** The error `run` throws (the test fails when it throws none). */
export function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, got none');
}

/** The same, for a promise. */
export async function rejectionOf(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got none');
}
