import type { Backend, FusedOptimizerKernels } from '../backend';
import { binary, clamp, clampBackward, unary, unaryBackward, where } from './elementwise';
import { gemmTiled } from './gemm';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing';
import { adamStep, sumSquares } from './optim';
import { recurrentBackward, recurrentForward } from './recurrent/loop';
import { argReduce, reduce } from './reduce';
import { softmax, softmaxBackward } from './softmax';
import { stridedAccumulate, stridedCopy } from './strided';

/**
 * The pure-TypeScript backend over typed arrays: runs anywhere JavaScript runs. Its fast kernels
 * (tiled GEMM, fused recurrence, dimension-merging strided loops) are checked against the naive
 * ones in backend/reference/ by backend/conformance.test.ts. It has the optional fused optimizer
 * kernels too (`adamStep`, `sumSquares`): they are the reference for every backend's.
 */
export const jsBackend: Backend & FusedOptimizerKernels = {
  name: 'js',
  unary,
  unaryBackward,
  clamp,
  clampBackward,
  binary,
  where,
  reduce,
  argReduce,
  stridedCopy,
  stridedAccumulate,
  fill: (out, value) => {
    out.fill(value);
  },
  gemm: gemmTiled,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  softmax,
  softmaxBackward,
  recurrentForward,
  recurrentBackward,
  recurrentBatchFirst: true,
  recurrentOutStride: true,
  adamStep,
  sumSquares,
};
