// NOTE(wasm-js-parts): what the wasm backend's JavaScript takes from the rest of the package (the js
// kernels it falls back to or wraps, the gate counts, BackendError), all through this module. Two
// builds of it, as of kernel-bytes.ts (NOTE(wasm-bytes)):
// - this one (Node's build and the sources): the parts imported as they are;
// - js-parts.browser.ts (the ES module build): bindings that loader.browser.ts fills in from the
//   registry's side when `ready()` has imported the backend's chunk (NOTE(wasm-lazy)). That chunk
//   then imports nothing the entry imports, so an app's bundler puts the js kernels and the errors
//   in the entry's file rather than in a chunk of their own that both share: a chunk shared by the
//   eager side and the lazy one is gzipped apart, which cost a browser's LSTM-forward bundle
//   ≈ 0.37 KB gzip (tools/pack-smoke/browser-bundle.slow.test.ts).
// js-parts.test.ts checks that the two export the same names.
export { BackendError } from '../../errors';
export { RECURRENT_GATES } from '../backend';
export { gemmPacked, gemmVia, packB } from '../js/gemm';
export { jsBackend } from '../js/index';
export { makeRecurrentKernels, recurrentBackward, recurrentForward } from '../js/recurrent/loop';
export { coalesce, contiguousStrides } from '../js/strided';
