// Vitest setup of the backend test matrix (vitest.config.ts): registers the `native` backend of
// @seqlab/native, when its addon loads, beside js and wasm, so every test that iterates
// listBackends() also runs on it. It is only registered: the default backend stays what a user
// without @seqlab/native gets. Without a built addon the matrix is js and wasm, and the reason is
// printed once per test file.
//
// Left out: wasm.test.ts, which asserts that @seqlab/tensor alone registers exactly js and wasm.
import { registerNative } from '@seqlab/native';
import { expect } from 'vitest';

const testPath = expect.getState().testPath ?? '';
if (!testPath.endsWith('/backend/wasm/wasm.test.ts')) {
  const status = registerNative({ default: false });
  if (!status.ok) console.warn(`backend matrix without native: ${status.reason}`);
}
