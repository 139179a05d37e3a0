import type { FloatStorage } from '../../dtype';
import type { Backend, RecurrentInferArgs, RecurrentInferInputArgs } from '../backend';
import { jsBackend, RECURRENT_GATES } from './js-parts';
import type { WasmModule } from './module';
import { packedSize, startLayout } from './recurrent';

// The forward-only recurrence in wasm (infer.c): `recurrentInferMany` and, with the input
// projection made in wasm too, `recurrentInferInputMany`, one call per sequence and direction.
// What inference saves over `linear` + `recurrentForward`: xProj is never copied out of the module
// and back in (the projection, its bias adds and the recurrence run on it in place), and none of
// the forward's saved buffers (gates, hPrev, cells, cPrev) is written or copied out. The same bits
// as that path (infer.c). Float64 arguments (gradcheck-style work) run the js kernels.

type InferArgs = RecurrentInferArgs | RecurrentInferInputArgs;

const isF32 = (s: FloatStorage | null | undefined) => s == null || s instanceof Float32Array;
const allFloat32 = (a: InferArgs) =>
  isF32(a.wHh) &&
  isF32(a.bHh) &&
  isF32(a.h0) &&
  isF32(a.c0) &&
  isF32(a.out) &&
  isF32(a.hN) &&
  isF32(a.cN) &&
  ('xProj' in a ? isF32(a.xProj) : isF32(a.x) && isF32(a.wIh) && a.xBiases.every(isF32));

export function makeWasmInfer(
  wasm: WasmModule,
): Required<Pick<Backend, 'recurrentInferMany' | 'recurrentInferInputMany'>> {
  function run(a: InferArgs): void {
    const { cell, hidden: H, batch: B, batchSizes } = a;
    const GH = RECURRENT_GATES[cell] * H;
    const T = batchSizes.length;
    const N = batchSizes.reduce((s, b) => s + b, 0);
    const gru = cell === 'gru';
    const input = 'xProj' in a ? null : a;
    const I = input ? input.inputSize : 0;
    const L = startLayout(wasm, { cell, H, O: H, B, T, N, reverse: a.reverse });
    L.place('w_hh', GH * H);
    L.place('w_hh_packed', packedSize(H, GH));
    L.place('b_hh', a.bHh ? GH : null);
    L.place('x_proj', gru ? N * GH : null);
    L.place('gates', N * GH);
    L.place('h', B * H);
    L.place('c', cell === 'lstm' ? B * H : null);
    L.place('hh', gru ? B * GH : null);
    L.place('hh_n', gru ? N * H : null);
    L.place('out', N * H);
    const x = input ? L.extra(N * I) : 0;
    const wIh = input ? L.extra(GH * I) : 0;
    const wIhPacked = input ? L.extra(packedSize(I, GH)) : 0;
    const biases = input ? input.xBiases.slice(0, 2).map(() => L.extra(GH)) : [];
    const args = L.commit();
    const heap = wasm.heap();
    wasm.heapInt().set(batchSizes, L.at('batch_sizes'));
    heap.set(a.wHh, L.at('w_hh'));
    if (a.bHh) heap.set(a.bHh, L.at('b_hh'));
    heap.set(a.h0, L.at('h'));
    if (a.c0 && cell === 'lstm') heap.set(a.c0, L.at('c'));
    if (input) {
      if (input.xBatchFirst) {
        for (let t = 0; t < T; t++)
          for (let j = 0; j < B; j++) {
            const from = (j * T + t) * I;
            heap.set(input.x.subarray(from, from + I), x + (t * B + j) * I);
          }
      } else {
        heap.set(input.x.subarray(0, N * I), x);
      }
      heap.set(input.wIh, wIh);
      for (let i = 0; i < biases.length; i++) heap.set(input.xBiases[i], biases[i]);
    } else {
      heap.set((a as RecurrentInferArgs).xProj.subarray(0, N * GH), L.at(gru ? 'x_proj' : 'gates'));
    }
    wasm.exports.recurrent_infer(
      args,
      I,
      x * 4,
      wIh * 4,
      wIhPacked * 4,
      (biases[0] ?? 0) * 4,
      (biases[1] ?? 0) * 4,
    );
    writeOut(a, heap, L.at('out'));
    a.hN.set(heap.subarray(L.at('h'), L.at('h') + B * H));
    if (a.cN && cell === 'lstm') a.cN.set(heap.subarray(L.at('c'), L.at('c') + B * H));
  }

  return {
    recurrentInferMany(list) {
      for (const a of list) {
        if (allFloat32(a)) run(a);
        else inferWithJs(a);
      }
    },
    recurrentInferInputMany(list) {
      for (const a of list) {
        // More than two biases (no layer has them): the js path.
        if (allFloat32(a) && a.xBiases.length <= 2) run(a);
        else inferWithJs(a);
      }
    },
  };
}

/** Time-major rows [N, H] of `from` (at `at`) into `a.out`'s columns, in its row order. */
function writeOut(a: InferArgs, from: FloatStorage, at: number): void {
  const { hidden: H, batchSizes, out, outStride, outOffset } = a;
  const T = batchSizes.length;
  const outBatchFirst = 'xProj' in a ? false : a.outBatchFirst;
  let r = 0;
  if (outStride === H && outOffset === 0 && !outBatchFirst) {
    for (const bs of batchSizes) r += bs;
    out.set(from.subarray(at, at + r * H));
    return;
  }
  for (let t = 0; t < T; t++)
    for (let j = 0; j < batchSizes[t]; j++, r++) {
      const to = outOffset + (outBatchFirst ? j * T + t : r) * outStride;
      out.set(from.subarray(at + r * H, at + (r + 1) * H), to);
    }
}

/**
 * The js kernels' way, for float64 arguments: xProj made as `linear` makes it (time-major rows),
 * the js forward into scratch saved buffers, then out written into its place.
 */
function inferWithJs(a: InferArgs): void {
  const { hidden: H, cell, batch: B, batchSizes } = a;
  const T = batchSizes.length;
  const N = batchSizes.reduce((s, b) => s + b, 0);
  const GH = RECURRENT_GATES[cell] * H;
  const F = (n: number): FloatStorage =>
    a.out instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  let xProj: FloatStorage;
  if ('xProj' in a) {
    xProj = a.xProj;
  } else {
    const I = a.inputSize;
    let x = a.x;
    if (a.xBatchFirst) {
      x = F(N * I);
      for (let t = 0; t < T; t++)
        for (let j = 0; j < B; j++) {
          const from = (j * T + t) * I;
          x.set(a.x.subarray(from, from + I), (t * B + j) * I);
        }
    }
    xProj = F(N * GH);
    jsBackend.gemm(false, true, N, GH, I, x, 0, a.wIh, 0, xProj, 0, false);
    for (const b of a.xBiases)
      for (let r = 0; r < N; r++) for (let j = 0; j < GH; j++) xProj[r * GH + j] += b[j];
  }
  const out = F(N * H);
  jsBackend.recurrentForward({
    cell,
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes,
    reverse: a.reverse,
    xProj,
    wHh: a.wHh,
    wHr: null,
    bHh: a.bHh,
    h0: a.h0,
    c0: a.c0,
    out,
    hN: a.hN,
    cN: a.cN,
    gates: F(N * GH),
    hPrev: F(N * H),
    cells: cell === 'lstm' ? F(N * H) : null,
    cPrev: cell === 'lstm' ? F(N * H) : null,
    hFull: null,
    hhN: cell === 'gru' ? F(N * H) : null,
  });
  writeOut(a, out, 0);
}
