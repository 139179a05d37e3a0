// Every function and constructor of @seqlab/data that takes options checks their keys at run
// time: a PyTorch (snake_case) spelling or a typo is a ConfigError naming the right key.
import {
  addingProblem,
  BPETokenizer,
  CharTokenizer,
  copyTask,
  DataLoader,
  padCollate,
  stratifiedSplit,
  Vocab,
  WordTokenizer,
} from '@seqlab/data';
import { readCsv, readFolder, readJsonl, readTsv } from '@seqlab/data/node';
import { ConfigError } from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('unknown option keys throw, naming the right key', () => {
  const vocab = Vocab.build([['a', 'b']]);
  const bpe = BPETokenizer.train(['abab abab'], { vocabSize: 260 });
  test.each<[string, () => unknown, string]>([
    ['DataLoader', () => new DataLoader([1, 2, 3], { batch_size: 2 } as never), 'Use batchSize'],
    ['DataLoader', () => new DataLoader([1, 2, 3], { drop_last: true } as never), 'Use dropLast'],
    [
      'DataLoader',
      () => new DataLoader([1, 2, 3], { collate_fn: (x: unknown) => x } as never),
      "unknown option 'collate_fn'",
    ],
    ['DataLoader', () => new DataLoader([1, 2, 3], 4 as never), 'got the number 4'],
    [
      'DataLoader bucketing',
      () => new DataLoader([1, 2, 3], { bucketing: { chunk_batches: 2 } } as never),
      'Use chunkBatches',
    ],
    ['padCollate', () => padCollate({ padding_value: 0 } as never), 'Use paddingValue'],
    ['Vocab.build', () => Vocab.build([['a']], { min_freq: 2 } as never), 'Use minFreq'],
    ['Vocab.encode', () => vocab.encode(['a'], { addBOS: true } as never), 'Use addBos'],
    ['Vocab.encodeBatch', () => vocab.encodeBatch([['a']], { add_eos: true } as never), 'Use addEos'],
    [
      'stratifiedSplit',
      () => stratifiedSplit([{ label: 0 }], { seed: 0, random_state: 1 } as never),
      "unknown option 'random_state'",
    ],
    ['WordTokenizer', () => new WordTokenizer({ lower: true } as never), 'Did you mean lowercase?'],
    ['CharTokenizer', () => new CharTokenizer({ max_length: 5 } as never), 'Use maxLength'],
    [
      'BPETokenizer',
      () => new BPETokenizer([], { special_tokens: ['<pad>'] } as never),
      "unknown option 'special_tokens'",
    ],
    ['BPETokenizer.train', () => BPETokenizer.train(['ab'], { vocab_size: 300 } as never), 'Use vocabSize'],
    [
      'BPETokenizer.decode',
      () => bpe.decode([1], { skip_special_tokens: true } as never),
      "unknown option 'skip_special_tokens'",
    ],
    ['addingProblem', () => addingProblem(2, 4, { batch_first: false } as never), 'Use batchFirst'],
    ['copyTask', () => copyTask(2, 30, { copy_length: 3 } as never), 'Use copyLength'],
    [
      'readCsv',
      () => readCsv('x.csv', { textColumn: 'text', labelColumn: 'label', has_header: true } as never),
      "unknown option 'has_header'",
    ],
    [
      'readTsv',
      () => readTsv('x.tsv', { text_column: 'text', labelColumn: 'label' } as never),
      'Use textColumn',
    ],
    [
      'readJsonl',
      () => readJsonl('x.jsonl', { textColumn: 'text', labelColumn: 'label', on_error: 'skip' } as never),
      'Use onError',
    ],
    ['readFolder', () => readFolder('.', { labels: 'integer' } as never), "unknown option 'labels'"],
  ])('%s', (op, fn, hint) => {
    const message = messageOf(fn);
    expect(message.startsWith(`${op}: expected`)).toBe(true);
    expect(message).toContain(hint);
  });

  test('valid options still work', () => {
    expect(vocab.encode(['a', 'zz'], {})).toEqual([2, 1]);
    expect([...new DataLoader([1, 2, 3], { batchSize: 2, dropLast: true })]).toEqual([[1, 2]]);
    const trained = BPETokenizer.train(['abab abab'], {
      vocabSize: 260,
      minFrequency: 2,
      specials: ['<pad>'],
    });
    expect(trained.merges).toEqual(bpe.merges); // the same as with the defaults
    expect(trained.merges.length).toBeGreaterThan(0);
  });
});
