import { ConfigError, Generator, manualSeed } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { DataLoader, type EncodedExample, packCollate, padCollate } from './index';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** 1,000 examples with lengths 1..50 in a fixed pseudo-random pattern. */
function examples(n = 1000): EncodedExample[] {
  const g = new Generator(3);
  return range(n).map((i) => ({ ids: range(1 + g.int(50)).map((k) => 2 + ((i + k) % 20)), label: i % 2 }));
}

function collect<B>(loader: Iterable<B>): B[] {
  return [...loader];
}

describe('DataLoader batching', () => {
  it('batches in order with the default collate (the list itself), last batch short', () => {
    const loader = new DataLoader(range(10), { batchSize: 4 });
    expect(collect(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(loader.length).toBe(3);
  });

  it('drops the short last batch with dropLast', () => {
    const loader = new DataLoader(range(10), { batchSize: 4, dropLast: true });
    expect(collect(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(loader.length).toBe(2);
  });

  it('defaults to batchSize 1, as PyTorch', () => {
    expect(collect(new DataLoader(['a', 'b']))).toEqual([['a'], ['b']]);
  });
});

describe('DataLoader shuffling', () => {
  it('visits every example once per epoch, in a new order each epoch', () => {
    const loader = new DataLoader(range(100), { batchSize: 7, shuffle: true, seed: 1 });
    const epoch1 = collect(loader).flat();
    const epoch2 = collect(loader).flat();
    expect([...epoch1].sort((a, b) => a - b)).toEqual(range(100));
    expect([...epoch2].sort((a, b) => a - b)).toEqual(range(100));
    expect(epoch1).not.toEqual(range(100));
    expect(epoch2).not.toEqual(epoch1);
  });

  it('is reproducible from a seed, or from manualSeed when no seed is given', () => {
    const a = collect(new DataLoader(range(50), { batchSize: 5, shuffle: true, seed: 42 }));
    const b = collect(new DataLoader(range(50), { batchSize: 5, shuffle: true, seed: 42 }));
    const c = collect(new DataLoader(range(50), { batchSize: 5, shuffle: true, seed: 43 }));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    manualSeed(5);
    const d = collect(new DataLoader(range(50), { batchSize: 5, shuffle: true }));
    manualSeed(5);
    const e = collect(new DataLoader(range(50), { batchSize: 5, shuffle: true }));
    expect(e).toEqual(d);
  });

  it('uses a given generator and advances its state', () => {
    const g = new Generator(9);
    const before = g.getState();
    collect(new DataLoader(range(20), { batchSize: 4, shuffle: true, generator: g }));
    expect(g.getState()).not.toEqual(before);
  });
});

describe('DataLoader bucketing and padding stats', () => {
  const data = examples();

  it('reports the padding fraction of an epoch: padded slots / all slots', () => {
    const loader = new DataLoader(data.slice(0, 3), { batchSize: 3, collate: padCollate() });
    collect(loader);
    const lengths = data.slice(0, 3).map((e) => e.ids.length);
    const slots = 3 * Math.max(...lengths);
    const tokens = lengths.reduce((a, b) => a + b, 0);
    expect(loader.stats).toEqual({
      batches: 1,
      examples: 3,
      tokens,
      slots,
      paddingFraction: 1 - tokens / slots,
    });
  });

  it('cuts padding by sorting inside chunks, and still visits every example once', () => {
    const plain = new DataLoader(data, { batchSize: 32, shuffle: true, seed: 0, collate: padCollate() });
    const bucketed = new DataLoader(data, {
      batchSize: 32,
      shuffle: true,
      seed: 0,
      collate: padCollate(),
      bucketing: { chunkBatches: 10 },
    });
    collect(plain);
    const batches = collect(bucketed);
    expect(bucketed.stats.paddingFraction).toBeLessThan(plain.stats.paddingFraction / 4);
    expect(bucketed.stats.tokens).toBe(plain.stats.tokens);
    expect(batches.length).toBe(32);
    expect(batches.filter((b) => b.lengths.shape[0] !== 32).length).toBe(1);
    // Batch order is shuffled: lengths do not arrive sorted.
    const maxima = batches.map((b) => Math.max(...b.lengths.data));
    expect(maxima).not.toEqual([...maxima].sort((x, y) => y - x));
  });

  it('sorts each chunk longest first without shuffle, and drops only the one short batch', () => {
    const loader = new DataLoader(data.slice(0, 100), {
      batchSize: 8,
      bucketing: { chunkBatches: 100 },
      dropLast: true,
    });
    const batches = collect(loader);
    expect(batches.length).toBe(12);
    const lengths = batches.flat().map((e) => e.ids.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
  });

  it('packing computes no padded steps', () => {
    const loader = new DataLoader(data, { batchSize: 32, collate: packCollate() });
    collect(loader);
    expect(loader.stats.paddingFraction).toBe(0);
    expect(loader.stats.slots).toBe(loader.stats.tokens);
  });

  it('takes lengthOf for examples without ids, and says NaN when the collate reports nothing', () => {
    const words = ['a', 'bbbb', 'cc', 'ddd'];
    const loader = new DataLoader(words, { batchSize: 2, bucketing: { lengthOf: (w: string) => w.length } });
    expect(collect(loader)).toEqual([
      ['bbbb', 'ddd'],
      ['cc', 'a'],
    ]);
    expect(loader.stats.paddingFraction).toBeNaN();
    expect(() => collect(new DataLoader(words, { bucketing: true }))).toThrow(
      /pass bucketing: \{ lengthOf \}/i,
    );
  });
});

describe('DataLoader over streams', () => {
  async function* stream(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      await Promise.resolve();
      yield i;
    }
  }

  it('batches an async iterable in order with for await', async () => {
    const loader = new DataLoader(stream(10), { batchSize: 4 });
    const out: number[][] = [];
    for await (const b of loader) out.push(b);
    expect(out).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('shuffles and buckets chunk by chunk, covering every example once', async () => {
    const items = examples(300);
    async function* source() {
      for (const e of items) yield e;
    }
    const loader = new DataLoader(source(), {
      batchSize: 10,
      shuffle: true,
      seed: 0,
      dropLast: true,
      bucketing: { chunkBatches: 8 },
      collate: padCollate(),
    });
    let count = 0;
    for await (const b of loader) count += b.lengths.shape[0];
    expect(count).toBe(300);
    expect(loader.stats.batches).toBe(30);
    expect(loader.stats.paddingFraction).toBeLessThan(0.2);
  });

  it('iterates a sync iterable (a generator) with for…of, and arrays with for await', async () => {
    function* gen() {
      yield* range(5);
    }
    expect(collect(new DataLoader(gen(), { batchSize: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
    const out: number[][] = [];
    for await (const b of new DataLoader(range(3), { batchSize: 2 })) out.push(b);
    expect(out).toEqual([[0, 1], [2]]);
  });

  it('refuses for…of and length on an async stream', () => {
    const loader = new DataLoader(stream(3));
    expect(() => collect(loader)).toThrow(
      /DataLoader: expected a sync dataset for for…of, got an async iterable\. Use for await…of/,
    );
    expect(() => loader.length).toThrow(/DataLoader.length: expected an array dataset, got a stream/);
  });
});

describe('DataLoader errors', () => {
  it('rejects bad options', () => {
    expect(() => new DataLoader(range(3), { batchSize: 0 })).toThrow(ConfigError);
    expect(() => new DataLoader(range(3), { batchSize: 0 })).toThrow(
      /expected batchSize a positive integer, got 0/,
    );
    expect(() => new DataLoader(range(3), { bucketing: { chunkBatches: 0 } })).toThrow(/chunkBatches/);
    expect(() => new DataLoader(range(3), { seed: 0.5 })).toThrow(/seed a safe integer/);
    expect(() => new DataLoader(42 as unknown as number[])).toThrow(
      /an array, an iterable or an async iterable dataset/,
    );
  });
});
