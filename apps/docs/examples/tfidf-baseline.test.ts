import { describe, expect, it } from 'vitest';
import { SparseLogisticRegression, TfidfVectorizer, tfidfBaseline } from './tfidf-baseline';

const texts = ['a good film', 'a bad film', 'not a good film', 'a good plot', 'a bad plot', 'good'];

describe('TfidfVectorizer (scikit-learn semantics: min_df 2, smooth idf, sublinear tf, l2 rows)', () => {
  const v = new TfidfVectorizer(texts);

  it('keeps the unigrams and bigrams seen in at least 2 texts, sorted', () => {
    expect([...v.ids.keys()]).toEqual(['a', 'a bad', 'a good', 'bad', 'film', 'good', 'good film', 'plot']);
    // idf = ln((1 + n) / (1 + df)) + 1: "a" is in 5 of 6 texts
    expect(v.idf[v.ids.get('a') as number]).toBeCloseTo(Math.log(7 / 6) + 1, 6);
  });

  it('gives unit-length rows, padded with id 0 and value 0', () => {
    const { ids, values } = v.transform(['a good good film', 'unknown words only']);
    expect(ids.shape).toEqual([2, 5]); // a, good, film, "a good", "good film"
    const row = Array.from(values.data.slice(0, 5));
    expect(Math.hypot(...row)).toBeCloseTo(1, 6);
    expect(Array.from(values.data.slice(5))).toEqual([0, 0, 0, 0, 0]);
    // sublinear tf: "good" twice weighs (1 + ln 2) · idf before normalisation
    const good = Array.from(ids.data).indexOf(v.ids.get('good') as number);
    const film = Array.from(ids.data).indexOf(v.ids.get('film') as number);
    const idf = (f: string) => v.idf[v.ids.get(f) as number];
    expect(row[good] / row[film]).toBeCloseTo(((1 + Math.log(2)) * idf('good')) / idf('film'), 5);
  });
});

describe('SparseLogisticRegression and the C sweep', () => {
  it('separates words that carry the label, and regularises more at a small C', () => {
    const train = [
      ...['great', 'wonderful', 'great fun', 'wonderful cast'].map((text) => ({ text, label: 1 })),
      ...['awful', 'boring', 'awful plot', 'boring cast'].map((text) => ({ text, label: 0 })),
    ].flatMap((x) => [x, x]);
    const { features, results } = tfidfBaseline(
      train,
      [
        { text: 'great cast', label: 1 },
        { text: 'boring fun', label: 0 },
      ],
      [0.01, 10],
    );
    expect(features).toBeGreaterThan(5);
    expect(results.map((r) => r.C)).toEqual([0.01, 10]);
    expect(results[1].validAccuracy).toBe(1);
    const model = new SparseLogisticRegression(3);
    expect(model.weight.shape).toEqual([4, 1]);
  });
});
