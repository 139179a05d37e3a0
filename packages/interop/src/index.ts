// TF.js / Keras layers models (model.json + weight shards; files: @seqlab/interop/node)
export { importTfjsLayersModel, loadTfjsLayersModel } from './tfjs/import';
export type { Bytes, LoadTfjsOptions, TfjsWeights } from './tfjs/import';
export { KerasActivationModule, KerasRecurrent, RefuseMaskedIds } from './tfjs/glue';
export { KerasMaskedStack } from './tfjs/masked-stack';
export type { KerasActivation } from './tfjs/keras-config';
