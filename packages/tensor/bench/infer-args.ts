// The fixture of the two forward-only recurrence A/B benches (this package's infer-ab.ts, the wasm
// kernels, and @seqlab/native's bench/infer-ab.ts, the addon): the shape table (W1's two LSTM
// layers, both directions, B = 32, T = 50, H = 256, I = 128 then 512; W2's, B = 64, T = 100,
// H = 128, I = 64; an odd small one, H = 37, with a partial last vector) and one layer's
// `recurrentInferInputMany` arguments, every direction writing its columns of one shared `out`,
// as the layers make the call. Inputs are deterministic (a sine of the index), so every run and
// both builds of an A/B see the same floats. @seqlab/native imports it from here, as it imports
// recurrent-args.ts (native depends on tensor, never the reverse).
import type { RecurrentInferInputArgs } from '../src/backend/backend';

/** One benchmark shape: an LSTM layer of D directions over a padded batch. */
export interface InferShape {
  name: string;
  B: number;
  T: number;
  H: number;
  I: number;
  D: number;
}

export const INFER_SHAPES: readonly InferShape[] = [
  { name: 'W1l1', B: 32, T: 50, H: 256, I: 128, D: 2 },
  { name: 'W1l2', B: 32, T: 50, H: 256, I: 512, D: 2 },
  { name: 'W2', B: 64, T: 100, H: 128, I: 64, D: 1 },
  { name: 'odd', B: 13, T: 9, H: 37, I: 11, D: 2 },
];

/** The shapes of a comma-separated list of names, in the table's order. */
export function inferShapes(names: string): InferShape[] {
  const wanted = names.split(',');
  return INFER_SHAPES.filter((s) => wanted.includes(s.name));
}

/** n floats 0.1·sin(i·12.9898 + seed): the same on every run. */
export const fill = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i * 12.9898 + seed));

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** How the benches differ: x's row order, and whether h0 and c0 are filled or zero. */
export interface InferArgsOptions {
  /** x in batch-first row order for a one-direction layer (as W2's layer gives it). */
  xBatchFirst?: boolean;
  /** h0 and c0 filled like the weights (default), or zero (a layer without initial states). */
  zeroStates?: boolean;
}

/** One direction's call (with the `outSize` the kernels read), its final states the float32 arrays the benches compare. */
export type InferCall = RecurrentInferInputArgs & { outSize: number; hN: Float32Array; cN: Float32Array };

/** One layer's calls for `recurrentInferInputMany` (one per direction) and the `out` they share. */
export function inferArgs(
  s: InferShape,
  options: InferArgsOptions = {},
): { calls: InferCall[]; out: Float32Array } {
  const N = s.B * s.T;
  const GH = 4 * s.H;
  const x = fill(N * s.I, 1);
  const out = new Float32Array(N * s.D * s.H);
  const state = (seed: number) => (options.zeroStates ? new Float32Array(s.B * s.H) : fill(s.B * s.H, seed));
  const calls = Array.from(
    { length: s.D },
    (_, d): InferCall => ({
      cell: 'lstm',
      hidden: s.H,
      outSize: s.H,
      batch: s.B,
      batchSizes: new Int32Array(s.T).fill(s.B),
      reverse: d === 1,
      x,
      inputSize: s.I,
      wIh: fill(GH * s.I, 2 + d),
      xBiases: [fill(GH, 3 + d), fill(GH, 4 + d)],
      ...(options.xBatchFirst && s.D === 1 ? { xBatchFirst: true } : {}),
      wHh: fill(GH * s.H, 5 + d),
      bHh: null,
      h0: state(6 + d),
      c0: state(7 + d),
      out,
      outStride: s.D * s.H,
      outOffset: d * s.H,
      hN: new Float32Array(s.B * s.H),
      cN: new Float32Array(s.B * s.H),
    }),
  );
  return { calls, out };
}
