import { formatShape, ShapeError } from '../errors';
import type { Tensor } from '../tensor';

/** Every PackedSequence constructed: what isPackedSequence asks, with no reference to the class. */
const constructed = new WeakSet<object>();

/**
 * A batch of variable-length sequences packed time step by time step, so recurrent layers skip
 * padding (torch.nn.utils.rnn.PackedSequence). Build one with `packPaddedSequence` or
 * `packSequence`; turn it back into a padded tensor with `padPackedSequence`.
 *
 * NOTE(packed-batch-sizes): the sequences are sorted by decreasing length; `data` holds, for
 * each time step t in turn, the t-th element of every sequence longer than t, and
 * `batchSizes[t]` is how many those are. So the rows of step t are `data[offset_t :
 * offset_t + batchSizes[t]]` with offset_t = Σ_{s<t} batchSizes[s], and the first batchSizes[t]
 * sorted sequences are exactly the ones still running at t. Worked example: the sequences `abc`
 * and `x` pack to data `a x b c` with batchSizes `[2, 1, 1]`.
 *
 * Invariants: batchSizes is non-increasing, batchSizes[0] is the batch size B, Σ batchSizes =
 * data.shape[0]; `sortedIndices[j]` is the caller's batch index of the j-th longest sequence and
 * `unsortedIndices` its inverse (`unsortedIndices[sortedIndices[j]] = j`); both are null when
 * the input was already sorted (`enforceSorted: true`).
 */
export class PackedSequence {
  /** The packed elements, [N, *] with N = Σ lengths. */
  readonly data: Tensor;
  /** Number of sequences still running at each time step; length = the longest sequence. */
  readonly batchSizes: Int32Array;
  /** Caller's batch index of each sorted sequence, or null when the batch came sorted. */
  readonly sortedIndices: Int32Array | null;
  /** Sorted position of each of the caller's sequences (inverse of sortedIndices), or null. */
  readonly unsortedIndices: Int32Array | null;

  constructor(
    data: Tensor,
    batchSizes: Int32Array,
    sortedIndices: Int32Array | null = null,
    unsortedIndices: Int32Array | null = null,
  ) {
    let total = 0;
    for (let t = 0; t < batchSizes.length; t++) {
      if (batchSizes[t] <= 0 || (t > 0 && batchSizes[t] > batchSizes[t - 1])) {
        throw new ShapeError(
          'PackedSequence',
          'positive, non-increasing batch sizes',
          `[${Array.from(batchSizes).join(', ')}]`,
        );
      }
      total += batchSizes[t];
    }
    if (data.ndim === 0 || data.shape[0] !== total) {
      throw new ShapeError(
        'PackedSequence',
        `data with ${total} rows (the sum of batchSizes)`,
        formatShape(data.shape),
      );
    }
    if (sortedIndices && !unsortedIndices) unsortedIndices = invertPermutation(sortedIndices);
    const batch = batchSizes.length > 0 ? batchSizes[0] : 0;
    for (const [name, perm] of [
      ['sortedIndices', sortedIndices],
      ['unsortedIndices', unsortedIndices],
    ] as const) {
      if (perm && (perm.length !== batch || !isPermutation(perm))) {
        throw new ShapeError(
          'PackedSequence',
          `${name} a permutation of 0..${batch - 1}`,
          `[${Array.from(perm).join(', ')}]`,
        );
      }
    }
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices;
    constructed.add(this);
  }

  /** Number of sequences B. */
  get batchSize(): number {
    return this.batchSizes.length > 0 ? this.batchSizes[0] : 0;
  }

  /** Length of the longest sequence. */
  get maxLength(): number {
    return this.batchSizes.length;
  }

  /** Each sequence's length, in the caller's original batch order. */
  lengths(): Int32Array {
    const sorted = new Int32Array(this.batchSize);
    for (let t = 0; t < this.batchSizes.length; t++) for (let j = 0; j < this.batchSizes[t]; j++) sorted[j]++;
    if (!this.unsortedIndices) return sorted;
    const out = new Int32Array(sorted.length);
    for (let b = 0; b < out.length; b++) out[b] = sorted[this.unsortedIndices[b]];
    return out;
  }

  /** Row offset in `data` of the first element of each time step (NOTE(packed-batch-sizes)). */
  offsets(): Int32Array {
    const out = new Int32Array(this.batchSizes.length);
    for (let t = 1; t < out.length; t++) out[t] = out[t - 1] + this.batchSizes[t - 1];
    return out;
  }

  /** The same packing structure around new data (e.g. a layer's output), as PyTorch's `_replace`. */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }
}

/**
 * Whether `value` is a PackedSequence: one the class (or a subclass) constructed. What a function
 * taking a tensor or a PackedSequence asks (the recurrent layers of @seqlab/layers do) instead of
 * `instanceof PackedSequence`, which refers to the class: a browser bundle that never makes a
 * PackedSequence then carries no code of it.
 */
export function isPackedSequence(value: unknown): value is PackedSequence {
  return constructed.has(value as object);
}

/** The inverse of a permutation. */
export function invertPermutation(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

function isPermutation(perm: Int32Array): boolean {
  const seen = new Uint8Array(perm.length);
  for (const v of perm) {
    if (v < 0 || v >= perm.length || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
