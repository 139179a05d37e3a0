import { assertTensor, assertTensorList } from '../check-tensor';
import { full, tensor } from '../creation';
import { describeValue } from '../describe-value';
import { ConfigError, formatShape, ShapeError } from '../errors';
import { indexSelect } from '../ops/indexing';
import { cat, reshape } from '../ops/movement';
import { checkOptions, optionKeys } from '../options';
import { Tensor } from '../tensor';
import { invertPermutation, PackedSequence } from './packed-sequence';

/** Sequence lengths as accepted by the packing functions. */
export type Lengths = readonly number[] | Int32Array | Tensor;

function lengthsArray(op: string, lengths: Lengths): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1) throw new ShapeError(op, 'a 1-D lengths tensor', formatShape(lengths.shape));
    return Array.from(lengths.data);
  }
  return Array.from(lengths);
}

/** Options of `packPaddedSequence`. */
export interface PackOptions {
  /** Input is [B, T, *] instead of [T, B, *]. Default false, as PyTorch. */
  batchFirst?: boolean;
  /** Require lengths sorted in decreasing order (default true, as PyTorch); false sorts them for you. */
  enforceSorted?: boolean;
}
const PACK_KEYS = /* @__PURE__ */ optionKeys<PackOptions>({ batchFirst: true, enforceSorted: true });

/**
 * Packs a padded batch (torch.nn.utils.rnn.pack_padded_sequence): input [T, B, *] (or [B, T, *]
 * with `batchFirst`) and each sequence's length give a PackedSequence that recurrent layers run
 * without touching padding. Gradients flow back to the padded input (0 at padded positions).
 *
 * Porting note: zero lengths, lengths longer than T and a lengths count different from B throw
 * here; PyTorch 1.13 can silently read past the end for some of these.
 *
 * @example
 * ```ts
 * const x = randn([2, 3, 8]);                         // B=2, T=3, I=8
 * const packed = packPaddedSequence(x, [1, 3], { batchFirst: true, enforceSorted: false });
 * Array.from(packed.batchSizes);                      // [2, 1, 1]
 * ```
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: Lengths,
  options: PackOptions = {},
): PackedSequence {
  const op = 'packPaddedSequence';
  assertTensor(op, input);
  checkOptions(op, options, PACK_KEYS);
  const batchFirst = options.batchFirst ?? false;
  const enforceSorted = options.enforceSorted ?? true;
  if (input.ndim < 2) {
    throw new ShapeError(
      op,
      `input of shape ${batchFirst ? '[B, T, *]' : '[T, B, *]'}`,
      formatShape(input.shape),
    );
  }
  const T = input.shape[batchFirst ? 1 : 0];
  const B = input.shape[batchFirst ? 0 : 1];
  const lens = lengthsArray(op, lengths);
  if (lens.length !== B) {
    throw new ShapeError(
      op,
      `${B} lengths (one per sequence in the batch, batchFirst=${batchFirst})`,
      `${lens.length}`,
    );
  }
  for (const [i, l] of lens.entries()) {
    if (!Number.isInteger(l) || l <= 0) {
      throw new ShapeError(
        op,
        'every length ≥ 1',
        `length ${l} at position ${i}`,
        'Drop empty sequences before packing',
      );
    }
    if (l > T) {
      throw new ShapeError(
        op,
        `lengths ≤ T=${T}`,
        `max length ${Math.max(...lens)}`,
        'Pad to the longest sequence first',
      );
    }
  }
  let sortedIndices: Int32Array | null = null;
  if (enforceSorted) {
    for (let i = 1; i < B; i++) {
      if (lens[i] > lens[i - 1]) {
        throw new ConfigError(
          op,
          'lengths sorted in decreasing order (enforceSorted=true)',
          `[${lens.join(', ')}]`,
          'Pass enforceSorted: false to sort them',
        );
      }
    }
  } else {
    // Stable sort by decreasing length.
    sortedIndices = Int32Array.from(lens.map((_, i) => i).sort((a, b) => lens[b] - lens[a] || a - b));
  }
  const order = sortedIndices ?? Int32Array.from(lens.map((_, i) => i));
  const maxLen = lens[order[0]];
  const batchSizes = new Int32Array(maxLen);
  for (const l of lens) for (let t = 0; t < l; t++) batchSizes[t]++;
  // One gather of the packed rows out of the flattened input (see NOTE(packed-batch-sizes)).
  const rows: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    for (let j = 0; j < batchSizes[t]; j++) {
      const b = order[j];
      rows.push(batchFirst ? b * T + t : t * B + b);
    }
  }
  const feature = input.shape.slice(2);
  const flat = reshape(input, [T * B, ...feature]);
  const data = indexSelect(flat, 0, tensor(Int32Array.from(rows)));
  return new PackedSequence(
    data,
    batchSizes,
    sortedIndices,
    sortedIndices ? invertPermutation(sortedIndices) : null,
  );
}

/** Options of `padPackedSequence`. */
export interface PadPackedOptions {
  /** Return [B, T, *] instead of [T, B, *]. Default false. */
  batchFirst?: boolean;
  /** Value of the padded positions. Default 0. */
  paddingValue?: number;
  /** Pad to this length instead of the longest sequence (must be ≥ it). */
  totalLength?: number;
}
const PAD_PACKED_KEYS = /* @__PURE__ */ optionKeys<PadPackedOptions>({
  batchFirst: true,
  paddingValue: true,
  totalLength: true,
});

