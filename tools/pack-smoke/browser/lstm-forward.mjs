// The first bundle budget (tools/pack-smoke/browser-bundle.slow.test.ts): an LSTM forward with
// @seqlab/tensor and @seqlab/layers only, ≤ 30 KB gzip. Run the same in Node, on a page and in a
// Worker; the numbers must be the same.
import { LSTM } from '@seqlab/layers';
import { arange, manualSeed, ready } from '@seqlab/tensor';

/**
 * A 2-layer bidirectional LSTM (I=8, H=16) over x [T=5, B=3, 8]; its output and final states. `wasm`:
 * the kernels' URL for `ready({ wasm })` (default: kernels.wasm beside the bundle).
 */
export async function lstmForward({ wasm } = {}) {
  const backend = await ready(wasm === undefined ? undefined : { wasm });
  manualSeed(0);
  const lstm = new LSTM({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true });
  const x = arange(0, 120).reshape([5, 3, 8]).div(60).sub(1);
  // x [T, B, I] -> output [T, B, 2H], hN and cN [L*D, B, H]
  const { output, hN, cN } = lstm.forward(x);
  return { backend, output: Array.from(output.data), hN: Array.from(hN.data), cN: Array.from(cN.data) };
}

/** What `ready('wasm')` does here: resolves, or the error it rejects with. */
export async function readyWasm() {
  try {
    return { ok: true, backend: await ready('wasm') };
  } catch (error) {
    return { ok: false, error: `${error.name}: ${error.message}` };
  }
}
