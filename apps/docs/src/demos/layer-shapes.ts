/**
 * Guide 6: stacked and bidirectional recurrent layers and the shapes they return, computed by
 * @seqlab/layers. `snippetShapes` is the seqlab twin of `layer-shapes.py` (the PyTorch code the page
 * shows beside it) and prints the same lines; `layerShapes` runs any configuration for the page's
 * live form. The test checks both against PyTorch's output (fixtures/layer-shapes.json).
 */
import { GRU, LSTM, RNN } from '@seqlab/layers';
import { cat, manualSeed, noGrad, randn, type Shape } from '@seqlab/tensor';

const show = (shape: Shape) => `[${shape.join(', ')}]`;

/** The lines `layer-shapes.py` prints, computed by seqlab (one per case: name, then shapes). */
// #region snippet
export function snippetShapes(): string[] {
  manualSeed(0);
  const [T, B, I, H] = [5, 3, 10, 20];
  const x = randn([T, B, I]); // [T, B, I]: batchFirst false, PyTorch's default
  const lines: string[] = [];

  const lstm = new LSTM(I, H);
  let { output, hN, cN } = lstm.forward(x);
  lines.push(`lstm ${show(output.shape)} ${show(hN.shape)} ${show(cN.shape)}`); // [5, 3, 20] [1, 3, 20] [1, 3, 20]

  const stacked = new LSTM(I, H, { numLayers: 2 });
  ({ output, hN, cN } = stacked.forward(x));
  lines.push(`stacked ${show(output.shape)} ${show(hN.shape)} ${show(cN.shape)}`); // [5, 3, 20] [2, 3, 20] [2, 3, 20]

  const bi = new LSTM(I, H, { bidirectional: true });
  ({ output, hN, cN } = bi.forward(x));
  lines.push(`bidirectional ${show(output.shape)} ${show(hN.shape)} ${show(cN.shape)}`); // [5, 3, 40] [2, 3, 20] [2, 3, 20]

  const both = new LSTM(I, H, { numLayers: 2, bidirectional: true });
  ({ output, hN, cN } = both.forward(x));
  lines.push(`stacked-bidirectional ${show(output.shape)} ${show(hN.shape)} ${show(cN.shape)}`); // [5, 3, 40] [4, 3, 20] [4, 3, 20]

  // hN is [L·D, B, H], layer by layer, forward before reverse: the last layer's two final states
  // are hN.select(0, -2) (forward) and hN.select(0, -1) (reverse), the article's classifier input.
  const last = cat([hN.select(0, -2), hN.select(0, -1)], 1);
  lines.push(`last-layer ${show(last.shape)}`); // [3, 40]

  const gru = new GRU(I, H, { numLayers: 2, bidirectional: true, batchFirst: true });
  const g = gru.forward(x.transpose(0, 1)); // [B, T, I]
  lines.push(`gru-batch-first ${show(g.output.shape)} ${show(g.hN.shape)}`); // [3, 5, 40] [4, 3, 20]
  return lines;
}
// #endregion snippet

/** One configuration of the page's live form. */
export interface ShapeQuery {
  cell: 'rnn' | 'gru' | 'lstm';
  /** Time steps T. */
  length: number;
  /** Batch size B. */
  batch: number;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
}

/** The shapes one forward pass returns, and the parameter shapes of layer 0. */
export interface ShapeResult {
  input: Shape;
  output: Shape;
  hN: Shape;
  /** LSTM only. */
  cN: Shape | null;
  /** Every parameter's PyTorch name and shape. */
  parameters: { name: string; shape: Shape }[];
}

/** Builds the layer `q` describes, runs it on a random batch and returns the shapes it gives. */
export function layerShapes(q: ShapeQuery): ShapeResult {
  const options = {
    inputSize: q.inputSize,
    hiddenSize: q.hiddenSize,
    numLayers: q.numLayers,
    bidirectional: q.bidirectional,
    batchFirst: q.batchFirst,
  };
  const layer =
    q.cell === 'lstm' ? new LSTM(options) : q.cell === 'gru' ? new GRU(options) : new RNN(options);
  const input: Shape = q.batchFirst ? [q.batch, q.length, q.inputSize] : [q.length, q.batch, q.inputSize];
  const out = noGrad(() => layer.forward(randn(input)));
  return {
    input,
    output: out.output.shape,
    hN: out.hN.shape,
    cN: 'cN' in out ? (out.cN as { shape: Shape }).shape : null,
    parameters: [...layer.stateDict()].map(([name, t]) => ({ name, shape: t.shape })),
  };
}
