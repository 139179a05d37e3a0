// GEMM on the js and wasm backends: the register-tiled kernel, the WebAssembly SIMD kernel and the
// naive reference, on the shapes of
// the seqlab workloads (../shared/bench/anchors/README.md: W1_recurrent 32x256x1024 once per step
// and direction; W1_l1_input_proj 1600x128x1024; sq512). Compare with
// `node ../shared/bench/anchors/js_gemm.mjs --n 512` (plain-JS tiled4x4) and
// `/usr/bin/python3 ../shared/bench/anchors/torch_bench.py --only gemm`.
// GFLOP/s = 2·M·N·K · hz / 1e9 (vitest prints hz = calls per second).
// Run: pnpm bench (or: npx vitest bench --run --project tensor)
import { bench, describe } from 'vitest';
import { gemmNaive, gemmTiled } from '../src/backend/js/gemm';
import { loadWasmKernels } from '../src/backend/wasm/index';

const wasm = loadWasmKernels();

const shapes: [string, number, number, number][] = [
  ['W1_recurrent 32x256x1024 (2·M·N·K = 16.8 MFLOP)', 32, 256, 1024],
  ['W1_l1_input_proj 1600x128x1024 (419 MFLOP)', 1600, 128, 1024],
  ['sq512 512x512x512 (268 MFLOP)', 512, 512, 512],
];

for (const [name, m, k, n] of shapes) {
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  const c = new Float32Array(m * n);
  describe(`gemm ${name}`, () => {
    bench('tiled 4x4 (A @ B)', () => gemmTiled(false, false, m, n, k, a, 0, b, 0, c, 0, false), {
      time: 1500,
    });
    bench(
      'tiled 4x4 (A @ Bᵀ, the recurrent layout)',
      () => gemmTiled(false, true, m, n, k, a, 0, b, 0, c, 0, false),
      {
        time: 1500,
      },
    );
    if (wasm.ok) {
      bench('wasm SIMD 4x8 (A @ B)', () => wasm.gemm(false, false, m, n, k, a, 0, b, 0, c, 0, false), {
        time: 1500,
      });
      bench('wasm SIMD 4x8 (A @ Bᵀ)', () => wasm.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false), {
        time: 1500,
      });
      bench(
        'wasm SIMD 4x8 (Aᵀ @ B, the weight gradients)',
        () => wasm.gemm(true, false, m, n, k, a, 0, b, 0, c, 0, false),
        {
          time: 1500,
        },
      );
    }
    if (m * n * k <= 32 * 256 * 1024) {
      bench('naive reference', () => gemmNaive(false, false, m, n, k, a, 0, b, 0, c, 0, false), {
        time: 1500,
      });
    }
  });
}
