// @seqlab/onnx: seqlab models as ONNX, for ONNX Runtime and every engine that reads ONNX.
export { exportOnnx } from './export';
export type { ExportOnnxOptions } from './export';
export { DEFAULT_OPSET, MAX_OPSET, OnnxGraph } from './graph';
export type { OnnxAttribute, OnnxDim, OnnxElementType } from './graph';
export { addEmbedding, addLinear, addTensorModule } from './layers';
export { addRecurrent } from './recurrent';
export type { RecurrentInputs, RecurrentValues } from './recurrent';
