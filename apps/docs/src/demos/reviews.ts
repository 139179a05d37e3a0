/**
 * The in-browser training demo's data (guide 7): a few hundred short movie-review sentences from a
 * small grammar, labelled by rules a reader can check. Some need word order: "not" flips the
 * adjective after it, and in "X but Y" the clause after "but" decides. A model that only counts
 * words (the mean of embeddings) cannot get those right; an LSTM can.
 *
 * The site ships the sentences as a file (`public/demos/reviews.json`, fetched by the demo's Web
 * Worker); `reviews.test.ts` checks that the file is what `makeReviewSets()` returns. Regenerate it with
 * `SEQLAB_UPDATE_FIXTURES=1 pnpm vitest run apps/docs/src/demos/reviews.test.ts`.
 */

/** One labelled sentence: label 1 is positive, 0 negative. */
export interface Review {
  text: string;
  label: 0 | 1;
}

/** The demo's file: a training set and a disjoint held-out set. */
export interface ReviewSets {
  labels: readonly ['negative', 'positive'];
  train: Review[];
  test: Review[];
}

const SUBJECTS = [
  'the movie',
  'this film',
  'the acting',
  'the plot',
  'the story',
  'the cast',
  'the ending',
  'the script',
];
const VERBS = ['was', 'is', 'felt', 'seemed'];
const INTENSIFIERS = ['', 'really ', 'very ', 'quite ', 'so '];
const POSITIVE = [
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
];
const NEGATIVE = [
  'bad',
  'boring',
  'dull',
  'awful',
  'terrible',
  'clumsy',
  'tedious',
  'bland',
  'weak',
  'predictable',
];

/** mulberry32: a tiny seeded generator, so the file is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One sentence of the grammar and its label. */
function sentence(next: () => number): Review {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const adjective = (): { word: string; label: 0 | 1 } =>
    next() < 0.5 ? { word: pick(POSITIVE), label: 1 } : { word: pick(NEGATIVE), label: 0 };
  const clause = () => {
    const a = adjective();
    const negated = next() < 0.35;
    const label: 0 | 1 = negated ? ((1 - a.label) as 0 | 1) : a.label;
    return {
      text: `${pick(SUBJECTS)} ${pick(VERBS)} ${negated ? 'not ' : ''}${pick(INTENSIFIERS)}${a.word}`,
      label,
    };
  };
  const first = clause();
  if (next() < 0.6) return first;
  // "X but Y": the clause after "but" decides, whatever came first.
  const second = clause();
  return { text: `${first.text} but ${second.text}`, label: second.label };
}

/** `count` distinct sentences, none of them in `exclude`. */
export function makeReviews(count: number, seed: number, exclude: ReadonlySet<string> = new Set()): Review[] {
  const next = random(seed);
  const seen = new Set(exclude);
  const out: Review[] = [];
  while (out.length < count) {
    const r = sentence(next);
    if (seen.has(r.text)) continue;
    seen.add(r.text);
    out.push(r);
  }
  return out;
}

/** The shipped sets: 400 training sentences (seed 1) and 100 held-out ones (seed 2, none in train). */
export function makeReviewSets(): ReviewSets {
  const train = makeReviews(400, 1);
  const test = makeReviews(100, 2, new Set(train.map((r) => r.text)));
  return { labels: ['negative', 'positive'], train, test };
}

/** Where the site serves the file (under VitePress' `public/`). */
export const REVIEWS_FILE = 'demos/reviews.json';
