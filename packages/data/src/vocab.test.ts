import { ConfigError, FormatError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { Vocab } from './index';

const lists = [
  ['the', 'cat', 'sat'],
  ['the', 'dog', 'sat', 'down'],
  ['a', 'cat', 'ran'],
];
// counts: the 2, cat 2, sat 2, dog 1, down 1, a 1, ran 1 (first occurrence in that order)

describe('Vocab.build', () => {
  it('puts <pad> = 0 and <unk> = 1 first, then tokens by count, ties by first occurrence', () => {
    const vocab = Vocab.build(lists);
    expect(vocab.itos).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat', 'dog', 'down', 'a', 'ran']);
    expect([vocab.padIndex, vocab.unkIndex, vocab.bosIndex, vocab.eosIndex]).toEqual([0, 1, null, null]);
  });

  it('orders ties by code point with tieBreak "lexicographic"', () => {
    const vocab = Vocab.build(lists, { tieBreak: 'lexicographic' });
    expect(vocab.itos).toEqual(['<pad>', '<unk>', 'cat', 'sat', 'the', 'a', 'dog', 'down', 'ran']);
    // Code point order, not UTF-16 order: U+FF5E sorts before U+1F600 (whose first unit is 0xD83D).
    const astral = Vocab.build([['😀', '～']], { tieBreak: 'lexicographic' });
    expect(astral.itos.slice(2)).toEqual(['～', '😀']);
  });

  it('caps the size (specials included) and drops rare tokens', () => {
    expect(Vocab.build(lists, { maxSize: 4 }).itos).toEqual(['<pad>', '<unk>', 'the', 'cat']);
    expect(Vocab.build(lists, { minFreq: 2 }).itos).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat']);
    expect(Vocab.build(lists, { maxSize: 2 }).itos).toEqual(['<pad>', '<unk>']);
  });

  it('takes extra specials in order and never counts a corpus token equal to a special', () => {
    const vocab = Vocab.build([['<unk>', 'x', '<eos>']], { specials: ['<pad>', '<unk>', '<bos>', '<eos>'] });
    expect(vocab.itos).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'x']);
    expect([vocab.bosIndex, vocab.eosIndex]).toEqual([2, 3]);
  });

  it('accepts any iterable of token lists (a generator)', () => {
    function* gen() {
      yield ['b', 'a'];
      yield ['a'];
    }
    expect(Vocab.build(gen()).itos).toEqual(['<pad>', '<unk>', 'a', 'b']);
  });
});

describe('Vocab lookups', () => {
  const vocab = Vocab.build(lists, { specials: ['<pad>', '<unk>', '<bos>', '<eos>'] });

  it('maps unknown tokens to <unk>', () => {
    expect(vocab.lookup('cat')).toBe(5);
    expect(vocab.lookup('zebra')).toBe(1);
    expect(vocab.has('zebra')).toBe(false);
    expect(vocab.lookupToken(5)).toBe('cat');
  });

  it('encodes and decodes lists and batches, with <bos>/<eos> on request', () => {
    expect(vocab.encode(['the', 'zebra'])).toEqual([4, 1]);
    expect(vocab.encode(['the'], { addBos: true, addEos: true })).toEqual([2, 4, 3]);
    expect(vocab.encodeBatch([['cat'], []])).toEqual([[5], []]);
    expect(vocab.encodeBatch([['cat'], []], { emptyAsUnk: true })).toEqual([[5], [1]]);
    expect(vocab.decode([4, 5, 0])).toEqual(['the', 'cat', '<pad>']);
    expect(vocab.decodeBatch([[4], [1, 6]])).toEqual([['the'], ['<unk>', 'sat']]);
  });

  it('rejects ids out of range and <bos>/<eos> it does not have', () => {
    expect(() => vocab.lookupToken(vocab.size)).toThrow(ConfigError);
    expect(() => vocab.decode([-1])).toThrow(/Vocab.lookupToken: expected an id in \[0, 11\), got -1/);
    const plain = Vocab.build(lists);
    expect(() => plain.encode(['a'], { addEos: true })).toThrow(
      /Vocab.encode: expected <eos> among the specials for addEos, got \[<pad>, <unk>\]/,
    );
  });
});

describe('Vocab JSON', () => {
  const vocab = Vocab.build(lists, { specials: ['<pad>', '<unk>', '<eos>'] });

  it('round-trips through JSON text', () => {
    const copy = Vocab.fromJSON(JSON.parse(JSON.stringify(vocab)));
    expect(copy.itos).toEqual(vocab.itos);
    expect(copy.specials).toEqual(vocab.specials);
    expect(copy.eosIndex).toBe(2);
  });

  const good = () => JSON.parse(JSON.stringify(vocab)) as Record<string, unknown>;
  const cases: [string, (j: Record<string, unknown>) => unknown, RegExp][] = [
    ['null', () => null, /expected a Vocab JSON object, got null/],
    ['an array', () => [], /got an array/],
    [
      'a wrong type tag',
      (j) => ({ ...j, type: 'x' }),
      /expected type "seqlab.Vocab", version 1, got type "x"/,
    ],
    ['itos missing', (j) => ({ ...j, itos: undefined }), /expected itos to be an array of strings/],
    ['specials missing', (j) => ({ ...j, specials: 'x' }), /expected specials to be an array/],
    [
      'a non-string token',
      (j) => ({ ...j, itos: ['<pad>', '<unk>', '<eos>', 7] }),
      /itos to hold strings, got number at id 3/,
    ],
    [
      'a duplicate token',
      (j) => ({ ...j, itos: [...(j.itos as string[]), 'cat'] }),
      /distinct tokens, got "cat" twice/,
    ],
    ['specials not first', (j) => ({ ...j, specials: ['<unk>', '<pad>'] }), /specials as the first ids/],
    ['no <unk>', (j) => ({ ...j, itos: ['<pad>', 'a'], specials: ['<pad>'] }), /specials that include <unk>/],
  ];
  it.each(cases)('rejects %s with a FormatError', (_, mutate, message) => {
    const bad = mutate(good());
    expect(() => Vocab.fromJSON(bad)).toThrow(FormatError);
    expect(() => Vocab.fromJSON(bad)).toThrow(message);
  });
});

describe('Vocab errors', () => {
  it('rejects bad build options', () => {
    expect(() => Vocab.build(lists, { minFreq: 0 })).toThrow(
      /Vocab.build: expected minFreq a positive integer, got 0/,
    );
    expect(() => Vocab.build(lists, { maxSize: 1 })).toThrow(
      /maxSize an integer ≥ the number of specials \(2\), got 1/,
    );
    expect(() => Vocab.build(lists, { tieBreak: 'random' as 'lexicographic' })).toThrow(ConfigError);
    expect(() => Vocab.build(lists, { specials: ['<pad>'] })).toThrow(/specials that include <unk>/);
    expect(() => Vocab.build([[1 as unknown as string]])).toThrow(/token lists of strings, got number/);
  });

  it('rejects a constructor token list whose first ids are not the specials', () => {
    expect(() => new Vocab(['a', '<pad>', '<unk>'])).toThrow(ConfigError);
  });
});
