import type { Backend } from '../backend';
import { clamp, clampBackward, unary, unaryBackward } from '../js/elementwise';
import { gather, indexAdd, indexSelect, scatterAdd } from '../js/indexing';
import { adamStep, sumSquares } from '../js/optim';
import { argReduce } from '../js/reduce';
import { softmax, softmaxBackward } from '../js/softmax';
import { gemmNaive } from './gemm';
import { recurrentBackward, recurrentForward } from './recurrent';
import { binary, reduce, stridedAccumulate, stridedCopy, where } from './strided';

/**
 * The reference backend (llm.c's naive twins): what every backend's kernels must agree with, run
 * by backend/conformance.test.ts. It is not registered (never selectable by `setBackend`).
 *
 * - Written here, plain loops next to their definitions: `gemm` (one float64 dot product per
 *   element, gemm.ts), the recurrent forward and backward through time (float64 state, one row at
 *   a time, recurrent.ts), and the strided family — copies, broadcasting binary ops, `where`,
 *   reductions — through full multi-indices (strided.ts).
 * - Taken from the js backend as they are, because they have no fast variant (each is already
 *   one plain loop per definition): elementwise unary ops and clamp with their backwards, argmax/argmin,
 *   the index kernels, softmax and its backward, and the fused optimizer kernels (`adamStep`,
 *   `sumSquares`: the loops @seqlab/optim ran inline). `fill` is one loop here.
 */
export const referenceBackend: Backend = {
  name: 'reference',
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
    for (let i = 0; i < out.length; i++) out[i] = value;
  },
  gemm: gemmNaive,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  softmax,
  softmaxBackward,
  recurrentForward,
  recurrentBackward,
  adamStep,
  sumSquares,
};
