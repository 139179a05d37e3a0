import {
  ConfigError,
  checkOptions,
  formatValue,
  optionKeys,
  type PackedSequence,
  packSequence,
  padSequence,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import type { EncodedExample } from './dataset';

/**
 * How much of a batch is padding. `padCollate` and `packCollate` report it, and `DataLoader` sums
 * it over an epoch (`DataLoader.stats`).
 */
export interface PaddingStats {
  /** Real tokens in the batch: Σ lengths. */
  numTokens: number;
  /** Token slots the batch occupies: B × T when padded, Σ lengths when packed. */
  numSlots: number;
}

/** A padded batch from `padCollate`. */
export interface PaddedBatch extends PaddingStats {
  /** Token ids, int32 [T, B] (or [B, T] with `batchFirst`), padded with `paddingValue`. */
  input: Tensor;
  /** Each sequence's length, int32 [B], in batch order (what `packPaddedSequence` takes). */
  lengths: Tensor;
  /** Class ids, int32 [B]. */
  labels: Tensor;
}

/** A packed batch from `packCollate`. */
export interface PackedBatch extends PaddingStats {
  /** Token ids packed time step by time step (`data` int32 [Σ lengths]); no padded steps at all. */
  input: PackedSequence;
  /** Each sequence's length, int32 [B], in the caller's batch order. */
  lengths: Tensor;
  /** Class ids, int32 [B], in the caller's batch order (packing keeps it: see `unsortedIndices`). */
  labels: Tensor;
}

/** Options of `padCollate`. */
export interface PadCollateOptions {
  /** Give `input` as [B, T] instead of [T, B]. Default false, as PyTorch. */
  batchFirst?: boolean;
  /** Id written into padded slots. Default 0 (`Vocab`'s `<pad>`). */
  paddingValue?: number;
}
const PAD_COLLATE_KEYS = optionKeys<PadCollateOptions>({ batchFirst: true, paddingValue: true });

/**
 * A collate function that pads a list of encoded examples to the longest one (`padSequence`).
 *
 * @example
 * ```ts
 * const collate = padCollate({ batchFirst: true });
 * const batch = collate([{ ids: [5, 6, 7], label: 1 }, { ids: [8], label: 0 }]);
 * batch.input.toArray();  // [[5, 6, 7], [8, 0, 0]]
 * batch.numSlots;         // 6 (4 real tokens, 2 padded)
 * ```
 */
export function padCollate(
  options: PadCollateOptions = {},
): (batch: readonly EncodedExample[]) => PaddedBatch {
  checkOptions('padCollate', options, PAD_COLLATE_KEYS);
  const batchFirst = options.batchFirst ?? false;
  const paddingValue = options.paddingValue ?? 0;
  if (!Number.isInteger(paddingValue)) {
    throw new ConfigError('padCollate', 'an integer paddingValue (a token id)', `${paddingValue}`);
  }
  return (batch) => {
    const { sequences, lengths, labels, numTokens } = unpack('padCollate', batch);
    const input = padSequence(sequences, { batchFirst, paddingValue });
    const T = Math.max(...lengths);
    return { input, lengths: tensor(lengths), labels: tensor(labels), numTokens, numSlots: batch.length * T };
  };
}

/**
 * A collate function that packs a list of encoded examples (`packSequence` with
 * `enforceSorted: false`, so the batch keeps its order and `unsortedIndices` restores it). Every
 * example needs at least one token.
 *
 * @example
 * ```ts
 * const batch = packCollate()([{ ids: [5, 6, 7], label: 1 }, { ids: [8], label: 0 }]);
 * Array.from(batch.input.batchSizes); // [2, 1, 1]
 * batch.input.data.toArray();         // [5, 8, 6, 7]
 * ```
 */
export function packCollate(): (batch: readonly EncodedExample[]) => PackedBatch {
  return (batch) => {
    const { sequences, lengths, labels, numTokens } = unpack('packCollate', batch);
    const empty = lengths.indexOf(0);
    if (empty >= 0) {
      throw new ConfigError(
        'packCollate',
        'every example to have at least one token',
        `an empty one at batch position ${empty}`,
        'Encode empty texts as [<unk>] (Vocab.encode emptyAsUnk) or drop them',
      );
    }
    const input = packSequence(sequences, { enforceSorted: false });
    return { input, lengths: tensor(lengths), labels: tensor(labels), numTokens, numSlots: numTokens };
  };
}

function unpack(
  op: string,
  batch: readonly EncodedExample[],
): { sequences: Tensor[]; lengths: Int32Array; labels: Int32Array; numTokens: number } {
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new ConfigError(
      op,
      'a non-empty list of examples',
      Array.isArray(batch) ? 'an empty list' : typeof batch,
    );
  }
  const lengths = new Int32Array(batch.length);
  const labels = new Int32Array(batch.length);
  const sequences: Tensor[] = [];
  let numTokens = 0;
  for (const [i, example] of batch.entries()) {
    const ids = example?.ids;
    if (!(Array.isArray(ids) || ids instanceof Int32Array)) {
      throw new ConfigError(
        op,
        'examples with an ids array',
        `${formatValue(example, 40)} at batch position ${i}`,
      );
    }
    const data = ids instanceof Int32Array ? ids : Int32Array.from(ids);
    if (!(ids instanceof Int32Array) && ids.some((v, k) => v !== data[k])) {
      throw new ConfigError(
        op,
        'integer token ids in int32 range',
        `ids [${ids.slice(0, 8).join(', ')}…] at batch position ${i}`,
      );
    }
    if (!Number.isInteger(example.label)) {
      throw new ConfigError(op, 'an integer label', `${example.label} at batch position ${i}`);
    }
    sequences.push(tensor(data, { dtype: 'int32' }));
    lengths[i] = data.length;
    labels[i] = example.label;
    numTokens += data.length;
  }
  return { sequences, lengths, labels, numTokens };
}
