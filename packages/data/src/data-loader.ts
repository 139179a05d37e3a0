import {
  ConfigError,
  checkOptions,
  defaultGenerator,
  formatValue,
  optionKeys,
  Generator as RandomGenerator,
} from '@seqlab/tensor';
import type { PaddingStats } from './collate';
import type { DataSource } from './dataset';

/** Length bucketing: sort by length inside shuffled chunks, so each batch holds similar lengths. */
export interface BucketingOptions<T> {
  /** Chunk size in batches (default 100: chunks of 100 × batchSize examples). */
  chunkBatches?: number;
  /** An example's length. Default: `example.ids.length`. */
  lengthOf?: (example: T) => number;
}

/** Options of `DataLoader`. */
export interface DataLoaderOptions<T, B> {
  /** Examples per batch. Default 1, as PyTorch. */
  batchSize?: number;
  /** Reshuffle every epoch. Default false, as PyTorch. */
  shuffle?: boolean;
  /** Seed of the loader's own generator (ignored when `generator` is given). */
  seed?: number;
  /**
   * The loader's generator. Default: a new one seeded with `seed`, or else (with `shuffle`) from one
   * draw of the global generator when the loader is made, so `manualSeed` makes runs reproducible.
   */
  generator?: RandomGenerator;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Turns a list of examples into a batch (`padCollate()`, `packCollate()`). Default: the list itself. */
  collate?: (examples: T[]) => B;
  /** Sort by length inside chunks of `chunkBatches` batches (true: the defaults). Default off. */
  bucketing?: boolean | BucketingOptions<T>;
}
const DATA_LOADER_KEYS = optionKeys<DataLoaderOptions<unknown, unknown>>({
  batchSize: true,
  shuffle: true,
  seed: true,
  generator: true,
  dropLast: true,
  collate: true,
  bucketing: true,
});
const BUCKETING_KEYS = optionKeys<BucketingOptions<unknown>>({ chunkBatches: true, lengthOf: true });

/** Totals of the current (or last finished) epoch. */
export interface EpochStats {
  /** Batches produced. */
  batches: number;
  /** Examples produced. */
  examples: number;
  /** Σ `numTokens` of the batches (0 when the collate does not report padding). */
  tokens: number;
  /** Σ `numSlots` of the batches. */
  slots: number;
  /** Padded slots / all slots = 1 − tokens / slots; NaN until a batch reported `PaddingStats`. */
  paddingFraction: number;
}

/**
 * Batches a dataset (torch.utils.data.DataLoader): optional seeded reshuffling every epoch, a
 * collate function, `dropLast`, and length bucketing. Iterate it once per epoch, with `for … of`
 * (arrays and sync iterables) or `for await … of` (any source, including streams).
 *
 * Bucketing (torchtext's BucketIterator pool): the epoch's order (shuffled or not) is cut into
 * chunks of `chunkBatches × batchSize` examples; each chunk is sorted by decreasing length and cut
 * into batches; with `shuffle`, the batches are then shuffled (all of the epoch's for an array,
 * each chunk's for a stream), so lengths do not arrive in order. Padding drops because each batch
 * holds similar lengths; at most one batch per epoch is short.
 *
 * A stream (any non-array source) is read chunk by chunk: with `shuffle` or bucketing, each chunk
 * of `chunkBatches × batchSize` examples (100 × by default) is shuffled and/or sorted on its own;
 * without them, examples pass straight through. Each epoch iterates the source again: a
 * `TextSource` re-reads its file, while a one-shot generator gives a single epoch.
 *
 * Porting note: the default collate returns the list of examples; PyTorch's `default_collate`
 * stacks tensors. Workers and samplers are left out.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(encoded, {
 *   batchSize: 32, shuffle: true, seed: 0, collate: padCollate({ batchFirst: true }), bucketing: true,
 * });
 * for (const { input, lengths, labels } of loader) {
 *   // input int32 [B, T]
 * }
 * loader.stats.paddingFraction; // e.g. 0.02
 * ```
 */
