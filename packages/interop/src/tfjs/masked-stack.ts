/**
 * A Keras `Embedding(mask_zero=True)` and the layers up to its last recurrent layer, run with
 * Keras's masking: a recurrent layer skips the steps whose id is 0 (its state is carried through
 * them unchanged), so each sequence is run over its unmasked steps only, in order.
 *
 * seqlab does this with packed sequences: the unmasked steps of each row are gathered to the left
 * (a row of ids [0, 5, 0, 7, 9] runs as [5, 7, 9]) and packed with their counts as lengths; per-step
 * layers in between (Dense, Activation, Dropout) run on the packed rows, and the last recurrent
 * layer's final states are the output. A row with no unmasked step gives zeros (the initial state),
 * as Keras does. Exact for any mask, padding before or after, or zeros in between.
 */
import { type Embedding, type Linear, Module, Sequential } from '@seqlab/layers';
import {
  assertTensor,
  cat,
  DTypeError,
  formatShape,
  indexSelect,
  PackedSequence,
  packPaddedSequence,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { type KerasActivationModule, KerasRecurrent } from './glue';

/** What may sit between the Embedding and the last recurrent layer. */
export type MaskedStackLayer = KerasRecurrent | Linear | KerasActivationModule | Module;

export class KerasMaskedStack extends Module {
  readonly embedding: Embedding;
  /** The layers after the Embedding, the last one a KerasRecurrent with returnSequences false. */
  readonly layers: Sequential;

  constructor(embedding: Embedding, layers: MaskedStackLayer[]) {
    super();
    this.embedding = this.registerModule('embedding', embedding);
    this.layers = this.registerModule(
      'layers',
      new Sequential(...(layers as (Module & { forward(x: Tensor): Tensor })[])),
    );
  }

  forward(ids: Tensor): Tensor {
    // ids [B, T] (0 = masked) -> [B, D*H] of the last recurrent layer
    const op = `${this.constructor.name}.forward`;
    assertTensor(op, ids, 'ids');
    if (ids.dtype !== 'int32') throw new DTypeError(op, 'int32 token ids', ids.dtype);
    if (ids.ndim !== 2) throw new ShapeError(op, 'ids of shape [B, T]', formatShape(ids.shape));
    const [B, T] = ids.shape;
    const x = this.embedding.forward(ids); // [B, T, E]
    const E = x.shape[2];
    const layers = this.layers.layers;
    const last = layers[layers.length - 1] as KerasRecurrent;
    const outFeatures = last.rnn.numDirections * last.rnn.hiddenSize;

    // The unmasked steps of each row, gathered to the left; rows with none are left out.
    const kept: number[] = [];
    const lengths: number[] = [];
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let t = 0; t < T; t++) if (ids.data[b * T + t] !== 0) n++;
      if (n > 0) {
        kept.push(b);
        lengths.push(n);
      }
    }
    if (kept.length === 0) return zeros([B, outFeatures]);
    const L = Math.max(...lengths);
    const index = new Int32Array(kept.length * L);
    kept.forEach((b, k) => {
      let j = 0;
      for (let t = 0; t < T; t++) if (ids.data[b * T + t] !== 0) index[k * L + j++] = b * T + t;
      index.fill(b * T, k * L + j, (k + 1) * L); // past the row's length: any row, never read
    });
    const rows = indexSelect(x.reshape([B * T, E]), 0, tensor(index, { dtype: 'int32' }));
    let packed = packPaddedSequence(rows.reshape([kept.length, L, E]), lengths, {
      batchFirst: true,
      enforceSorted: false,
    });
    for (const layer of layers.slice(0, -1)) {
      packed =
        layer instanceof KerasRecurrent
          ? layer.rnn.forward(packed).output
          : new PackedSequence(
              layer.forward(packed.data),
              packed.batchSizes,
              packed.sortedIndices,
              packed.unsortedIndices,
            );
    }
    // hN [D, Bk, H] -> [Bk, D*H], each row's state after its last unmasked step.
    const hN = last.rnn.forward(packed).hN;
    const out = hN.transpose(0, 1).reshape([kept.length, outFeatures]);
    if (kept.length === B) return out;
    // Rows with no unmasked step: zeros, the initial state.
    const where = new Int32Array(B).fill(kept.length);
    kept.forEach((b, k) => {
      where[b] = k;
    });
    return indexSelect(cat([out, zeros([1, outFeatures])], 0), 0, tensor(where, { dtype: 'int32' }));
  }
}
