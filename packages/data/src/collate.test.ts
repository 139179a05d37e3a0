import { ConfigError, padPackedSequence } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { type EncodedExample, packCollate, padCollate } from './index';

const batch: EncodedExample[] = [
  { ids: [5, 6], label: 0 },
  { ids: [7, 8, 9, 10], label: 1 },
  { ids: Int32Array.of(11), label: 1 },
];

describe('padCollate', () => {
  it('pads to the longest sequence, [T, B] by default (PyTorch layout)', () => {
    const out = padCollate()(batch);
    expect(out.input.dtype).toBe('int32');
    expect(out.input.shape).toEqual([4, 3]);
    expect(out.input.toArray()).toEqual([
      [5, 7, 11],
      [6, 8, 0],
      [0, 9, 0],
      [0, 10, 0],
    ]);
    expect(Array.from(out.lengths.data)).toEqual([2, 4, 1]);
    expect(Array.from(out.labels.data)).toEqual([0, 1, 1]);
    expect(out.labels.dtype).toBe('int32');
    expect([out.numTokens, out.numSlots]).toEqual([7, 12]);
  });

  it('gives [B, T] with batchFirst and writes paddingValue into the gaps', () => {
    const out = padCollate({ batchFirst: true, paddingValue: 3 })(batch);
    expect(out.input.toArray()).toEqual([
      [5, 6, 3, 3],
      [7, 8, 9, 10],
      [11, 3, 3, 3],
    ]);
  });

  it('rejects empty batches, bad ids and labels', () => {
    const collate = padCollate();
    expect(() => collate([])).toThrow(/padCollate: expected a non-empty list of examples, got an empty list/);
    expect(() => collate([{ ids: [1.5], label: 0 }])).toThrow(/integer token ids in int32 range/);
    expect(() => collate([{ ids: [1], label: 0.5 }])).toThrow(
      /expected an integer label, got 0.5 at batch position 0/,
    );
    expect(() => collate([{ label: 0 } as unknown as EncodedExample])).toThrow(ConfigError);
    expect(() => padCollate({ paddingValue: 0.5 })).toThrow(/integer paddingValue/);
  });
});

describe('packCollate', () => {
  it('packs without sorting the batch: data step by step, unsortedIndices restores order', () => {
    const out = packCollate()(batch);
    const packed = out.input;
    // Sorted by length: [7..10], [5, 6], [11] → step 0: 7 5 11, step 1: 8 6, step 2: 9, step 3: 10.
    expect(Array.from(packed.data.data)).toEqual([7, 5, 11, 8, 6, 9, 10]);
    expect(Array.from(packed.batchSizes)).toEqual([3, 2, 1, 1]);
    expect(Array.from(packed.sortedIndices ?? [])).toEqual([1, 0, 2]);
    expect(Array.from(packed.unsortedIndices ?? [])).toEqual([1, 0, 2]);
    const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
    expect(padded.toArray()).toEqual(padCollate({ batchFirst: true })(batch).input.toArray());
    expect(Array.from(lengths.data)).toEqual([2, 4, 1]);
    expect(Array.from(out.labels.data)).toEqual([0, 1, 1]);
    expect([out.numTokens, out.numSlots]).toEqual([7, 7]);
  });

  it('rejects an empty sequence with a hint', () => {
    expect(() =>
      packCollate()([
        { ids: [1], label: 0 },
        { ids: [], label: 1 },
      ]),
    ).toThrow(
      /packCollate: expected every example to have at least one token, got an empty one at batch position 1\. Encode empty texts/,
    );
  });
});