export class DataLoader<T, B = T[]> implements Iterable<B>, AsyncIterable<B> {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Whether each epoch reshuffles. */
  readonly shuffle: boolean;
  /** Whether the last short batch is dropped. */
  readonly dropLast: boolean;
  /** The generator behind shuffling (its state advances every shuffled epoch). */
  readonly generator: RandomGenerator;
  /** Totals of the current or last epoch. */
  stats: EpochStats = emptyStats();
  #source: DataSource<T>;
  #collate: (examples: T[]) => B;
  #chunkBatches: number;
  #bucketing: boolean;
  #lengthOf: (example: T) => number;

  constructor(dataset: DataSource<T>, options: DataLoaderOptions<T, B> = {}) {
    const op = 'DataLoader';
    checkOptions(op, options, DATA_LOADER_KEYS);
    if (typeof options.bucketing === 'object')
      checkOptions(`${op} bucketing`, options.bucketing, BUCKETING_KEYS);
    if (!isArray(dataset) && !isIterable(dataset) && !isAsyncIterable(dataset)) {
      throw new ConfigError(op, 'an array, an iterable or an async iterable dataset', typeof dataset);
    }
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConfigError(op, 'batchSize a positive integer', `${batchSize}`);
    }
    const bucketing = options.bucketing ?? false;
    const bucketOptions = typeof bucketing === 'object' ? bucketing : {};
    const chunkBatches = bucketOptions.chunkBatches ?? 100;
    if (!Number.isInteger(chunkBatches) || chunkBatches < 1) {
      throw new ConfigError(op, 'bucketing.chunkBatches a positive integer', `${chunkBatches}`);
    }
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
      throw new ConfigError(op, 'seed a safe integer', `${options.seed}`);
    }
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.generator =
      options.generator ??
      new RandomGenerator(options.seed ?? (this.shuffle ? defaultGenerator().nextUint32() : 0));
    this.#source = dataset;
    this.#collate = options.collate ?? ((examples: T[]) => examples as unknown as B);
    this.#bucketing = bucketing !== false;
    this.#chunkBatches = chunkBatches;
    this.#lengthOf = bucketOptions.lengthOf ?? defaultLength;
  }

  /** Batches per epoch (array datasets only). */
  get length(): number {
    if (!isArray(this.#source)) {
      throw new ConfigError('DataLoader.length', 'an array dataset', 'a stream', 'A stream has no length');
    }
    const n = this.#source.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch of batches (arrays and sync iterables). */
  *[Symbol.iterator](): Iterator<B> {
    const source = this.#source;
    if (isArray(source)) {
      yield* this.#epoch(this.#arrayBatches(source));
      return;
    }
    if (!isIterable(source)) {
      throw new ConfigError(
        'DataLoader',
        'a sync dataset for for…of',
        'an async iterable',
        'Use for await…of',
      );
    }
    yield* this.#epoch(this.#streamBatches(source));
  }

  /** One epoch of batches, for any source. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const source = this.#source;
    if (isArray(source) || !isAsyncIterable(source)) {
      yield* this[Symbol.iterator]() as Generator<B>;
      return;
    }
    this.stats = emptyStats();
    let chunk: T[] = [];
    const chunkSize = this.#chunkSize();
    for await (const example of source) {
      chunk.push(example);
      if (chunk.length === chunkSize) {
        for (const indices of this.#batchChunk(chunk, false)) yield this.#emit(chunk, indices);
        chunk = [];
      }
    }
    for (const indices of this.#batchChunk(chunk, true)) yield this.#emit(chunk, indices);
  }

  *#epoch(batches: Iterable<[readonly T[], number[]]>): Generator<B> {
    this.stats = emptyStats();
    for (const [items, indices] of batches) yield this.#emit(items, indices);
  }

  /** An array: one permutation of everything, bucketed by chunk, batches shuffled across the epoch. */
  *#arrayBatches(source: readonly T[]): Generator<[readonly T[], number[]]> {
    const order = Array.from({ length: source.length }, (_, i) => i);
    if (this.shuffle) shuffleInPlace(order, this.generator);
    let batches: number[][] = [];
    if (this.#bucketing) {
      const chunk = this.#chunkBatches * this.batchSize;
      for (let start = 0; start < order.length; start += chunk) {
        const part = this.#sortByLength(source, order.slice(start, start + chunk));
        for (let s = 0; s < part.length; s += this.batchSize) batches.push(part.slice(s, s + this.batchSize));
      }
      if (this.shuffle) shuffleInPlace(batches, this.generator);
    } else {
      for (let s = 0; s < order.length; s += this.batchSize) batches.push(order.slice(s, s + this.batchSize));
    }
    if (this.dropLast) batches = batches.filter((b) => b.length === this.batchSize);
    for (const b of batches) yield [source, b];
  }

  /** A sync stream, chunk by chunk. */
  *#streamBatches(source: Iterable<T>): Generator<[readonly T[], number[]]> {
    let chunk: T[] = [];
    const chunkSize = this.#chunkSize();
    for (const example of source) {
      chunk.push(example);
      if (chunk.length === chunkSize) {
        for (const indices of this.#batchChunk(chunk, false)) yield [chunk, indices];
        chunk = [];
      }
    }
    for (const indices of this.#batchChunk(chunk, true)) yield [chunk, indices];
  }

  /** Examples per chunk of a stream: one batch when neither shuffling nor bucketing. */
  #chunkSize(): number {
    return this.shuffle || this.#bucketing ? this.#chunkBatches * this.batchSize : this.batchSize;
  }

  /** The batches (as indices into `chunk`) of one chunk of a stream. */
  #batchChunk(chunk: readonly T[], last: boolean): number[][] {
    let order = Array.from({ length: chunk.length }, (_, i) => i);
    if (this.shuffle) shuffleInPlace(order, this.generator);
    if (this.#bucketing) order = this.#sortByLength(chunk, order);
    let batches: number[][] = [];
    for (let s = 0; s < order.length; s += this.batchSize) batches.push(order.slice(s, s + this.batchSize));
    if (last && this.dropLast) batches = batches.filter((b) => b.length === this.batchSize);
    if (this.shuffle && this.#bucketing) shuffleInPlace(batches, this.generator);
    return batches;
  }

  /** Stable sort of `indices` by decreasing length (longest first, so a too-large batch fails early). */
  #sortByLength(items: readonly T[], indices: number[]): number[] {
    const lengths = indices.map((i) => {
      const length = this.#lengthOf(items[i]);
      if (!Number.isFinite(length)) {
        throw new ConfigError('DataLoader', 'bucketing.lengthOf to return a number', `${length}`);
      }
      return length;
    });
    const pos = indices.map((_, k) => k).sort((a, b) => lengths[b] - lengths[a] || a - b);
    return pos.map((k) => indices[k]);
  }

  #emit(items: readonly T[], indices: number[]): B {
    const batch = this.#collate(indices.map((i) => items[i]));
    const s = this.stats;
    s.batches += 1;
    s.examples += indices.length;
    if (isPaddingStats(batch)) {
      s.tokens += batch.numTokens;
      s.slots += batch.numSlots;
      s.paddingFraction = s.slots === 0 ? 0 : 1 - s.tokens / s.slots;
    }
    return batch;
  }
}

