/**
 * With PyTorch's generator (`TorchGenerator`) as the global one, seqlab's layers start from the
 * weights PyTorch's start from: the same parameters, drawn in the same order and the same way.
 * The fixture is @seqlab/tensor's (tools/fixtures/gen_random.py): after torch.manual_seed(s),
 * nn.RNN / nn.GRU / nn.LSTM(16, 64, batch_first=True), then nn.Linear(64, 1), then
 * torch.randn(32, 50, 16) — the draws of ../shared/bench/reference/gradient_flow.py. It stores the
 * first and last 200 values of each tensor and its float64 sum.
 */
import { Embedding, GRU, Linear, LSTM, RNN } from '@seqlab/layers';
import { randn, setDefaultGenerator, type Tensor, TorchGenerator } from '@seqlab/tensor';
import { loadFixture } from '@seqlab/tensor/testing';
import { describe, expect, it } from 'vitest';

const fixture = loadFixture(new URL('../../tensor/fixtures/random/torch.safetensors', import.meta.url));
interface Case {
  name: string;
  seed: number;
  module?: 'rnn' | 'gru' | 'lstm';
  embedding?: [number, number, number];
}
const all = fixture.json<Case[]>('cases');
const cases = all.filter((c) => c.module);

function expectDrawn(key: string, t: Tensor, normal: boolean): void {
  const flat = t.data;
  const head = fixture.get(`${key}/head`).data;
  const tail = fixture.get(`${key}/tail`).data;
  const ends = [...flat.subarray(0, head.length), ...flat.subarray(flat.length - tail.length)];
  const want = [...head, ...tail];
  // Uniforms are bit-exact; float32 normals within a few units in the last place.
  const tolerance = (w: number) => (normal ? 1e-6 * Math.max(1, Math.abs(w)) : 0);
  for (let i = 0; i < ends.length; i++)
    expect(Math.abs(ends[i] - want[i]), `${key}[${i}]`).toBeLessThanOrEqual(tolerance(want[i]));
  let sum = 0;
  for (let i = 0; i < flat.length; i++) sum += flat[i];
  expect(sum, `${key} sum`).toBeCloseTo(fixture.get(`${key}/sum`).data[0], 4);
}

describe("layers' initial weights under TorchGenerator are PyTorch's", () => {
  it.each(cases)(
    '$module after torch.manual_seed($seed), then its head, then x',
    ({ name, seed, module }) => {
      const previous = setDefaultGenerator(new TorchGenerator(seed));
      try {
        const options = { inputSize: 16, hiddenSize: 64, batchFirst: true };
        const layer =
          module === 'lstm' ? new LSTM(options) : module === 'gru' ? new GRU(options) : new RNN(options);
        const head = new Linear(64, 1);
        const x = randn([32, 50, 16]);
        const names = [...layer.namedParameters()].map(([n]) => n);
        expect(names).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
        for (const [n, p] of layer.namedParameters()) expectDrawn(`${name}/${n}`, p, false);
        for (const [n, p] of head.namedParameters()) expectDrawn(`${name}/head.${n}`, p, false);
        expectDrawn(`${name}/x`, x, true);
      } finally {
        setDefaultGenerator(previous);
      }
    },
  );
});

it('Embedding: N(0, 1) over the whole table as nn.Embedding, the padding row zero', () => {
  const c = all.find((k) => k.embedding);
  if (!c?.embedding) throw new Error('no embedding case in the fixture');
  const [num, dim, paddingIdx] = c.embedding;
  const previous = setDefaultGenerator(new TorchGenerator(c.seed));
  try {
    const got = new Embedding(num, dim, { paddingIdx }).weight;
    const want = fixture.get(`${c.name}/weight`);
    expect(got.shape).toEqual(want.shape);
    for (let i = 0; i < want.numel; i++)
      expect(Math.abs(got.data[i] - want.data[i]), `weight[${i}]`).toBeLessThanOrEqual(
        1e-6 * Math.max(1, Math.abs(want.data[i])),
      );
    expect([...got.data.subarray(0, dim)]).toEqual(new Array(dim).fill(0));
  } finally {
    setDefaultGenerator(previous);
  }
});
