// The forward-only path of `recurrentLayer`, for backends with the optional `recurrentInferMany` /
// `recurrentInferInputMany` kernels (the native one). Exported from @seqlab/tensor/backend, not
// the main entry: a backend opts in with its `layerInference` hook, so a browser bundle (js and
// wasm backends, which have neither kernel) never carries it.
import { isGradEnabled } from '../autograd/grad-mode';
import type {
  Backend,
  LayerInferenceOptions,
  RecurrentInferArgs,
  RecurrentInferInputArgs,
} from '../backend/backend';
import { ShapeError } from '../errors';
import { releaseStorage, takeStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';
import {
  batchFirstOutputs,
  projectLayer,
  type RecurrentLayerInputs,
  type RecurrentLayerOutputs,
  type RecurrentSequenceOutputs,
} from './recurrent';
import { checkInputs } from './recurrent-direction';

/**
 * `recurrentLayer` forward-only on `kernels`' `recurrentInferInputMany` (every direction given as
 * `input`: the projection fused into the recurrence) or `recurrentInferMany` (after `linear`),
 * when no direction needs a gradient, recorded gates, a trace or a projection (W_hr) and every
 * tensor is float32; else null, and `recurrentLayer` runs `recurrentSequences`. What a backend's
 * `layerInference` hook calls: `layerInference(list, options) { return inferRecurrentLayer(this, list, options); }`.
 * Nothing is saved for a backward; each direction writes straight into its columns of `out` (each
 * direction's own `out` is a view of them, made when read).
 */
export function inferRecurrentLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  { xBatchFirst, outBatchFirst }: LayerInferenceOptions,
): RecurrentLayerOutputs | null {
  const inferable = list.map((i) => {
    const projection = i.input ? [i.input.x, i.input.wIh, ...i.input.biases] : [i.xProj];
    const tensors = [...projection, i.wHh, i.bHh, i.h0, i.c0];
    if (i.recordGates || i.trace || i.wHr || tensors.some((t) => t && t.dtype !== 'float32')) return false;
    return !isGradEnabled() || !tensors.some((t) => t?.requiresGrad);
  });
  if (list.length === 0 || inferable.includes(false)) return null;
  if (kernels.recurrentInferInputMany && list.every((i) => i.input))
    return inferLayer(kernels, list, true, xBatchFirst, outBatchFirst);
  if (!kernels.recurrentInferMany) return null;
  const result = inferLayer(kernels, projectLayer(list, xBatchFirst), false);
  return outBatchFirst ? batchFirstOutputs([result.out], result.directions, list) : result;
}

/**
 * The forward-only kernels: `recurrentInferInputMany` on each direction's input (`fused`), or
 * `recurrentInferMany` on its xProj. Each direction writes its columns of one [N, D·O] out.
 */
function inferLayer(
  kernels: Backend,
  list: readonly RecurrentLayerInputs[],
  fused: boolean,
  xBatchFirst = false,
  outBatchFirst = false,
): RecurrentLayerOutputs {
  const sizes = list.map(checkInputs);
  const { N, O } = sizes[0];
  for (const s of sizes) {
    if (s.N !== N || s.O !== O)
      throw new ShapeError(
        'recurrentLayer',
        `every direction with N=${N} rows of ${O} features`,
        `${s.N} of ${s.O}`,
      );
  }
  const D = list.length;
  // Every element is written by the kernel (each direction its O columns of every row).
  const out = new Tensor(takeStorage('float32', N * D * O), [N, D * O], 'float32');
  const f32 = (t: Tensor | null | undefined) => (t ? (t.data as Float32Array) : null);
  const finals = list.map((i, d) => {
    const { H, B } = sizes[d];
    const hN = empty([B, O], 'float32');
    const cN = i.cell === 'lstm' ? empty([B, H], 'float32') : null;
    const x = f32(i.xProj) as Float32Array;
    const { input } = i;
    const args = {
      cell: i.cell,
      hidden: H,
      batch: B,
      batchSizes: i.batchSizes,
      reverse: i.reverse,
      ...(fused && input
        ? {
            x: input.x.data as Float32Array,
            inputSize: input.x.shape[1],
            wIh: input.wIh.data as Float32Array,
            xBiases: input.biases.map((b) => b.data as Float32Array),
            ...(xBatchFirst ? { xBatchFirst } : {}),
            ...(outBatchFirst ? { outBatchFirst } : {}),
          }
        : { xProj: i.overwriteXProj ? x : x.slice() }),
      wHh: i.wHh.data as Float32Array,
      bHh: f32(i.bHh),
      h0: i.h0.data as Float32Array,
      c0: f32(i.c0),
      out: out.data as Float32Array,
      outStride: D * O,
      outOffset: d * O,
      hN: hN.data as Float32Array,
      cN: f32(cN),
    };
    return { args, hN, cN };
  });
  const all = finals.map((f) => f.args);
  if (fused) kernels.recurrentInferInputMany?.(all as RecurrentInferInputArgs[]);
  else kernels.recurrentInferMany?.(all as RecurrentInferArgs[]);
  // A direction's own out is a copy of its columns, made only when someone reads it.
  const directions = finals.map(
    ({ hN, cN }, d): RecurrentSequenceOutputs => ({
      get out() {
        return D === 1 ? out : out.narrow(1, d * O, O);
      },
      hN,
      cN,
      gates: null,
      cells: null,
    }),
  );
  return { out, directions, release: () => releaseStorage(out.data as Float32Array) };
}
