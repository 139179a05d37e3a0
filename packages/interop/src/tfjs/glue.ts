/**
 * Thin modules that give seqlab layers Keras's calling conventions inside an imported Sequential:
 * a recurrent layer that returns the whole sequence or only its last output and may read its input
 * backwards, an activation by name, and a guard for ids a Keras `mask_zero` Embedding would mask.
 */
import type { GRU, LSTM, RNN } from '@seqlab/layers';
import { Module } from '@seqlab/layers';
import { assertTensor, ConfigError, flip, formatShape, ShapeError, type Tensor } from '@seqlab/tensor';
import type { KerasActivation } from './keras-config';

/**
 * A Keras recurrent layer (or its Bidirectional wrapper, merge_mode concat) around a seqlab RNN,
 * LSTM or GRU with `batchFirst: true` and one layer, registered as `rnn` (so its state dict keys
 * are PyTorch's, under `rnn.`).
 *
 * - `goBackwards`: the input is read last step first and the outputs stay in that processing order
 *   (Keras does not flip them back), so output step t is the state after x[T−1], …, x[T−1−t].
 * - `returnSequences: false`: the last output, [B, D·H]: for each direction its final hidden state
 *   (for the reverse direction of a Bidirectional that is the state after x[0], not output step T−1).
 */
export class KerasRecurrent extends Module {
  readonly rnn: RNN | LSTM | GRU;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;

  constructor(rnn: RNN | LSTM | GRU, options: { returnSequences: boolean; goBackwards: boolean }) {
    super();
    this.rnn = this.registerModule('rnn', rnn);
    this.returnSequences = options.returnSequences;
    this.goBackwards = options.goBackwards;
  }

  forward(x: Tensor): Tensor {
    // x [B, T, I] -> [B, T, D*H] (returnSequences) | [B, D*H]
    const op = `${this.constructor.name}.forward`;
    assertTensor(op, x);
    if (x.ndim !== 3) {
      throw new ShapeError(op, `input of shape [B, T, ${this.rnn.inputSize}]`, formatShape(x.shape));
    }
    const { output, hN } = this.rnn.forward(this.goBackwards ? flip(x, 1) : x);
    if (this.returnSequences) return output;
    // hN [D, B, H] -> [B, D*H], directions side by side as Keras concatenates them.
    const [D, B, H] = hN.shape;
    return hN.transpose(0, 1).reshape([B, D * H]);
  }
}

/** A Keras activation by name (a `Dense`'s `activation`, or an `Activation` layer); softmax over the last axis. */
export class KerasActivationModule extends Module {
  readonly activation: KerasActivation;

  constructor(activation: KerasActivation) {
    super();
    this.activation = activation;
  }

  forward(x: Tensor): Tensor {
    // x [*] -> [*]
    assertTensor(`${this.constructor.name}.forward`, x);
    switch (this.activation) {
      case 'linear':
        return x;
      case 'relu':
        return x.relu();
      case 'tanh':
        return x.tanh();
      case 'sigmoid':
        return x.sigmoid();
      case 'softmax':
        return x.softmax(x.ndim - 1);
    }
  }
}

/**
 * Passes ids through, refusing id 0 when the Keras Embedding had `mask_zero: true` and the layers
 * after it cannot be run with Keras's masking (see KerasMaskedStack: a last recurrent layer with
 * return_sequences, or one with go_backwards), so the result would differ from Keras's. Ids without
 * a 0 give Keras's output.
 */
export class RefuseMaskedIds extends Module {
  readonly embedding: string;

  constructor(embedding: string) {
    super();
    this.embedding = embedding;
  }

  forward(ids: Tensor): Tensor {
    // ids [B, T] -> ids [B, T]
    const op = `${this.constructor.name}.forward`;
    assertTensor(op, ids, 'ids');
    for (let i = 0; i < ids.numel; i++) {
      if (ids.data[i] === 0) {
        throw new ConfigError(
          op,
          `ids without 0 (Embedding "${this.embedding}" has mask_zero=true)`,
          `id 0 at flat position ${i} of ids of shape ${formatShape(ids.shape)}`,
          'Keras skips masked steps in the recurrent layers; the imported model masks only when its last recurrent layer has return_sequences=false and none has go_backwards',
        );
      }
    }
    return ids;
  }
}
