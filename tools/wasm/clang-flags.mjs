// The clang flags of every WebAssembly module built here: wasm32 with SIMD128, no libc, no entry
// point, memory imported from JavaScript. tools/wasm/build.mjs adds the kernels' exports to them;
// tools/bench/wasm-peak.mjs compiles its peak loop and the GEMM with the same flags.
export const WASM_CLANG_FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-nostdlib',
  '-fno-builtin',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
];