/** Fisher–Yates with the loader's generator. */
function shuffleInPlace<U>(items: U[], generator: RandomGenerator): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

function defaultLength(example: unknown): number {
  const ids = (example as { ids?: { length?: unknown } } | null)?.ids;
  if (typeof ids?.length !== 'number') {
    throw new ConfigError(
      'DataLoader',
      'examples with an ids array for bucketing',
      formatValue(example, 40),
      'Pass bucketing: { lengthOf }',
    );
  }
  return ids.length;
}

function emptyStats(): EpochStats {
  return { batches: 0, examples: 0, tokens: 0, slots: 0, paddingFraction: Number.NaN };
}

function isPaddingStats(value: unknown): value is PaddingStats {
  const v = value as Partial<PaddingStats> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.numTokens === 'number' && typeof v.numSlots === 'number'
  );
}

function isArray<T>(source: DataSource<T>): source is readonly T[] {
  return Array.isArray(source);
}

function isIterable<T>(source: unknown): source is Iterable<T> {
  return typeof (source as Iterable<T> | null)?.[Symbol.iterator] === 'function';
}

function isAsyncIterable<T>(source: unknown): source is AsyncIterable<T> {
  return typeof (source as AsyncIterable<T> | null)?.[Symbol.asyncIterator] === 'function';
}
