#!/usr/bin/env node
// What the wasm GEMM reaches on the W1 shapes against what WebAssembly SIMD128 can do on this
// machine under this Node: the figure the wasm backend's speed has to be judged against.
//
//   node tools/bench/wasm-peak.mjs [--rounds 7]
//
// - peak: a tight loop of 12 independent f32x4 chains `acc = acc * b + c` (one mul and one add each,
//   8 flops), compiled by clang into a tiny module here. Node 20's V8 has no fused multiply-add for
//   wasm (relaxed SIMD is behind --experimental-wasm-relaxed-simd), so a mul and an add per 4 lanes
//   is the most a multiply-accumulate gets.
// - gemm: gemm_packed of packages/tensor/src/backend/wasm/gemm.c, compiled with the flags of
//   tools/wasm/build.mjs, on operands already in wasm memory (B packed): the kernel alone, without
//   gemm.ts's copies in and out.
// GFLOP/s from process CPU time (user + sys), the median of the rounds: on a shared machine CPU time
// is what a process got. Needs clang and lld (apt-get install clang lld), as tools/wasm/build.mjs.
// Compare with PyTorch on one thread: OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX
// /usr/bin/python3 ../shared/bench/anchors/torch_bench.py --only gemm --threads 1

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_CLANG_FLAGS } from '../wasm/clang-flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = join(root, 'packages/tensor/src/backend/wasm');
const argv = process.argv.slice(2);
const at = argv.indexOf('--rounds');
const ROUNDS = at >= 0 ? Number(argv[at + 1]) : 7;

const PEAK_C = `#include <wasm_simd128.h>
__attribute__((visibility("default"))) float peak(int iters, const float *x) {
  const v128_t b = wasm_v128_load(x), c = wasm_v128_load(x + 4);
  v128_t a0 = wasm_v128_load(x + 8), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  v128_t a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
#define S(a) a = wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
  for (int i = 0; i < iters; i++) {
    S(a0) S(a1) S(a2) S(a3) S(a4) S(a5) S(a6) S(a7) S(a8) S(a9) S(a10) S(a11)
    __asm__ volatile("");
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                            wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  return wasm_f32x4_extract_lane(s, 0);
}
`;

/** Compiles `sources` (in `cwd`) exporting `exports`; the instance and its memory as floats. */
function instantiate(cwd, sources, exports, pages) {
  const tmp = mkdtempSync(join(tmpdir(), 'seqlab-wasm-peak-'));
  try {
    const out = join(tmp, 'm.wasm');
    const args = [
      ...WASM_CLANG_FLAGS,
      ...exports.map((e) => `-Wl,--export=${e}`),
      '-Wl,--export=__heap_base',
      '-o',
      out,
    ];
    execFileSync('clang', [...args, ...sources], { cwd, stdio: 'inherit' });
    const memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), { env: { memory } });
    return {
      e: instance.exports,
      f: new Float32Array(memory.buffer),
      base: instance.exports.__heap_base.value,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

// Peak.
const tmp = mkdtempSync(join(tmpdir(), 'seqlab-wasm-peak-src-'));
writeFileSync(join(tmp, 'peak.c'), PEAK_C);
const P = instantiate(tmp, ['peak.c'], ['peak'], 2);
rmSync(tmp, { recursive: true, force: true });
const x = ((P.base + 15) & ~15) / 4;
P.f.set([0.999999, 0.999999, 0.999999, 0.999999, 1e-7, 1e-7, 1e-7, 1e-7, 0.5, 0.5, 0.5, 0.5], x);
P.e.peak(1000, x * 4);
const iters = 2e7;
const peak = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = cpu();
  P.e.peak(iters, x * 4);
  peak.push((12 * 8 * iters) / (cpu() - t0) / 1e9);
}

// The GEMM on W1's shapes: [M, K] x [K, N].
const SHAPES = [
  ['W1_l1_input_proj', 1600, 128, 1024],
  ['W1_l2_input_proj', 1600, 512, 1024],
  ['W1_recurrent', 32, 256, 1024],
  ['W1_recurrent_backward', 32, 1024, 256],
];
const G = instantiate(wasmDir, ['gemm.c'], ['gemm_packed', 'pack_b'], 512);
const rows = SHAPES.map(([name, m, k, n]) => {
  const A = ((G.base + 15) & ~15) / 4;
  const B = A + m * k;
  const packed = B + k * n;
  const C = packed + Math.ceil(n / 4) * 4 * k;
  for (let i = 0; i < m * k; i++) G.f[A + i] = Math.sin(i);
  for (let i = 0; i < k * n; i++) G.f[B + i] = Math.cos(i);
  G.e.pack_b(0, k, n, B * 4, packed * 4);
  const flops = 2 * m * n * k;
  const reps = Math.max(1, Math.round(4e8 / flops));
  G.e.gemm_packed(m, n, k, A * 4, packed * 4, C * 4, 0);
  const gflops = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = cpu();
    for (let q = 0; q < reps; q++) G.e.gemm_packed(m, n, k, A * 4, packed * 4, C * 4, 0);
    gflops.push((flops * reps) / (cpu() - t0) / 1e9);
  }
  return { name, m, k, n, gflops: median(gflops) };
});

const p = median(peak);
console.log(
  `node ${process.version}, load ${loadavg()[0].toFixed(2)}, ${ROUNDS} rounds, GFLOP/s of process CPU time`,
);
console.log(`SIMD128 peak (12 chains of f32x4 mul + add): ${p.toFixed(1)} GFLOP/s`);
for (const r of rows)
  console.log(
    `gemm_packed ${r.name} [${r.m},${r.k}]x[${r.k},${r.n}]: ${r.gflops.toFixed(1)} GFLOP/s, ${((100 * r.gflops) / p).toFixed(0)}% of peak`,
  );
