// Modules
export { Module } from './module';
export type { LoadStateDictOptions, LoadStateDictResult } from './module';
export { Linear } from './linear';
export type { LinearOptions } from './linear';
export { Embedding } from './embedding';
export type { EmbeddingOptions } from './embedding';
export { Dropout } from './dropout';
export { ReLU, Sequential, Tanh } from './sequential';
export type { TensorModule } from './sequential';
export { LayerNorm } from './layer-norm';
export type { LayerNormOptions } from './layer-norm';
export { skipInit } from './skip-init';
export { summary } from './summary';

// Recurrent cells
export { RNNCell } from './recurrent/rnn-cell';
export type { RNNCellOptions } from './recurrent/rnn-cell';
export { LSTMCell } from './recurrent/lstm-cell';
export type { LSTMState } from './recurrent/lstm-cell';
export { GRUCell } from './recurrent/gru-cell';
export type { CellOptions } from './recurrent/cell-base';

// Recurrent layers
export { RNNBase } from './recurrent/rnn-base';
export type { GateRecord, GradientRecord, RNNBaseOptions } from './recurrent/rnn-base';
export type { HiddenInitialState, InitialState, LSTMInitialState, RecurrentState } from './recurrent/state';
export { RNN } from './recurrent/rnn';
export type { RNNOptions } from './recurrent/rnn';
export { LSTM } from './recurrent/lstm';
export type { LSTMOptions, LSTMOutput } from './recurrent/lstm';
export { GRU } from './recurrent/gru';
export type { RNNOutput } from './recurrent/gru';

// Losses
export {
  BCEWithLogitsLoss,
  bceWithLogits,
  CrossEntropyLoss,
  crossEntropy,
  MSELoss,
  mseLoss,
  NLLLoss,
  nllLoss,
} from './losses';
export type { BceWithLogitsOptions, CrossEntropyOptions, NllLossOptions, Reduction } from './losses';
