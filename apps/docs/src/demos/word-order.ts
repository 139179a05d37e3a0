/**
 * Guide 1's demo: the mean-of-embeddings baseline cannot tell "the cat sat on the mat" from "the
 * mat sat on the cat", and an LSTM reading the same embeddings can. Plain TypeScript on the public
 * packages, so the page's Vue component only draws what this returns and the test checks it.
 */
import { Vocab, WordTokenizer } from '@seqlab/data';
import { Embedding, LSTM } from '@seqlab/layers';
import { manualSeed, noGrad, type Tensor, tensor } from '@seqlab/tensor';

/** Options of `compareWordOrder`. */
export interface WordOrderOptions {
  /** Embedding size E (and the LSTM's hidden size H). */
  dim?: number;
  /** Seed for the embedding table and the LSTM's weights (both untrained). */
  seed?: number;
}

/** What one model makes of one sentence. */
export interface SentenceVector {
  tokens: string[];
  /** The sentence's representation: the mean embedding [E], or the LSTM's final h_T [H]. */
  vector: number[];
}

/** One model's representations of the two sentences, and how far apart they are. */
export interface ModelComparison {
  a: SentenceVector;
  b: SentenceVector;
  /** max_k |a_k − b_k|: 0 (up to float rounding) when the model cannot tell the sentences apart. */
  maxAbsDiff: number;
}

/** What `compareWordOrder` returns. */
export interface WordOrderResult {
  /** True when one sentence's tokens are a reordering of the other's (same multiset). */
  sameWords: boolean;
  /** mean_t E[x_t]: the order-blind baseline. */
  mean: ModelComparison;
  /** h_T of an LSTM over E[x_1] … E[x_T]: it reads the tokens in order. */
  lstm: ModelComparison;
}

const maxAbsDiff = (a: readonly number[], b: readonly number[]) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * Encodes both sentences with one vocabulary, embeds them with one (untrained, seeded) embedding
 * table and compares two sentence representations: the mean of the embeddings, and the final
 * hidden state of an LSTM reading the embeddings in order. Nothing is trained: the point is what
 * each representation can possibly distinguish, before any learning.
 *
 * @example
 * ```ts
 * const r = compareWordOrder('the cat sat on the mat', 'the mat sat on the cat');
 * r.mean.maxAbsDiff; // 0: the same vector, so no classifier on top can tell them apart
 * r.lstm.maxAbsDiff; // > 0.01
 * ```
 */
// #region compare
export function compareWordOrder(
  sentenceA: string,
  sentenceB: string,
  options: WordOrderOptions = {},
): WordOrderResult {
  const { dim = 8, seed = 0 } = options;
  const tokenizer = new WordTokenizer();
  const tokensA = tokenizer.tokenize(sentenceA);
  const tokensB = tokenizer.tokenize(sentenceB);
  const vocab = Vocab.build([tokensA, tokensB]);
  manualSeed(seed);
  const embed = new Embedding(vocab.size, dim);
  const lstm = new LSTM({ inputSize: dim, hiddenSize: dim });
  return noGrad(() => {
    const represent = (tokens: string[]) => {
      // ids [T] -> embeddings [T, E] (an unbatched sequence, as PyTorch's nn.LSTM accepts)
      const x = embed.forward(tensor(vocab.encode(tokens), { dtype: 'int32' }));
      const mean: SentenceVector = { tokens, vector: Array.from(x.mean(0).data) };
      // x [T, E] -> hN [1, H]
      const hN: Tensor = lstm.forward(x).hN;
      return { mean, lstm: { tokens, vector: Array.from(hN.data) } };
    };
    const a = represent(tokensA);
    const b = represent(tokensB);
    const sorted = (tokens: string[]) => [...tokens].sort().join('\u0000');
    return {
      sameWords: sorted(tokensA) === sorted(tokensB),
      mean: { a: a.mean, b: b.mean, maxAbsDiff: maxAbsDiff(a.mean.vector, b.mean.vector) },
      lstm: { a: a.lstm, b: b.lstm, maxAbsDiff: maxAbsDiff(a.lstm.vector, b.lstm.vector) },
    };
  });
}
// #endregion compare
