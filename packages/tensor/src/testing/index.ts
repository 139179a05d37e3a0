// Test helpers shared by every seqlab package's tests: `@seqlab/tensor/testing`.
export { expectClose } from './expect-close';
export type { Tolerance } from './expect-close';
export { gradcheck } from './gradcheck';
export type { GradcheckOptions } from './gradcheck';
