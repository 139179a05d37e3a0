import { Embedding, GRU, Linear, LSTM, Module, ReLU, RNN, Sequential } from '@seqlab/layers';
import { cat, type PackedSequence, type Tensor } from '@seqlab/tensor';
import type { ModelConfig } from './model-config';

/** A batch as the classifier reads it: packed ids for recurrent models, padded ids [B, T] for bag. */
export interface ClassifierBatch {
  packed: PackedSequence | null;
  padded: Tensor | null;
  lengths: Tensor;
}

/**
 * The article's SentimentLSTM and its variants, with the reference script's names so the state
 * dict loads into the PyTorch class unchanged: `embedding` -> `lstm` (or `gru` / `rnn`) over a
 * PackedSequence -> the last layer's final states (forward ‖ backward) -> `fc`. With model `bag`:
 * the mean of the embeddings over the real tokens -> `mlp` (Linear, ReLU, Linear), the article's
 * feed-forward baseline.
 */
export class TextClassifier extends Module {
  readonly config: ModelConfig;
  readonly embedding: Embedding;
  readonly recurrent: LSTM | GRU | RNN | null;
  readonly fc: Linear | null;
  readonly mlp: Sequential | null;

  constructor(config: ModelConfig, vocabSize: number, numClasses: number) {
    super();
    this.config = config;
    const { model, layers, hidden, embed, bidirectional, dropout } = config;
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { paddingIdx: 0 }));
    if (model === 'bag') {
      this.recurrent = null;
      this.fc = null;
      this.mlp = this.registerModule(
        'mlp',
        new Sequential(new Linear(embed, hidden), new ReLU(), new Linear(hidden, numClasses)),
      );
      return;
    }
    const options = {
      inputSize: embed,
      hiddenSize: hidden,
      numLayers: layers,
      bidirectional,
      batchFirst: true,
      dropout: layers > 1 ? dropout : 0,
    };
    this.recurrent =
      model === 'lstm'
        ? this.registerModule('lstm', new LSTM({ ...options, forgetBias: config.forgetBias }))
        : model === 'gru'
          ? this.registerModule('gru', new GRU(options))
          : this.registerModule('rnn', new RNN(options));
    this.fc = this.registerModule('fc', new Linear((bidirectional ? 2 : 1) * hidden, numClasses));
    this.mlp = null;
  }

  /** Logits [B, C]. */
  forward(batch: ClassifierBatch): Tensor {
    if (this.mlp) {
      // ids [B, T] -> mean over real tokens [B, E] -> [B, C]
      const ids = batch.padded as Tensor;
      const mask = ids.ne(0).float().unsqueeze(-1);
      const pooled = this.embedding.forward(ids).mul(mask).sum(1).div(batch.lengths.float().unsqueeze(1));
      return this.mlp.forward(pooled);
    }
    // packed ids [N] -> embeddings [N, E] -> rnn -> hN [L*D, B, H] -> last layer's [B, D*H] -> [B, C]
    const packed = batch.packed as PackedSequence;
    const embedded = packed.withData(this.embedding.forward(packed.data));
    const { hN } = (this.recurrent as LSTM).forward(embedded);
    const L = hN.shape[0];
    const features = this.config.bidirectional
      ? cat([hN.select(0, L - 2), hN.select(0, L - 1)], 1)
      : hN.select(0, L - 1);
    return (this.fc as Linear).forward(features);
  }
}

/** Gates per recurrent cell: the rows of weight_ih are gates × hidden. */
const GATES = { lstm: 4, gru: 3, rnn: 1 } as const;

/**
 * The parameter names and shapes of `new TextClassifier(config, vocabSize, numClasses)`, in its
 * order, computed without building it (a test checks the two agree for every model kind). Used to
 * check a weights file's header before a byte of the model is allocated.
 */
export function classifierShapes(
  config: ModelConfig,
  vocabSize: number,
  numClasses: number,
): Map<string, number[]> {
  const { model, layers, hidden: H, embed: E, bidirectional } = config;
  const shapes = new Map<string, number[]>([['embedding.weight', [vocabSize, E]]]);
  if (model === 'bag') {
    shapes.set('mlp.0.weight', [H, E]).set('mlp.0.bias', [H]);
    shapes.set('mlp.2.weight', [numClasses, H]).set('mlp.2.bias', [numClasses]);
    return shapes;
  }
  const D = bidirectional ? 2 : 1;
  const GH = GATES[model] * H;
  for (let layer = 0; layer < layers; layer++) {
    for (let d = 0; d < D; d++) {
      const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
      shapes.set(`${model}.weight_ih${suffix}`, [GH, layer === 0 ? E : D * H]);
      shapes.set(`${model}.weight_hh${suffix}`, [GH, H]);
      shapes.set(`${model}.bias_ih${suffix}`, [GH]);
      shapes.set(`${model}.bias_hh${suffix}`, [GH]);
    }
  }
  shapes.set('fc.weight', [numClasses, D * H]).set('fc.bias', [numClasses]);
  return shapes;
}
