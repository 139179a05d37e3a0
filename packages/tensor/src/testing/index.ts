// Test helpers shared by every seqlab package's tests: `@seqlab/tensor/testing`.

export type { Tolerance } from './expect-close';
export { expectClose } from './expect-close';
export type { Fixture } from './fixture';
export { loadFixture } from './fixture';
export type { GradcheckOptions } from './gradcheck';
export { gradcheck } from './gradcheck';
export { leaf } from './leaf';
export type { CaseBounds, FuzzSettings } from './fuzz';
export { checkCase, checkCaseAsync, fuzzSettings } from './fuzz';
export type { StoragePoolSize, StoragePoolStats } from '../storage-pool';
export { clearStoragePool, isPooled, storagePoolSize, storagePoolStats } from '../storage-pool';
