/**
 * Guide 9: weights between PyTorch and seqlab, both ways, through safetensors. seqlab's state-dict
 * keys are PyTorch's (`weight_ih_l0`, `bias_hh_l1_reverse`, …) and its layouts are PyTorch's, so
 * a state dict saved by one loads into the other with strict key matching.
 *
 * - `fromPyTorch`: a 2-layer bidirectional LSTM's state dict written by PyTorch 1.13
 *   (`packages/layers/fixtures/recurrent/lstm.safetensors`, from `tools/fixtures/gen_rnn.py`) loads
 *   into `new LSTM(...)` and gives PyTorch's final states on PyTorch's packed input.
 * - `toPyTorch`: a seqlab LSTM's state dict, an input and seqlab's output saved to one file;
 *   `pytorch-interop.py` loads it into `torch.nn.LSTM` (strict) and compares.
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/pytorch-interop.ts OUT.safetensors`,
 * then `/usr/bin/python3 apps/docs/examples/pytorch-interop.py OUT.safetensors`.
 */
import { readFileSync } from 'node:fs';
import { LSTM } from '@seqlab/layers';
import { loadSafetensors, manualSeed, noGrad, packPaddedSequence, randn, type Tensor } from '@seqlab/tensor';
import { saveSafetensorsFile } from '@seqlab/tensor/node';

const FIXTURE = new URL('../../../packages/layers/fixtures/recurrent/lstm.safetensors', import.meta.url);

/** Largest |a − b| over two tensors of one shape. */
export const maxAbsDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item();

// #region from-pytorch
/** PyTorch → seqlab: loads PyTorch's weights, runs PyTorch's input, returns the largest difference in hN. */
export function fromPyTorch(): number {
  const { tensors } = loadSafetensors(new Uint8Array(readFileSync(FIXTURE)));
  const name = 'lstm_2layer_bi_packed_batch_first';
  const get = (key: string) => tensors.get(`${name}/${key}`) as Tensor;
  // torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), its state_dict()
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true });
  const stateDict = new Map(
    [...tensors]
      .filter(([k]) => k.startsWith(`${name}/param/`))
      .map(([k, v]) => [k.slice(name.length + 7), v]),
  );
  lstm.loadStateDict(stateDict); // strict: every key present, no key left over, every shape equal
  const packed = packPaddedSequence(get('input'), get('lengths'), { batchFirst: true, enforceSorted: false });
  const { hN } = noGrad(() => lstm.forward(packed));
  return maxAbsDiff(hN, get('h_n')); // PyTorch's h_n [4, B, 4]
}
// #endregion from-pytorch

// #region to-pytorch
/** seqlab → PyTorch: writes a seqlab LSTM's state dict with an input and seqlab's output. */
export async function toPyTorch(path: string): Promise<void> {
  manualSeed(0);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, batchFirst: true });
  const input = randn([2, 6, 3]); // [B, T, I]
  const { output } = noGrad(() => lstm.forward(input));
  await saveSafetensorsFile(path, new Map([...lstm.stateDict(), ['input', input], ['output', output]]));
}
// #endregion to-pytorch

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`PyTorch → seqlab: max |hN − h_n| = ${fromPyTorch().toExponential(2)}`);
  const out = process.argv[2] ?? 'from-seqlab.safetensors';
  await toPyTorch(out);
  console.log(
    `seqlab → PyTorch: wrote ${out}; check it with /usr/bin/python3 apps/docs/examples/pytorch-interop.py ${out}`,
  );
}
