/**
 * The strongest SST-2 baseline of the reference script (../shared/bench/reference/train_reference.py,
 * `--models tfidf`), written with the seqlab packages: TF-IDF over unigrams and bigrams (sublinear tf,
 * features seen in at least 2 training texts, smooth idf, rows scaled to unit length, as
 * scikit-learn's `TfidfVectorizer(sublinear_tf=True, min_df=2)`) and an L2-regularised logistic
 * regression (scikit-learn's objective, C·Σ log-loss + ½‖w‖², bias not penalised), trained full-batch
 * with Adam on a sparse input: each text is its feature ids and TF-IDF values, and the weight vector
 * is looked up with the `embedding` op. C is picked on the valid split, as the reference does.
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/tfidf-baseline.ts [DATASET_DIR]`
 * (DATASET_DIR defaults to ../shared/datasets/sentiment, beside the repository).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bceWithLogits } from '@seqlab/layers';
import { Adam } from '@seqlab/optim';
import { embedding, noGrad, type Tensor, tensor, zeros } from '@seqlab/tensor';

/** A labelled text (label 0 or 1). */
export interface LabelledText {
  text: string;
  label: number;
}

/** The reference's tokens: lowercase, `[a-z0-9']+`, the first 50. */
export function referenceTokens(text: string, maxLen = 50): string[] {
  return (text.toLowerCase().match(/[a-z0-9']+/g) ?? []).slice(0, maxLen);
}

/** Unigrams and bigrams of a token list, as the reference's analyzer. */
function features(tokens: readonly string[]): string[] {
  const out = [...tokens];
  for (let i = 0; i + 1 < tokens.length; i++) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

/** A fitted TF-IDF vectorizer: feature ids start at 1 (0 pads a row). */
export class TfidfVectorizer {
  readonly ids = new Map<string, number>();
  readonly idf: number[] = [0];

  constructor(texts: readonly string[], minDf = 2) {
    const df = new Map<string, number>();
    for (const text of texts)
      for (const f of new Set(features(referenceTokens(text)))) df.set(f, (df.get(f) ?? 0) + 1);
    // Sorted, as scikit-learn numbers its vocabulary; smooth idf = ln((1 + n) / (1 + df)) + 1.
    for (const f of [...df.keys()].filter((k) => (df.get(k) as number) >= minDf).sort()) {
      this.ids.set(f, this.idf.length);
      this.idf.push(Math.log((1 + texts.length) / (1 + (df.get(f) as number))) + 1);
    }
  }

  /** Number of features (without the padding id 0). */
  get size(): number {
    return this.idf.length - 1;
  }

  /** Texts → feature ids [B, K] and values [B, K], padded with id 0 and value 0. */
  transform(texts: readonly string[]): { ids: Tensor; values: Tensor } {
    const rows = texts.map((text) => {
      const tf = new Map<number, number>();
      for (const f of features(referenceTokens(text))) {
        const id = this.ids.get(f);
        if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
      }
      const entries = [...tf].map(([id, n]) => [id, (1 + Math.log(n)) * this.idf[id]] as const);
      const norm = Math.sqrt(entries.reduce((s, [, v]) => s + v * v, 0)) || 1;
      return entries.map(([id, v]) => [id, v / norm] as const);
    });
    const K = Math.max(1, ...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * K);
    const values = new Float32Array(rows.length * K);
    for (const [b, row] of rows.entries()) {
      for (const [k, [id, v]] of row.entries()) {
        ids[b * K + k] = id;
        values[b * K + k] = v;
      }
    }
    return {
      ids: tensor(ids, { shape: [rows.length, K], dtype: 'int32' }),
      values: tensor(values, { shape: [rows.length, K] }),
    };
  }
}

/** A logistic regression on TF-IDF rows: P(label 1) = σ(Σ_k w[id_k]·value_k + b). */
export class SparseLogisticRegression {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(features: number) {
    this.weight = zeros([features + 1, 1], { requiresGrad: true });
    this.bias = zeros([1], { requiresGrad: true });
  }

  /** Logits [B] of rows given as ids [B, K] and values [B, K]. */
  logits(ids: Tensor, values: Tensor): Tensor {
    // ids [B, K] -> w [B, K, 1] -> [B, K] · values -> Σ_k -> [B]
    return embedding(ids, this.weight, { paddingIdx: 0 }).squeeze(-1).mul(values).sum(1).add(this.bias);
  }

  /**
   * Minimises (1/N)·Σ log-loss + ‖w‖² / (2·C·N), scikit-learn's objective divided by C·N (same
   * minimum), with full-batch Adam.
   */
  fit(ids: Tensor, values: Tensor, labels: Tensor, C: number, steps = 300, lr = 0.1): void {
    const optimizer = new Adam([this.weight, this.bias], { lr });
    const N = labels.shape[0];
    for (let step = 0; step < steps; step++) {
      const loss = bceWithLogits(this.logits(ids, values), labels).add(
        this.weight
          .mul(this.weight)
          .sum()
          .mul(1 / (2 * C * N)),
      );
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
  }

  /** Accuracy of the predictions (logit > 0 → label 1). */
  accuracy(ids: Tensor, values: Tensor, labels: readonly number[]): number {
    const logits = noGrad(() => this.logits(ids, values)).data;
    return labels.filter((y, i) => Number(logits[i] > 0) === y).length / labels.length;
  }
}

/** One C of the sweep. */
export interface TfidfResult {
  C: number;
  validAccuracy: number;
}

/** Fits the vectorizer on `train`, one logistic regression per C, and scores each on `valid`. */
export function tfidfBaseline(
  train: readonly LabelledText[],
  valid: readonly LabelledText[],
  Cs: readonly number[] = [0.25, 1, 4, 16, 64],
): { features: number; results: TfidfResult[] } {
  const vectorizer = new TfidfVectorizer(train.map((x) => x.text));
  const xtr = vectorizer.transform(train.map((x) => x.text));
  const xva = vectorizer.transform(valid.map((x) => x.text));
  const ytr = tensor(train.map((x) => x.label));
  const results = Cs.map((C) => {
    const model = new SparseLogisticRegression(vectorizer.size);
    model.fit(xtr.ids, xtr.values, ytr, C);
    return {
      C,
      validAccuracy: model.accuracy(
        xva.ids,
        xva.values,
        valid.map((x) => x.label),
      ),
    };
  });
  return { features: vectorizer.size, results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const dir =
    process.argv[2] ?? fileURLToPath(new URL('../../../../shared/datasets/sentiment', import.meta.url));
  if (!existsSync(`${dir}/train.jsonl`)) {
    console.error(`tfidf-baseline: ${dir}/train.jsonl not found; pass the sentiment dataset folder`);
    process.exit(1);
  }
  const read = (name: string): LabelledText[] =>
    readFileSync(`${dir}/${name}`, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LabelledText);
  const start = performance.now();
  const { features: F, results } = tfidfBaseline(read('train.jsonl'), read('valid.jsonl'));
  for (const r of results) console.log(`C=${r.C}: valid accuracy ${r.validAccuracy.toFixed(4)}`);
  const best = results.reduce((a, b) => (b.validAccuracy > a.validAccuracy ? b : a));
  console.log(
    `TF-IDF + logistic regression: ${F} features, best C=${best.C}, valid accuracy ${best.validAccuracy.toFixed(4)} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
}
