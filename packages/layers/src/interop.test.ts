/**
 * State dicts move between seqlab and PyTorch through safetensors.
 *
 * seqlab -> PyTorch: `from-seqlab.safetensors` holds a seqlab LSTM's state dict (PyTorch names),
 * an input and seqlab's output and final states. `/usr/bin/python3 tools/fixtures/gen_rnn.py
 * --check-seqlab packages/layers/fixtures/recurrent/from-seqlab.safetensors` loads it into
 * torch.nn.LSTM with strict=True and checks PyTorch reproduces the outputs (run by a developer;
 * regenerate the file with SEQLAB_UPDATE_FIXTURES=1). Here we check the file still matches what
 * seqlab computes from it.
 *
 * PyTorch -> seqlab is what every golden test does: the fixtures' state dicts, written by PyTorch,
 * load into seqlab modules that then reproduce PyTorch's outputs (recurrent.golden.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LSTM } from '@seqlab/layers';
import { loadSafetensors, manualSeed, randn, saveSafetensors, type Tensor } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { expect, test } from 'vitest';

const file = new URL('../fixtures/recurrent/from-seqlab.safetensors', import.meta.url);
const options = {
  inputSize: 3,
  hiddenSize: 5,
  numLayers: 2,
  bidirectional: true,
  batchFirst: true,
  projSize: 2,
};

test('a seqlab LSTM state dict in safetensors round-trips with its outputs (and loads into PyTorch)', () => {
  if (process.env.SEQLAB_UPDATE_FIXTURES) {
    manualSeed(123);
    const lstm = new LSTM(options);
    const input = randn([2, 4, 3]);
    const { output, hN, cN } = lstm.forward(input);
    const tensors = new Map<string, Tensor>([
      ...lstm.stateDict(),
      ['input', input],
      ['output', output],
      ['h_n', hN],
      ['c_n', cN],
    ]);
    writeFileSync(
      file,
      saveSafetensors(tensors, {
        metadata: {
          module: 'LSTM',
          options: JSON.stringify(options),
          generator: 'packages/layers/src/interop.test.ts',
        },
      }),
    );
  }
  const { tensors, metadata } = loadSafetensors(new Uint8Array(readFileSync(file)));
  expect(JSON.parse(metadata.options)).toEqual(options);
  const lstm = new LSTM(options);
  const params = new Map([...tensors].filter(([name]) => !['input', 'output', 'h_n', 'c_n'].includes(name)));
  lstm.loadStateDict(params); // strict: exactly PyTorch's keys
  const { output, hN, cN } = lstm.forward(tensors.get('input')!);
  expectClose(output, tensors.get('output')!);
  expectClose(hN, tensors.get('h_n')!);
  expectClose(cN, tensors.get('c_n')!);
});
