// The SST-2 number of guide 7: TF-IDF + logistic regression, as the reference script's `--models
// tfidf` (scikit-learn) gives it. Needs ../shared/datasets/sentiment beside the repository (or
// SEQLAB_SENTIMENT_DIR); skipped, saying so, without it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type LabelledText, tfidfBaseline } from './tfidf-baseline';

const dir =
  process.env.SEQLAB_SENTIMENT_DIR ??
  fileURLToPath(new URL('../../../../shared/datasets/sentiment', import.meta.url));
const present = existsSync(`${dir}/train.jsonl`);
if (!present)
  console.warn(`tfidf-baseline.slow.test: SKIPPED, it needs ${dir} (../shared/datasets/sentiment)`);

const read = (name: string): LabelledText[] =>
  readFileSync(`${dir}/${name}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LabelledText);

describe.skipIf(!present)('TF-IDF + logistic regression on SST-2 (valid split)', () => {
  it("matches scikit-learn's 19,360 features and 0.8119 valid accuracy at C = 4", () => {
    const { features, results } = tfidfBaseline(read('train.jsonl'), read('valid.jsonl'), [1, 4]);
    // train_reference.py --task sentiment --models tfidf: C=1 0.8005, C=4 0.8119 (708 of 872).
    expect(features).toBe(19_360);
    expect(results[0].validAccuracy).toBeCloseTo(0.8005, 3);
    expect(results[1].validAccuracy).toBeCloseTo(0.8119, 3);
  }, 600_000);
});
