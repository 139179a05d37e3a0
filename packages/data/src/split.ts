import { ConfigError, checkOptions, Generator, optionKeys } from '@seqlab/tensor';

/** Fractions of a three-way split; they must sum to 1. */
export interface SplitRatios {
  /** Share of each class for training. */
  train: number;
  /** Share for validation (model selection). */
  valid: number;
  /** Share held out for the final test. */
  test: number;
}

/** Options of `stratifiedSplit`. */
export interface StratifiedSplitOptions<T> {
  /** Share of each class that goes to each split. Default `{ train: 0.8, valid: 0.1, test: 0.1 }`. */
  ratios?: SplitRatios;
  /** Seed of the shuffle inside each class. Required: a split must be reproducible. */
  seed: number;
  /** The class of an item. Default `item.label`. */
  labelOf?: (item: T) => number | string;
}
const SPLIT_KEYS = optionKeys<StratifiedSplitOptions<unknown>>({ ratios: true, seed: true, labelOf: true });

/** The three parts of a split. */
export interface Splits<T> {
  /** Training items, in input order. */
  train: T[];
  /** Validation items, in input order. */
  valid: T[];
  /** Test items, in input order. */
  test: T[];
}

/**
 * Splits items into train / valid / test so that every class keeps the given ratios (the
 * stratified `train_test_split` of scikit-learn, done twice). Deterministic for a seed.
 *
 * For each class, in sorted label order: shuffle its items with a Generator seeded with `seed`,
 * then hand out ⌊n·ratio⌋ items to each split and the left-over ones to the splits with the largest
 * remainders (ties: train, then valid, then test). Each split keeps the items' input order.
 *
 * @example
 * ```ts
 * const { train, valid, test } = stratifiedSplit(examples, { seed: 0, ratios: { train: 0.8, valid: 0.1, test: 0.1 } });
 * ```
 */
export function stratifiedSplit<T>(items: readonly T[], options: StratifiedSplitOptions<T>): Splits<T> {
  const op = 'stratifiedSplit';
  checkOptions(op, options, SPLIT_KEYS);
  const ratios = options.ratios ?? { train: 0.8, valid: 0.1, test: 0.1 };
  const parts = [ratios.train, ratios.valid, ratios.test];
  if (
    parts.some((r) => !Number.isFinite(r) || r < 0) ||
    Math.abs(parts[0] + parts[1] + parts[2] - 1) > 1e-9
  ) {
    throw new ConfigError(
      op,
      'ratios ≥ 0 that sum to 1',
      `train ${ratios.train}, valid ${ratios.valid}, test ${ratios.test}`,
    );
  }
  if (!Number.isSafeInteger(options.seed)) throw new ConfigError(op, 'an integer seed', `${options.seed}`);
  const labelOf = options.labelOf ?? ((item: T) => (item as { label: number | string }).label);
  const byClass = new Map<number | string, number[]>();
  for (const [i, item] of items.entries()) {
    const label = labelOf(item);
    if (typeof label !== 'number' && typeof label !== 'string') {
      throw new ConfigError(op, 'a number or string label for every item', `${typeof label} at index ${i}`);
    }
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  }
  const generator = new Generator(options.seed);
  const assigned = new Int8Array(items.length);
  const labels = [...byClass.keys()].sort(compareLabels);
  for (const label of labels) {
    const members = byClass.get(label)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = generator.int(i + 1);
      [members[i], members[j]] = [members[j], members[i]];
    }
    const counts = allocate(members.length, parts);
    let at = 0;
    for (let s = 0; s < 3; s++) {
      for (let k = 0; k < counts[s]; k++) assigned[members[at++]] = s;
    }
  }
  const out: Splits<T> = { train: [], valid: [], test: [] };
  const names = ['train', 'valid', 'test'] as const;
  for (const [i, item] of items.entries()) out[names[assigned[i]]].push(item);
  return out;
}

/** Largest-remainder apportionment of n items over the ratios. */
function allocate(n: number, ratios: readonly number[]): number[] {
  const exact = ratios.map((r) => n * r);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = [0, 1, 2].sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const s of order) {
    if (left <= 0) break;
    if (ratios[s] > 0) {
      counts[s]++;
      left--;
    }
  }
  return counts;
}

function compareLabels(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
