/**
 * Golden tests of packing and padding against PyTorch 1.13 (torch.nn.utils.rnn), forward and
 * backward. The numbers come from `/usr/bin/python3 tools/fixtures/gen_sequence.py`, which writes
 * packages/tensor/fixtures/sequence/pack.safetensors: per case the inputs, PyTorch's outputs, a
 * random weight per output and the gradients of sum(w * out).
 */
import {
  getBackend,
  listBackends,
  mul,
  PackedSequence,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
  setBackend,
  sum,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import { expectClose, leaf, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const fixture = loadFixture(new URL('../../fixtures/sequence/pack.safetensors', import.meta.url));
type Case = { name: string; op: string; args: Record<string, number | boolean | null> };
const cases = fixture.json<Case[]>('cases');

const ints = (t: Tensor) => Array.from(t.data);

function checkPacked(name: string, packed: PackedSequence): void {
  expect(Array.from(packed.batchSizes)).toEqual(ints(fixture.get(`${name}/batch_sizes`)));
  if (fixture.has(`${name}/sorted_indices`)) {
    expect(Array.from(packed.sortedIndices ?? [])).toEqual(ints(fixture.get(`${name}/sorted_indices`)));
    expect(Array.from(packed.unsortedIndices ?? [])).toEqual(ints(fixture.get(`${name}/unsorted_indices`)));
  } else {
    expect(packed.sortedIndices).toBeNull();
  }
  expectClose(packed.data, fixture.get(`${name}/data`));
}

// Once per registered backend, selected for the describe's tests and restored after them.
describe.each(listBackends())('[%s backend] packing and padding match PyTorch 1.13', (backendName) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(backendName));
  afterAll(() => setBackend(initial));

  test.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const w = (role: string) => fixture.get(`${name}/w_${role}`);
    if (c.op === 'packPaddedSequence') {
      const x = leaf(fixture.get(`${name}/x`));
      const packed = packPaddedSequence(x, ints(fixture.get(`${name}/lengths`)), {
        batchFirst: c.args.batchFirst as boolean,
        enforceSorted: c.args.enforceSorted as boolean,
      });
      checkPacked(name, packed);
      sum(mul(packed.data, w('data'))).backward();
      expectClose(x.grad!, fixture.get(`${name}/grad_x`));
    } else if (c.op === 'padPackedSequence') {
      const structure = packPaddedSequence(fixture.get(`${name}/x`), ints(fixture.get(`${name}/lengths`)), {
        enforceSorted: false,
      });
      const data = leaf(fixture.get(`${name}/data`));
      const [padded, lengths] = padPackedSequence(structure.withData(data), {
        batchFirst: c.args.batchFirst as boolean,
        paddingValue: c.args.paddingValue as number,
        ...(c.args.totalLength === null ? {} : { totalLength: c.args.totalLength as number }),
      });
      expectClose(padded, fixture.get(`${name}/padded`));
      expect(ints(lengths)).toEqual(ints(fixture.get(`${name}/out_lengths`)));
      sum(mul(padded, w('padded'))).backward();
      expectClose(data.grad!, fixture.get(`${name}/grad_data`));
    } else {
      const seqs = Array.from({ length: c.args.count as number }, (_, i) =>
        leaf(fixture.get(`${name}/seq${i}`)),
      );
      let out: Tensor;
      if (c.op === 'padSequence') {
        out = padSequence(seqs, {
          batchFirst: c.args.batchFirst as boolean,
          paddingValue: c.args.paddingValue as number,
        });
        expectClose(out, fixture.get(`${name}/padded`));
        sum(mul(out, w('padded'))).backward();
      } else {
        const packed = packSequence(seqs, { enforceSorted: c.args.enforceSorted as boolean });
        checkPacked(name, packed);
        sum(mul(packed.data, w('data'))).backward();
      }
      for (const [i, s] of seqs.entries()) expectClose(s.grad!, fixture.get(`${name}/grad_seq${i}`));
    }
  });
});

describe('packing rejects bad input (never a silent read past the end)', () => {
  const x = tensor(new Float32Array(3 * 2 * 4), { shape: [3, 2, 4] }); // T=3, B=2
  test.each([
    [
      'a zero length',
      () => packPaddedSequence(x, [3, 0]),
      'packPaddedSequence: expected every length ≥ 1, got length 0 at position 1',
    ],
    [
      'a length beyond T',
      () => packPaddedSequence(x, [4, 1]),
      'packPaddedSequence: expected lengths ≤ T=3, got max length 4. Pad to the longest sequence first',
    ],
    [
      'the wrong lengths count',
      () => packPaddedSequence(x, [3, 2, 1]),
      'packPaddedSequence: expected 2 lengths (one per sequence in the batch, batchFirst=false), got 3',
    ],
    [
      'unsorted lengths with enforceSorted',
      () => packPaddedSequence(x, [1, 3]),
      'packPaddedSequence: expected lengths sorted in decreasing order (enforceSorted=true), got [1, 3]. Pass enforceSorted: false',
    ],
    [
      'totalLength below the longest',
      () => padPackedSequence(packPaddedSequence(x, [3, 1]), { totalLength: 2 }),
      'padPackedSequence: expected totalLength ≥ the longest sequence (3), got 2',
    ],
    [
      'ragged feature sizes',
      () => padSequence([tensor([[1, 2]]), tensor([[1, 2, 3]])]),
      'padSequence: expected sequences of shape [L, 2], got [1, 3] at position 1',
    ],
    [
      'an empty list',
      () => padSequence([]),
      'padSequence: expected at least one sequence, got an empty list',
    ],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });

  test('PackedSequence validates its invariants', () => {
    expect(() => new PackedSequence(tensor([1, 2, 3]), Int32Array.from([1, 2]))).toThrow(
      /positive, non-increasing batch sizes/,
    );
    expect(() => new PackedSequence(tensor([1, 2]), Int32Array.from([2, 1]))).toThrow(/data with 3 rows/);
  });

  test('lengths() and offsets() describe the worked example abc + x -> a x b c', () => {
    const packed = packSequence([tensor([1, 2, 3]), tensor([9])]);
    expect(Array.from(packed.data.data)).toEqual([1, 9, 2, 3]);
    expect(Array.from(packed.batchSizes)).toEqual([2, 1, 1]);
    expect(Array.from(packed.offsets())).toEqual([0, 2, 3]);
    expect(Array.from(packed.lengths())).toEqual([3, 1]);
    const unsorted = packSequence([tensor([9]), tensor([1, 2, 3])], { enforceSorted: false });
    expect(Array.from(unsorted.lengths())).toEqual([1, 3]);
  });
});
