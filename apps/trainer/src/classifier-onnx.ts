import type { TextClassifier } from '@seqlab/classifier';
import type { LSTM } from '@seqlab/layers';
import { addEmbedding, addLinear, addRecurrent, addTensorModule, OnnxGraph } from '@seqlab/onnx';

// ONNX's TensorProto.DataType.FLOAT, for Cast's `to`.
const FLOAT = 1;

/**
 * The text classifier as an ONNX model with the inputs a serving system has: `input_ids` (int64
 * [batch, sequence], the run's token ids padded with 0 = <pad>) and `lengths` (int32 [batch]), and
 * the outputs `logits` and `probabilities` ([batch, classes], the run's label order). The
 * recurrent layers are ONNX's own operators with `sequence_lens`, so padding is never read, as in
 * seqlab's packed forward; the bag model averages the embeddings of the non-padding ids.
 */
export function classifierToOnnx(model: TextClassifier, numClasses: number, opset?: number): Uint8Array {
  const g = new OnnxGraph('seqlab_text_classifier');
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const lengths = g.input('lengths', 'int32', ['batch']);
  const embedded = addEmbedding(g, model.embedding, ids); // [B, T, E]
  let logits: string;
  if (model.mlp) {
    // mean over the real tokens: sum(emb * (ids != 0)) / length
    const zero = g.initializer('pad_id', [0], 'int64', []);
    const mask = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, zero])])], { to: FLOAT });
    const axis2 = g.initializer('axis_last', [2], 'int64');
    const axis1 = g.initializer('axis_time', [1], 'int64');
    const summed = g.op('ReduceSum', [g.op('Mul', [embedded, g.op('Unsqueeze', [mask, axis2])]), axis1], {
      keepdims: 0,
    });
    const count = g.op('Unsqueeze', [g.op('Cast', [lengths], { to: FLOAT }), axis1]);
    let x = g.op('Div', [summed, count]);
    model.mlp.layers.forEach((m, i) => {
      x = addTensorModule(g, m, x, `mlp layer ${i}`);
    });
    logits = x;
  } else {
    const recurrent = model.recurrent as LSTM;
    const input = g.op('Transpose', [embedded], { perm: [1, 0, 2] }); // [T, B, E]
    const { hN } = addRecurrent(g, recurrent, { input, sequenceLens: lengths, h0: null, c0: null });
    // the last layer's final states, forward ‖ backward: [L·D, B, H] -> [D, B, H] -> [B, D·H]
    const D = recurrent.bidirectional ? 2 : 1;
    const LD = recurrent.numLayers * D;
    const at = (v: number) => g.initializer('slice', [v], 'int64');
    const last = g.op('Slice', [hN, at(LD - D), at(LD), at(0)]);
    const features = g.op('Reshape', [
      g.op('Transpose', [last], { perm: [1, 0, 2] }),
      g.initializer('shape_features', [0, -1], 'int64'),
    ]);
    logits = addLinear(g, model.fc as NonNullable<TextClassifier['fc']>, features);
  }
  g.output(logits, 'logits', 'float32', ['batch', numClasses]);
  g.output(g.op('Softmax', [logits], { axis: 1 }), 'probabilities', 'float32', ['batch', numClasses]);
  return g.toBytes(opset === undefined ? {} : { opset });
}
