import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REVIEWS_FILE, type ReviewSets } from './reviews';
import { trainClassifier } from './train-classifier';

// The file the page's worker fetches.
const sets = JSON.parse(
  readFileSync(new URL(`../../public/${REVIEWS_FILE}`, import.meta.url), 'utf8'),
) as ReviewSets;

describe('trainClassifier (guide 7: train a classifier in the browser)', () => {
  it('lowers the training loss and classifies held-out sentences, "not" and "but" included', async () => {
    let reports = 0;
    const start = performance.now();
    const trained = await trainClassifier(sets.train, sets.test, {}, { onProgress: () => reports++ });
    const ms = performance.now() - start;
    const losses = trained.epochs.map((e) => e.loss);
    console.log(
      `train-classifier: ${trained.epochs.map((e) => `${e.epoch}: loss ${e.loss.toFixed(3)} acc ${e.accuracy.toFixed(2)}`).join('; ')} (${Math.round(ms)} ms)`,
    );
    expect(trained.epochs).toHaveLength(6);
    expect(trained.stopped).toBe(false);
    expect(reports).toBe(6 * 25 + 6);
    expect(losses.at(-1)).toBeLessThan(losses[0] / 3);
    expect(trained.accuracy).toBeGreaterThan(0.9);
    const p = (text: string) => trained.classify(text).probabilities[1];
    expect(p('the acting was not good')).toBeLessThan(0.5);
    expect(p('the plot was dull but the cast was wonderful')).toBeGreaterThan(0.5);
    const typed = trained.classify('the popcorn was good');
    expect(typed.tokens).toEqual(['the', 'popcorn', 'was', 'good']);
    expect(typed.known).toEqual([true, false, true, true]);
    expect(typed.probabilities.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  }, 120_000);

  it('is beaten by the order-blind mean of embeddings on the sentences where order matters', async () => {
    const mean = await trainClassifier(sets.train, sets.test, { model: 'mean' });
    const lstm = await trainClassifier(sets.train, sets.test);
    const orderMatters = sets.test.filter((r) => / but |not /.test(r.text)).length;
    console.log(
      `train-classifier: held-out accuracy, mean ${mean.accuracy}, lstm ${lstm.accuracy} (${orderMatters} of ${sets.test.length} sentences hold "not" or "but")`,
    );
    expect(mean.accuracy).toBeLessThan(lstm.accuracy - 0.1);
  }, 120_000);

  it('stops after the current batch when asked, without reporting a partial epoch', async () => {
    let batches = 0;
    const trained = await trainClassifier(sets.train, sets.test, {}, { shouldStop: () => ++batches === 30 });
    expect(trained.stopped).toBe(true);
    expect(trained.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(trained.accuracy).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
