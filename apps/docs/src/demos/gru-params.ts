/**
 * Guide 5's table: how many parameters RNN, GRU and LSTM layers of the same size have, counted by
 * the library (`Module.numParameters()` on real layers, not by a formula), and their ratios to the
 * LSTM's. One gate block is W_ih [H, I] + W_hh [H, H] + b_ih [H] + b_hh [H]; an RNN has one block,
 * a GRU three (r, z, n), an LSTM four (i, f, g, o), so RNN = ¼ and GRU = ¾ of the LSTM for every size.
 */
import { GRU, LSTM, RNN, skipInit } from '@seqlab/layers';

/** One layer size to compare. */
export interface LayerSize {
  /** Input features I. */
  inputSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Stacked layers L (default 1). */
  numLayers?: number;
  /** Two directions (default false). */
  bidirectional?: boolean;
}

/** The parameter counts of the three layers at one size. */
export interface ParamRow {
  size: Required<LayerSize>;
  rnn: number;
  gru: number;
  lstm: number;
  /** rnn / lstm: 0.25 exactly. */
  rnnRatio: number;
  /** gru / lstm: 0.75 exactly. */
  gruRatio: number;
}

/** The sizes the guide's table shows. */
export const PARAM_SIZES: readonly Required<LayerSize>[] = [
  { inputSize: 8, hiddenSize: 16, numLayers: 1, bidirectional: false },
  { inputSize: 100, hiddenSize: 128, numLayers: 1, bidirectional: false },
  { inputSize: 300, hiddenSize: 256, numLayers: 2, bidirectional: false },
  { inputSize: 300, hiddenSize: 256, numLayers: 2, bidirectional: true },
];

// #region count
/**
 * Builds the three layers at `size` and counts their parameters (`skipInit`: no time goes into
 * random numbers nobody reads, and the page's random stream is left as it was).
 */
export function countParameters(size: LayerSize): ParamRow {
  const full = { numLayers: 1, bidirectional: false, ...size };
  const rnn = skipInit(() => new RNN(full)).numParameters();
  const gru = skipInit(() => new GRU(full)).numParameters();
  const lstm = skipInit(() => new LSTM(full)).numParameters();
  return { size: full, rnn, gru, lstm, rnnRatio: rnn / lstm, gruRatio: gru / lstm };
}
// #endregion count

/** The guide's table: `countParameters` at every size of `PARAM_SIZES`. */
export const parameterTable = (sizes: readonly LayerSize[] = PARAM_SIZES): ParamRow[] =>
  sizes.map(countParameters);
