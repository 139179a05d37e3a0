// The wasm backend's forward-only path (infer.c, infer.ts) through its `layerInference` hook:
// out, hN and cN bit for bit what the recording path (`linear` + `recurrentForward`, the hook
// declining) gives on the same backend, for LSTM, GRU and RNN layers, one and two directions,
// padded (time-major and batch-first) and packed. The kernels against the reference:
// conformance.test.ts (recurrentInferMany, recurrentInferInputMany).
import {
  Generator,
  getBackend,
  noGrad,
  type RecurrentCell,
  type RecurrentLayerInputs,
  randn,
  recurrentLayer,
  setBackend,
} from '@seqlab/tensor';
import { backend, inferRecurrentLayer, RECURRENT_GATES } from '@seqlab/tensor/backend';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { setWasmLayerInference, wasmLayerInference } from './layer-inference';

const initial = getBackend().name;
const initialHook = wasmLayerInference();
beforeEach(() => setBackend('wasm'));
afterEach(() => {
  setWasmLayerInference(initialHook);
  setBackend(initial);
});

/** A layer's directions: H = 13 (a partial last vector), I = 6, biases as the layers give them. */
function layer(cell: RecurrentCell, D: number, batchSizes: Int32Array, batchFirst: boolean) {
  const gen = new Generator(7);
  const t = (shape: number[]) => randn(shape, { generator: gen }).mul(0.4).detach();
  const H = 13;
  const GH = RECURRENT_GATES[cell] * H;
  const B = batchSizes[0];
  const N = batchSizes.reduce((s, b) => s + b, 0);
  const x = t([N, 6]);
  const list: RecurrentLayerInputs[] = Array.from({ length: D }, (_, d) => ({
    cell,
    input: { x, wIh: t([GH, 6]), biases: cell === 'gru' ? [t([GH])] : [t([GH]), t([GH])], batchFirst },
    wHh: t([GH, H]),
    bHh: cell === 'gru' ? t([GH]) : null,
    wHr: null,
    h0: t([B, H]),
    c0: cell === 'lstm' ? t([B, H]) : null,
    batchSizes,
    reverse: d === 1,
  }));
  return list;
}

const bits = (x: { data: ArrayLike<number> }) =>
  Array.from(new Uint32Array(Float32Array.from(x.data).buffer));

const CASES = (['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const).flatMap((cell) =>
  [1, 2].flatMap((D) => [
    { cell, D, packed: false, batchFirst: false },
    { cell, D, packed: false, batchFirst: true },
    { cell, D, packed: true, batchFirst: false },
  ]),
);

test.each(CASES)(
  '$cell D=$D packed=$packed batchFirst=$batchFirst: the same bits as the recording path',
  ({ cell, D, packed, batchFirst }) => {
    const sizes = packed ? Int32Array.of(4, 3, 3, 1, 1) : Int32Array.of(4, 4, 4, 4, 4);
    let asked = 0;
    setWasmLayerInference((kernels, list, options) => {
      asked++;
      return inferRecurrentLayer(kernels, list, options);
    });
    expect(backend().name).toBe('wasm');
    const got = noGrad(() => recurrentLayer(layer(cell, D, sizes, batchFirst), { batchFirst }));
    expect(asked).toBe(1);
    expect(got.directions[0].gates).toBeNull(); // the forward-only path saves nothing
    setWasmLayerInference(() => null);
    const want = noGrad(() => recurrentLayer(layer(cell, D, sizes, batchFirst), { batchFirst }));
    expect(bits(got.out)).toEqual(bits(want.out));
    for (let d = 0; d < D; d++) {
      expect(bits(got.directions[d].hN)).toEqual(bits(want.directions[d].hN));
      if (cell === 'lstm') expect(bits(got.directions[d].cN!)).toEqual(bits(want.directions[d].cN!));
    }
  },
);
