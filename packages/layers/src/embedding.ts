import {
  assertTensor,
  ConfigError,
  checkOptions,
  DTypeError,
  embedding,
  formatShape,
  optionKeys,
  randn,
  ShapeError,
  type Tensor,
} from '@seqlab/tensor';
import { Module } from './module';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /** Index whose row is initialised to zeros and never receives a gradient (the `<pad>` token). */
  paddingIdx?: number;
}
const EMBEDDING_KEYS = /* @__PURE__ */ optionKeys<EmbeddingOptions>({ paddingIdx: true });

/**
 * A lookup table of vectors (torch.nn.Embedding): ids [*] (int32) -> vectors [*, embeddingDim].
 * Parameter: `weight` [numEmbeddings, embeddingDim], initialised N(0, 1) as PyTorch, with the
 * `paddingIdx` row zero. The forward is the tensor op `embedding`: its gradient is a scatter-add of
 * the output gradient into the rows used, none into the `paddingIdx` row.
 *
 * @example
 * ```ts
 * const embed = new Embedding(10000, 128, { paddingIdx: 0 });
 * embed.forward(tensor([[4, 9, 0]], { dtype: 'int32' })).shape; // [1, 3, 128]
 * ```
 */
export class Embedding extends Module {
  /** Rows of the table: ids run from 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** Length of each vector. */
  readonly embeddingDim: number;
  /** The row that stays zero and gets no gradient (negative values counted from the end), or null. */
  readonly paddingIdx: number | null;
  /** The table, shape [numEmbeddings, embeddingDim]. */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions('Embedding', options, EMBEDDING_KEYS);
    for (const [name, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ConfigError('Embedding', `a positive integer ${name}`, `${v}`);
    }
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new ConfigError(
          'Embedding',
          `paddingIdx in [${-numEmbeddings}, ${numEmbeddings - 1}]`,
          `${pad}`,
        );
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pad;
    const weight = randn([numEmbeddings, embeddingDim]);
    if (pad !== null) weight.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.weight = this.registerParameter('weight', weight);
  }

  /** int32 ids [*] → their rows [*, embeddingDim]; an id outside the table throws, naming it. */
  forward(ids: Tensor): Tensor {
    // ids [*] -> [*, D]
    assertTensor('Embedding.forward', ids, 'ids', 'indices');
    if (ids.dtype !== 'int32') {
      throw new DTypeError(
        'Embedding.forward',
        'int32 token ids',
        ids.dtype,
        'Create ids with { dtype: "int32" }',
      );
    }
    for (let i = 0; i < ids.numel; i++) {
      const v = ids.data[i];
      if (v < 0 || v >= this.numEmbeddings) {
        throw new ShapeError(
          'Embedding.forward',
          `ids in [0, ${this.numEmbeddings - 1}]`,
          `id ${v} in ids of shape ${formatShape(ids.shape)}`,
        );
      }
    }
    return embedding(ids, this.weight, { paddingIdx: this.paddingIdx });
  }
}