/**
 * Unpacks to a padded tensor (torch.nn.utils.rnn.pad_packed_sequence): returns `[padded,
 * lengths]` in the caller's original batch order, padded [T, B, *] (or [B, T, *]) and lengths an
 * int32 tensor. Differentiable with respect to `sequence.data`.
 */
export function padPackedSequence(
  sequence: PackedSequence,
  options: PadPackedOptions = {},
): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) {
    throw new ConfigError(
      op,
      'sequence to be a PackedSequence',
      describeValue(sequence),
      (sequence as unknown) instanceof Tensor
        ? 'It is padded already; pack it with packPaddedSequence first'
        : undefined,
    );
  }
  checkOptions(op, options, PAD_PACKED_KEYS);
  const batchFirst = options.batchFirst ?? false;
  const paddingValue = options.paddingValue ?? 0;
  const maxLen = sequence.maxLength;
  const T = options.totalLength ?? maxLen;
  if (!Number.isInteger(T) || T < maxLen) {
    throw new ShapeError(op, `totalLength ≥ the longest sequence (${maxLen})`, `${options.totalLength}`);
  }
  const B = sequence.batchSize;
  const { data, batchSizes, unsortedIndices } = sequence;
  const n = data.shape[0];
  const offsets = sequence.offsets();
  // Every output slot reads one row of [data; padding row]: its packed row, or row n (padding).
  const slots = new Int32Array(T * B).fill(n);
  for (let t = 0; t < maxLen; t++) {
    for (let b = 0; b < B; b++) {
      const j = unsortedIndices ? unsortedIndices[b] : b;
      if (j < batchSizes[t]) slots[batchFirst ? b * T + t : t * B + b] = offsets[t] + j;
    }
  }
  const feature = data.shape.slice(1);
  const padRow = full([1, ...feature], paddingValue, { dtype: data.dtype });
  const padded = indexSelect(cat([data, padRow], 0), 0, tensor(slots));
  const shape = batchFirst ? [B, T, ...feature] : [T, B, ...feature];
  return [reshape(padded, shape), tensor(sequence.lengths())];
}

/** Options of `padSequence`. */
export interface PadSequenceOptions {
  /** Return [B, T, *] instead of [T, B, *]. Default false, as PyTorch. */
  batchFirst?: boolean;
  /** Value of the padded positions. Default 0. */
  paddingValue?: number;
  /** Pad after each sequence ('right', default) or before it ('left'). */
  paddingSide?: 'right' | 'left';
}
const PAD_SEQUENCE_KEYS = /* @__PURE__ */ optionKeys<PadSequenceOptions>({
  batchFirst: true,
  paddingValue: true,
  paddingSide: true,
});

/**
 * Stacks sequences [L_i, *] into one padded tensor [T, B, *] (or [B, T, *]) with T = max L_i
 * (torch.nn.utils.rnn.pad_sequence). Differentiable with respect to every sequence.
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  const op = 'padSequence';
  assertTensorList(op, sequences, 'sequences');
  checkOptions(op, options, PAD_SEQUENCE_KEYS);
  if (sequences.length === 0) throw new ShapeError(op, 'at least one sequence', 'an empty list');
  const batchFirst = options.batchFirst ?? false;
  const left = (options.paddingSide ?? 'right') === 'left';
  const first = sequences[0];
  if (first.ndim === 0) throw new ShapeError(op, 'sequences of shape [L, *]', '0-d tensors');
  const feature = first.shape.slice(1);
  for (const [i, s] of sequences.entries()) {
    if (s.ndim !== first.ndim || s.shape.some((v, k) => k > 0 && v !== first.shape[k])) {
      throw new ShapeError(
        op,
        `sequences of shape [L, ${feature.join(', ')}]`.replace(', ]', ']'),
        `${formatShape(s.shape)} at position ${i}`,
      );
    }
  }
  const lens = sequences.map((s) => s.shape[0]);
  const T = Math.max(...lens);
  const B = sequences.length;
  const total = lens.reduce((a, b) => a + b, 0);
  const slots = new Int32Array(T * B).fill(total);
  let start = 0;
  for (let b = 0; b < B; b++) {
    const shift = left ? T - lens[b] : 0;
    for (let t = 0; t < lens[b]; t++) {
      const s = t + shift;
      slots[batchFirst ? b * T + s : s * B + b] = start + t;
    }
    start += lens[b];
  }
  const padRow = full([1, ...feature], options.paddingValue ?? 0, { dtype: first.dtype });
  const padded = indexSelect(cat([...sequences, padRow], 0), 0, tensor(slots));
  return reshape(padded, batchFirst ? [B, T, ...feature] : [T, B, ...feature]);
}

const PACK_SEQUENCE_KEYS = /* @__PURE__ */ optionKeys<{ enforceSorted?: boolean }>({ enforceSorted: true });

/**
 * Packs a list of sequences [L_i, *] (torch.nn.utils.rnn.pack_sequence): padSequence, then
 * packPaddedSequence with their lengths.
 */
export function packSequence(
  sequences: readonly Tensor[],
  options: { enforceSorted?: boolean } = {},
): PackedSequence {
  assertTensorList('packSequence', sequences, 'sequences');
  checkOptions('packSequence', options, PACK_SEQUENCE_KEYS);
  const padded = padSequence(sequences);
  return packPaddedSequence(
    padded,
    sequences.map((s) => s.shape[0]),
    { enforceSorted: options.enforceSorted ?? true },
  );
}
