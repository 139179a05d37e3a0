// isPackedSequence: what `instanceof PackedSequence` answers, for the values a recurrent layer is
// given, without a reference to the class (NOTE in packed-sequence.ts).
import { isPackedSequence, PackedSequence, packSequence, tensor } from '@seqlab/tensor';
import { expect, test } from 'vitest';

test('isPackedSequence: true for what the class (or a subclass) constructed, as instanceof', () => {
  const packed = packSequence([tensor([[1], [2], [3]]), tensor([[4]])]);
  class Tagged extends PackedSequence {}
  const values: unknown[] = [
    packed,
    packed.withData(packed.data.mul(2)),
    new PackedSequence(tensor([[1], [2]]), new Int32Array([1, 1])),
    new Tagged(tensor([[1], [2]]), new Int32Array([2])),
    // Look-alikes: the fields, or the prototype without the constructor, are not one.
    { data: packed.data, batchSizes: packed.batchSizes, sortedIndices: null, unsortedIndices: null },
    packed.data,
    null,
    undefined,
    3,
    'packed',
  ];
  expect(values.map(isPackedSequence)).toEqual([
    true,
    true,
    true,
    true,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  for (const value of values.slice(0, 6))
    expect(isPackedSequence(value)).toBe(value instanceof PackedSequence);
  expect(isPackedSequence(Object.create(PackedSequence.prototype))).toBe(false);
});
