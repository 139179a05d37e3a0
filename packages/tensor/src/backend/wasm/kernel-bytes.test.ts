// The two forms of the module (NOTE(wasm-bytes)): kernels.wasm, which the ES module build fetches,
// and the base64 of kernels.ts, which Node's build compiles, are the same bytes, the ones whose
// sha256 tools/wasm/build.mjs wrote. (Whether they are what the C files compile to is the staleness
// test in wasm.test.ts, which needs clang.)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { kernelBytesSync } from './kernel-bytes';
import { KERNELS_SHA256 } from './kernels';

test('kernels.wasm holds the bytes of kernels.ts (rebuild both with node tools/wasm/build.mjs)', () => {
  const file = readFileSync(new URL('./kernels.wasm', import.meta.url));
  expect(createHash('sha256').update(file).digest('hex')).toBe(KERNELS_SHA256);
  expect(Buffer.from(kernelBytesSync() as Uint8Array).equals(file)).toBe(true);
});
