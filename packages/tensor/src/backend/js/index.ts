import type { Backend } from '../backend';
import { binary, clamp, clampBackward, unary, unaryBackward, where } from './elementwise';
import { gemmTiled } from './gemm';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing';
import { recurrentBackward, recurrentForward } from './recurrent';
import { argReduce, reduce } from './reduce';
import { softmax, softmaxBackward } from './softmax';
import { stridedAccumulate, stridedCopy } from './strided';

/**
 * The default backend: plain TypeScript over typed arrays, runs anywhere JavaScript runs.
 * Reference kernels (`gemmNaive`, `stridedCopyNaive`) sit beside the fast ones for the
 * conformance tests.
 */
export const jsBackend: Backend = {
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
};
