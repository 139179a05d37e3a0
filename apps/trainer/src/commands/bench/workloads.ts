import { Embedding, GRU, Linear, LSTM, Module } from '@seqlab/layers';
import type { Tensor } from '@seqlab/tensor';

/**
 * One speed workload: the model and the batch it runs on. The fields are those of `WORKLOADS` in
 * shared/bench/anchors/torch_bench.py, so a record of ours and one of PyTorch's describe the same work.
 */
export interface Workload {
  /** Vocabulary size V (token ids uniform in [0, V)). */
  vocab: number;
  /** Embedding size E. */
  emb: number;
  cell: 'lstm' | 'gru';
  /** Hidden size H. */
  hidden: number;
  /** Stacked recurrent layers L. */
  layers: number;
  bidirectional: boolean;
  /** Dropout between recurrent layers (only when L > 1), active in train mode. */
  dropout: number;
  /** Batch size B. */
  batch: number;
  /** Sequence length T (every sequence has it: the batch is padded with nothing). */
  seq: number;
  /** Classes C (labels uniform in [0, C)). */
  classes: number;
}

/**
 * The anchor workloads (shared/bench/anchors/README.md). W1 is the article's SentimentLSTM shape at
 * batch 32, length 50; W2 a small one-layer LSTM on longer sequences; W3 is W1 with GRU cells.
 * PyTorch parameter counts: W1 3,648,514, W2 739,586, W3 3,056,642.
 */
export const WORKLOADS = {
  W1: {
    vocab: 10000,
    emb: 128,
    cell: 'lstm',
    hidden: 256,
    layers: 2,
    bidirectional: true,
    dropout: 0.3,
    batch: 32,
    seq: 50,
    classes: 2,
  },
  W2: {
    vocab: 10000,
    emb: 64,
    cell: 'lstm',
    hidden: 128,
    layers: 1,
    bidirectional: false,
    dropout: 0,
    batch: 64,
    seq: 100,
    classes: 2,
  },
  W3: {
    vocab: 10000,
    emb: 128,
    cell: 'gru',
    hidden: 256,
    layers: 2,
    bidirectional: true,
    dropout: 0.3,
    batch: 32,
    seq: 50,
    classes: 2,
  },
} as const satisfies Record<string, Workload>;

/** W1, W2 or W3. */
export type WorkloadName = keyof typeof WORKLOADS;

/** The workload names in the anchors' order. */
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/**
 * torch_bench.py's `SeqClassifier`, with its attribute names (`emb`, `rnn`, `fc`) so the state dict
 * keys are the same: Embedding -> LSTM/GRU stack (batchFirst) -> output at the last time step ->
 * Linear. Every sequence of a workload has length T, so the padded batch goes in as it is (no packing).
 * For a bidirectional last layer, `output[:, -1]` is the forward direction's final state next to the
 * backward direction's state after reading only the last token, exactly as in PyTorch.
 */
export class SeqClassifier extends Module {
  readonly emb: Embedding;
  readonly rnn: LSTM | GRU;
  readonly fc: Linear;

  constructor(w: Workload) {
    super();
    this.emb = this.registerModule('emb', new Embedding(w.vocab, w.emb));
    const options = {
      inputSize: w.emb,
      hiddenSize: w.hidden,
      numLayers: w.layers,
      batchFirst: true,
      bidirectional: w.bidirectional,
      dropout: w.layers > 1 ? w.dropout : 0,
    };
    this.rnn = this.registerModule('rnn', w.cell === 'lstm' ? new LSTM(options) : new GRU(options));
    this.fc = this.registerModule('fc', new Linear(w.hidden * (w.bidirectional ? 2 : 1), w.classes));
  }

  /** Logits [B, C]. */
  forward(tokens: Tensor): Tensor {
    // tokens [B, T] -> emb [B, T, E] -> output [B, T, D*H] -> last step [B, D*H] -> logits [B, C]
    const { output } = this.rnn.forward(this.emb.forward(tokens));
    return this.fc.forward(output.select(1, -1));
  }
}
