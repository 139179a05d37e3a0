import { copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { Options } from 'tsup';
import base from '../../tsup.config.base';

// NOTE(wasm-bytes) in src/backend/wasm/kernel-bytes.ts: the ES module build (what bundlers give a
// browser) takes kernel-bytes.browser.ts, where `ready()` fetches dist/kernels.wasm (copied there
// after the build, below) from `new URL('./kernels.wasm', import.meta.url)`; Node's build
// (CommonJS) keeps the bytes in the module for synchronous first use.
// tsup builds its CommonJS chunks as ES modules and converts them, so esbuild's `format` says esm
// for both: the build's own format is the `__SEQLAB_BUILD__` constant the base config defines
// (its esbuildOptions run in a plugin set up before this one).
const browserKernelBytes: Plugin = {
  name: 'seqlab-browser-kernel-bytes',
  setup(build) {
    if (build.initialOptions.define?.__SEQLAB_BUILD__ !== '"esm"') return;
    const browser = (name: string) =>
      fileURLToPath(new URL(`./src/backend/wasm/${name}.browser.ts`, import.meta.url));
    build.onResolve({ filter: /^\.\/kernel-bytes$/ }, () => ({ path: browser('kernel-bytes') }));
    // The registry's loader (NOTE(wasm-lazy)); loader.browser.ts itself imports './loader'.
    build.onResolve({ filter: /^\.\/wasm\/loader$/ }, () => ({ path: browser('loader') }));
    // What the backend's chunk takes from the registry's side (NOTE(wasm-js-parts)).
    build.onResolve({ filter: /^\.\/js-parts$/ }, () => ({ path: browser('js-parts') }));
  },
};

// The base build, with four more entries. `@seqlab/tensor/testing`, `@seqlab/tensor/node` and
// `@seqlab/tensor/worker`
// import the main entry by the package's own name (kept external), so all of them share one Tensor
// class and one error hierarchy in both the ESM and the CJS build. `@seqlab/tensor/backend` shares
// the backend registry with the main entry instead: code splitting (ESM, and tsup's CJS splitting)
// puts the registry, the kernels and the errors both entries import in one shared chunk.
export default {
  ...base,
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    node: 'src/node.ts',
    backend: 'src/backend/index.ts',
    worker: 'src/worker/index.ts',
  },
  splitting: true,
  external: [/^node:/, '@seqlab/tensor'],
  esbuildPlugins: [browserKernelBytes],
  // Every chunk of the ES module build sits in dist/, so the one holding kernel-bytes.browser.ts
  // finds kernels.wasm beside it.
  async onSuccess() {
    await (base.onSuccess as () => Promise<void>)();
    await copyFile('src/backend/wasm/kernels.wasm', 'dist/kernels.wasm');
  },
} satisfies Options;
