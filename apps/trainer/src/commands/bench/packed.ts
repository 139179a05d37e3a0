import { packPaddedSequence } from '@seqlab/data';
import { cat, randint, type Tensor, TorchGenerator } from '@seqlab/tensor';
import { SeqClassifier, WORKLOADS, type Workload } from './workloads';

/**
 * A packed-sequence workload: a `Workload` whose sequences have lengths uniform in
 * [minLen, seq] (`seq` is the longest allowed length T), fed to the recurrent stack as a
 * `PackedSequence`. The fields are those of `WORKLOADS` in tools/bench/torch_packed.py.
 */
export interface PackedWorkload extends Workload {
  /** Shortest sequence length. */
  minLen: number;
}

/**
 * W1-packed: the W1 model (2-layer bidirectional LSTM, hidden 256) on a batch of 32 sequences of
 * lengths 5–50. `--max-len` replaces the 50 (a sweep over T shows how the packed backward grows).
 */
export const PACKED_WORKLOADS = {
  'W1-packed': { ...WORKLOADS.W1, minLen: 5 },
} as const satisfies Record<string, PackedWorkload>;

/** The packed workload names. */
export type PackedWorkloadName = keyof typeof PACKED_WORKLOADS;

/** The packed workload names, in order. */
export const PACKED_WORKLOAD_NAMES = Object.keys(PACKED_WORKLOADS) as PackedWorkloadName[];

/** The one fixed batch of a packed workload (token ids padded with 0 to T, lengths, labels). */
export interface PackedBatch {
  /** Token ids int32 [B, T] (batch first), 0 past each sequence's length. */
  tokens: Tensor;
  /** Lengths int32 [B], uniform in [minLen, T], unsorted. */
  lengths: Tensor;
  /** Labels int32 [B], uniform in [0, C). */
  labels: Tensor;
  /** Σ lengths: the tokens the batch really holds. */
  numTokens: number;
}

/**
 * torch_packed.py's `make_batch`, draw for draw: a `TorchGenerator(seed)` draws the lengths
 * (`torch.randint(minLen, T + 1, (B,))`), then the token ids (`torch.randint(0, V, (B, T))`, set to
 * 0 past each length), then the labels, so both scripts feed the same batch.
 */
export function makePackedBatch(w: PackedWorkload, seed: number): PackedBatch {
  const generator = new TorchGenerator(seed);
  const lengths = randint(w.minLen, w.seq + 1, [w.batch], { generator });
  const tokens = randint(0, w.vocab, [w.batch, w.seq], { generator });
  const labels = randint(0, w.classes, [w.batch], { generator });
  let numTokens = 0;
  for (let b = 0; b < w.batch; b++) {
    const len = lengths.data[b];
    numTokens += len;
    tokens.data.fill(0, b * w.seq + len, (b + 1) * w.seq);
  }
  return { tokens, lengths, labels, numTokens };
}

/**
 * torch_packed.py's `PackedClassifier`: `SeqClassifier`'s modules (`emb`, `rnn`, `fc`), but the
 * embedded batch is packed (`packPaddedSequence`, batchFirst, enforceSorted false) and the classifier
 * reads the last layer's final hidden states (both directions, concatenated), which packing makes the
 * state after each sequence's own last token.
 */
export class PackedClassifier extends SeqClassifier {
  readonly #bidirectional: boolean;

  constructor(w: Workload) {
    super(w);
    this.#bidirectional = w.bidirectional;
  }

  /** Logits [B, C]. */
  forwardPacked(tokens: Tensor, lengths: Tensor): Tensor {
    // tokens [B, T] -> emb [B, T, E] -> packed [Σ lengths, E] -> hN [L*D, B, H] -> [B, D*H] -> logits [B, C]
    const packed = packPaddedSequence(this.emb.forward(tokens), lengths, {
      batchFirst: true,
      enforceSorted: false,
    });
    const { hN } = this.rnn.forward(packed);
    const last = this.#bidirectional ? cat([hN.select(0, -2), hN.select(0, -1)], 1) : hN.select(0, -1);
    return this.fc.forward(last);
  }
}
