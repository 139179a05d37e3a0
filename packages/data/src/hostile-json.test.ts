// The JSON loaders of @seqlab/data (Vocab, BPETokenizer, LabelMap) on parsed values someone sent:
// nested thousands deep or megabytes long, every field in turn. Each is a FormatError with a short
// message, never a RangeError from a JSON.stringify in the message.
import { FormatError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { BPETokenizer, LabelMap, packCollate, Vocab } from './index';

const deep = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) as unknown;
const long = 'x'.repeat(5_000_000);

const vocab = new Vocab(['<pad>', '<unk>', 'a']).toJSON() as unknown as Record<string, unknown>;
const bpe = new BPETokenizer().toJSON() as unknown as Record<string, unknown>;
const labels = new LabelMap(['neg', 'pos']).toJSON() as unknown as Record<string, unknown>;

const loaders: [string, (json: unknown) => unknown, Record<string, unknown>][] = [
  ['Vocab.fromJSON', (j) => Vocab.fromJSON(j), vocab],
  ['BPETokenizer.fromJSON', (j) => BPETokenizer.fromJSON(j), bpe],
  ['LabelMap.fromJSON', (j) => LabelMap.fromJSON(j), labels],
];

describe.each(loaders)('%s', (op, load, good) => {
  const fields = [...Object.keys(good), 'whole'];
  it.each(fields)('a value nested 5,000 deep or 5 MB long in %s', (field) => {
    for (const bad of [deep, long, [deep], { [long]: long }]) {
      const json = field === 'whole' ? bad : { ...good, [field]: bad };
      let caught: unknown;
      try {
        load(json);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${op} ${field}`).toBeInstanceOf(FormatError);
      expect((caught as Error).message.length).toBeLessThan(600);
    }
  });
});

describe('nested values inside the lists', () => {
  it('an itos entry, a special, a merge or an id that is nested 5,000 deep', () => {
    expect(() => Vocab.fromJSON({ ...vocab, itos: ['<pad>', '<unk>', deep] })).toThrow(FormatError);
    expect(() => Vocab.fromJSON({ ...vocab, specials: ['<pad>', deep] })).toThrow(FormatError);
    expect(() => BPETokenizer.fromJSON({ ...bpe, merges: [deep] })).toThrow(FormatError);
    expect(() => BPETokenizer.fromJSON({ ...bpe, specials: [deep] })).toThrow(FormatError);
    expect(() => LabelMap.fromJSON({ ...labels, ids: { a: deep } })).toThrow(FormatError);
    expect(() => LabelMap.fromJSON({ ...labels, ids: { [long]: deep } })).toThrow(/got "xxxx/);
  });
});

describe('collate on an example parsed from a hostile file', () => {
  it('names the example briefly', () => {
    const example = { ids: null, label: 0, meta: deep } as unknown as { ids: number[]; label: number };
    expect(() => packCollate()([example])).toThrow(
      /expected examples with an ids array, got \{"ids":null,"label":0,"meta":\[\[\[…\]\]\]\} at batch position 0/,
    );
  });
});
