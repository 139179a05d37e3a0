import { noGrad, setDefaultGenerator, TorchGenerator, tensor } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, it } from 'vitest';
import { makePackedBatch, PACKED_WORKLOADS, PackedClassifier, type PackedWorkload } from './packed';
import { benchPackedWorkload } from './speed';
import { WORKLOADS } from './workloads';

const W1_PACKED = PACKED_WORKLOADS['W1-packed'];

// PyTorch's numbers for W1-packed (seed 0: weights from torch.manual_seed(0), batch from
// torch.Generator().manual_seed(1)), printed by tools/bench/torch_packed.py's make_batch and
// PackedClassifier (PyTorch 1.13, /usr/bin/python3, one thread):
//   torch_packed.py --threads 1 --only infer --steps 1 --warmup 0   -> "logits_sum": 0.19128
const TORCH_LENGTHS = [
  14, 6, 17, 21, 34, 46, 26, 18, 30, 15, 45, 6, 29, 22, 50, 25, 49, 20, 47, 41, 49, 50, 37, 49, 16, 33, 5, 5,
  26, 15, 5, 45,
];
const TORCH_TOKENS_ROW0 = [487, 9703, 4537, 6273, 7303, 3166, 9392, 6310];
const TORCH_LABELS = [
  0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
];
const TORCH_LOGITS_ROWS_0_2 = [
  [-0.026866503059864044, 0.03070799633860588],
  [0.01176466979086399, 0.007606104016304016],
  [0.021395107731223106, 0.02767288312315941],
];
const TORCH_LOGITS_SUM = 0.19128423929214478;

/** A W1-shaped packed workload (2-layer bidirectional LSTM), small enough for a unit test. */
const TINY: PackedWorkload = { ...W1_PACKED, vocab: 50, emb: 8, hidden: 8, batch: 6, seq: 9 };

const modelFromTorchSeed = (w: PackedWorkload, seed: number): PackedClassifier => {
  const previous = setDefaultGenerator(new TorchGenerator(seed));
  try {
    return new PackedClassifier(w);
  } finally {
    setDefaultGenerator(previous);
  }
};

describe('W1-packed', () => {
  it('is W1 on lengths 5–50', () => {
    expect(W1_PACKED).toEqual({ ...WORKLOADS.W1, minLen: 5 });
  });

  it('draws the batch torch_packed.py draws: lengths, token ids (0 past each length), labels', () => {
    const batch = makePackedBatch(W1_PACKED, 1);
    expect([...batch.lengths.data]).toEqual(TORCH_LENGTHS);
    expect([...batch.tokens.data.subarray(0, 8)]).toEqual(TORCH_TOKENS_ROW0);
    expect([...batch.labels.data]).toEqual(TORCH_LABELS);
    expect(batch.numTokens).toBe(TORCH_LENGTHS.reduce((a, b) => a + b, 0));
    for (const [b, len] of TORCH_LENGTHS.entries()) {
      const row = batch.tokens.data.subarray(b * 50, (b + 1) * 50);
      expect(row.subarray(len).every((id) => id === 0)).toBe(true);
    }
  });

  it('gives PyTorch’s logits from PyTorch’s weights on the same packed batch', () => {
    const model = modelFromTorchSeed(W1_PACKED, 0);
    model.eval();
    const { tokens, lengths } = makePackedBatch(W1_PACKED, 1);
    const logits = noGrad(() => model.forwardPacked(tokens, lengths));
    expect(logits.shape).toEqual([32, 2]);
    expectClose(logits.narrow(0, 0, 3), tensor(TORCH_LOGITS_ROWS_0_2));
    expect(logits.sum().item()).toBeCloseTo(TORCH_LOGITS_SUM, 5);
  });
});

describe('PackedClassifier', () => {
  it('reads each sequence only up to its length (the padded forward does not)', () => {
    const model = modelFromTorchSeed(TINY, 3);
    model.eval();
    const { tokens, lengths } = makePackedBatch(TINY, 4);
    expect(Math.min(...lengths.data)).toBeLessThan(TINY.seq);
    const noisy = tokens.clone();
    for (let b = 0; b < TINY.batch; b++)
      for (let t = lengths.data[b]; t < TINY.seq; t++) noisy.data[b * TINY.seq + t] = 1 + ((b + t) % 40);
    noGrad(() => {
      const packed = model.forwardPacked(tokens, lengths);
      expectClose(model.forwardPacked(noisy, lengths), packed);
      expect(model.forward(noisy).toArray()).not.toEqual(model.forward(tokens).toArray());
    });
  });

  it('trains on the packed batch: the loss falls and the counts are the real tokens', () => {
    const [train, infer] = [
      ...benchPackedWorkload('tiny', TINY, ['train', 'infer'], { steps: 6, warmup: 1, seed: 0 }),
    ];
    const tokens = makePackedBatch(TINY, 1).numTokens;
    expect(train).toMatchObject({ workload: 'tiny', mode: 'train', seq: 9, min_len: 5, tokens });
    expect(train.loss_last).toBeLessThan(train.loss_first as number);
    expect(
      Math.abs(train.tokens_per_s - tokens / (train.median_ms / 1000)) / train.tokens_per_s,
    ).toBeLessThan(1e-3);
    expect(infer).toMatchObject({ mode: 'infer', tokens });
    expect(Number.isFinite(infer.logits_sum)).toBe(true);
  });
});
