import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeReviewSets, REVIEWS_FILE } from './reviews';

const FILE = new URL(`../../public/${REVIEWS_FILE}`, import.meta.url);

/** The file's text, as the formatter (biome) lays it out. */
const fileText = (sets: unknown) =>
  `${JSON.stringify(sets, null, 2).replace(/"labels": \[\s+"negative",\s+"positive"\s+\]/, '"labels": ["negative", "positive"]')}\n`;

describe('the review sentences the in-browser training demo ships', () => {
  const sets = makeReviewSets();
  if (process.env.SEQLAB_UPDATE_FIXTURES) writeFileSync(FILE, fileText(sets));

  it('are the committed file public/demos/reviews.json', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(fileText(sets));
  });

  it('hold 400 training and 100 held-out sentences, disjoint and about balanced', () => {
    expect(sets.train).toHaveLength(400);
    expect(sets.test).toHaveLength(100);
    const train = new Set(sets.train.map((r) => r.text));
    expect(train.size).toBe(400);
    expect(sets.test.filter((r) => train.has(r.text))).toEqual([]);
    const positive = sets.train.filter((r) => r.label === 1).length;
    expect(positive).toBeGreaterThan(160);
    expect(positive).toBeLessThan(240);
  });

  it('label by the rules: "not" flips the adjective, the clause after "but" decides', () => {
    const byText = new Map([...sets.train, ...sets.test].map((r) => [r.text, r.label]));
    for (const [text, label] of byText) {
      const last = text.split(' but ').at(-1) as string;
      const words = last.split(' ');
      const positive = [
        'good',
        'great',
        'wonderful',
        'brilliant',
        'charming',
        'moving',
        'funny',
        'clever',
        'beautiful',
        'fresh',
      ].includes(words.at(-1) as string);
      expect(label, text).toBe(Number(positive !== words.includes('not')));
    }
    expect([...byText.keys()].some((t) => t.includes(' but '))).toBe(true);
    expect([...byText.keys()].some((t) => t.includes(' not '))).toBe(true);
  });
});
