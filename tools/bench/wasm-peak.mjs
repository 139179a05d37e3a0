#!/usr/bin/env node
// What the wasm GEMM reaches on the W1 shapes against what WebAssembly SIMD128 can do on this
// machine under this Node: the figure the wasm backend's speed has to be judged against.
//
//   node tools/bench/wasm-peak.mjs [--rounds 7]
//   node --experimental-wasm-relaxed-simd tools/bench/wasm-peak.mjs --hand [--rounds 7]
//
// - peak: a tight loop of 12 independent f32x4 chains `acc = acc * b + c` (one mul and one add each,
//   8 flops), compiled by clang into a tiny module here. Node 20's V8 has no fused multiply-add for
//   wasm (relaxed SIMD is behind --experimental-wasm-relaxed-simd), so a mul and an add per 4 lanes
//   is the most a multiply-accumulate gets.
// - gemm: gemm_packed of packages/tensor/src/backend/wasm/gemm.c, compiled with the flags of
//   tools/wasm/build.mjs, on operands already in wasm memory (B packed): the kernel alone, without
//   gemm.ts's copies in and out.
// - --hand: the same 12-chain loop assembled here byte by byte (no clang), as mul + add and, when
//   this Node validates relaxed SIMD (--experimental-wasm-relaxed-simd), as f32x4.relaxed_madd
//   (0xfd 0x85 0x02; clang 14 lacks the final opcodes); one JSON line. wasm-floor.mjs runs it.
// GFLOP/s from process CPU time (user + sys), the median of the rounds: on a shared machine CPU time
// is what a process got. Needs clang and lld (apt-get install clang lld), as tools/wasm/build.mjs.
// Compare with PyTorch on one thread: OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX
// /usr/bin/python3 ../shared/bench/anchors/torch_bench.py --only gemm --threads 1

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WASM_CLANG_FLAGS } from '../wasm/clang-flags.mjs';
import { flagOf } from './args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = join(root, 'packages/tensor/src/backend/wasm');

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

/** Flops of one iteration of the peak loop: 12 chains × 4 lanes × (a multiply and an add). */
const FLOPS_PER_ITER = 12 * 8;

/**
 * Calls `f` for 0.3 s (wall clock). V8 runs a new wasm function in its baseline tier (Liftoff)
 * and swaps in the optimized code, compiled on a background thread, between calls: a first long
 * call, or one right after too short a warm-up on a loaded machine, would be timed in Liftoff.
 */
function warm(f) {
  const t0 = performance.now();
  do f();
  while (performance.now() - t0 < 300);
}

/** Median GFLOP/s (process CPU time) of `rounds` calls of `peak(iters, ...args)`. */
function timePeak(peak, args, rounds, iters = 2e7) {
  warm(() => peak(iters / 20, ...args));
  const gflops = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpu();
    peak(iters, ...args);
    gflops.push((FLOPS_PER_ITER * iters) / (cpu() - t0) / 1e9);
  }
  return median(gflops);
}

let peakModule = null;
/** The SIMD128 mul + add peak of PEAK_C, compiled by clang (once a process): median GFLOP/s over `rounds`. */
export function simd128Peak(rounds) {
  if (peakModule === null) {
    const tmp = mkdtempSync(join(tmpdir(), 'seqlab-wasm-peak-src-'));
    try {
      writeFileSync(join(tmp, 'peak.c'), PEAK_C);
      const P = instantiate(tmp, ['peak.c'], ['peak'], 2);
      const x = ((P.base + 15) & ~15) / 4;
      P.f.set([0.999999, 0.999999, 0.999999, 0.999999, 1e-7, 1e-7, 1e-7, 1e-7, 0.5, 0.5, 0.5, 0.5], x);
      peakModule = { peak: P.e.peak, args: [x * 4] };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return timePeak(peakModule.peak, peakModule.args, rounds);
}

/** Unsigned LEB128. */
const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
const SIMD = (op) => [0xfd, ...leb(op)];
const OP = {
  splat: SIMD(0x13), // f32x4.splat
  extract0: [...SIMD(0x1f), 0], // f32x4.extract_lane 0
  add: SIMD(0xe4), // f32x4.add
  mul: SIMD(0xe6), // f32x4.mul
  madd: SIMD(0x105), // f32x4.relaxed_madd: a * b + c
};

/**
 * The bytes of a module exporting `peak(iters: i32, b: f32, c: f32, a: f32) -> f32`: 12 f32x4
 * chains `acc = acc * b + c` (every lane splatted), as `mul` then `add` or as one `relaxed_madd`,
 * iterated `iters` (≥ 1) times, then the chains summed and lane 0 returned (so nothing is dead code).
 */
export function peakModuleBytes(variant) {
  if (variant !== 'mul-add' && variant !== 'relaxed-madd')
    throw new Error(`peakModuleBytes: expected 'mul-add' or 'relaxed-madd', got ${variant}`);
  const get = (i) => [0x20, ...leb(i)];
  const set = (i) => [0x21, ...leb(i)];
  const tee = (i) => [0x22, ...leb(i)];
  // Params 0 iters, 1 b, 2 c, 3 a; locals 4 (b splat), 5 (c splat), 6…17 the chains.
  const B = 4;
  const C = 5;
  const acc = Array.from({ length: 12 }, (_, i) => 6 + i);
  // biome-ignore format: one instruction (opcode and immediates) a line
  const code = [
    ...get(1), ...OP.splat, ...set(B),
    ...get(2), ...OP.splat, ...set(C),
    ...get(3), ...OP.splat,
    ...acc.slice(0, -1).flatMap(tee), ...set(acc.at(-1)),
    0x03, 0x40, // loop (a do-while: iters ≥ 1)
    ...acc.flatMap((a) =>
      variant === 'mul-add'
        ? [...get(a), ...get(B), ...OP.mul, ...get(C), ...OP.add, ...set(a)]
        : [...get(a), ...get(B), ...get(C), ...OP.madd, ...set(a)],
    ),
    ...get(0), 0x41, 1, 0x6b, ...tee(0), // iters -= 1
    0x0d, 0, // br_if 0 while iters != 0
    0x0b, // end loop
    ...get(acc[0]),
    ...acc.slice(1).flatMap((a) => [...get(a), ...OP.add]),
    ...OP.extract0,
    0x0b,
  ];
  const body = [1, 14, 0x7b, ...code]; // one local entry: 14 v128
  const name = [...'peak'].map((ch) => ch.charCodeAt(0));
  // biome-ignore format: the header and one section a line
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 4, 0x7f, 0x7d, 0x7d, 0x7d, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/**
 * The hand-assembled peaks in this process: `mulAdd` GFLOP/s, and `relaxedMadd` GFLOP/s or null
 * with the reason (this Node without --experimental-wasm-relaxed-simd rejects the module).
 */
export function handPeaks(rounds) {
  const run = (bytes) => {
    const { peak } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    return timePeak(peak, [Math.fround(0.999999), Math.fround(1e-7), 0.5], rounds);
  };
  const mulAdd = run(peakModuleBytes('mul-add'));
  const madd = peakModuleBytes('relaxed-madd');
  if (!WebAssembly.validate(madd))
    return { mulAdd, relaxedMadd: null, why: 'this Node does not validate f32x4.relaxed_madd' };
  return { mulAdd, relaxedMadd: run(madd) };
}

// The GEMM on W1's shapes: [M, K] x [K, N].
export const SHAPES = [
  ['W1_l1_input_proj', 1600, 128, 1024],
  ['W1_l2_input_proj', 1600, 512, 1024],
  ['W1_recurrent', 32, 256, 1024],
  ['W1_recurrent_backward', 32, 1024, 256],
];

let gemmModule = null;
/** gemm_packed of gemm.c (compiled once a process) on SHAPES: median GFLOP/s (process CPU time) over `rounds` each. */
export function gemmRates(rounds) {
  gemmModule ??= instantiate(wasmDir, ['gemm.c'], ['gemm_packed', 'pack_b'], 512);
  const G = gemmModule;
  return SHAPES.map(([name, m, k, n]) => {
    const A = ((G.base + 15) & ~15) / 4;
    const B = A + m * k;
    const packed = B + k * n;
    const C = packed + Math.ceil(n / 4) * 4 * k;
    for (let i = 0; i < m * k; i++) G.f[A + i] = Math.sin(i);
    for (let i = 0; i < k * n; i++) G.f[B + i] = Math.cos(i);
    G.e.pack_b(0, k, n, B * 4, packed * 4);
    const flops = 2 * m * n * k;
    const reps = Math.max(1, Math.round(4e8 / flops));
    warm(() => G.e.gemm_packed(m, n, k, A * 4, packed * 4, C * 4, 0));
    const gflops = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = cpu();
      for (let q = 0; q < reps; q++) G.e.gemm_packed(m, n, k, A * 4, packed * 4, C * 4, 0);
      gflops.push((flops * reps) / (cpu() - t0) / 1e9);
    }
    return { name, m, k, n, gflops: median(gflops) };
  });
}

function main() {
  const argv = process.argv.slice(2);
  const rounds = Number(flagOf(argv, 'rounds', '7'));
  if (argv.includes('--hand')) {
    console.log(JSON.stringify({ rounds, load: loadavg()[0], ...handPeaks(rounds) }));
    return;
  }
  const p = simd128Peak(rounds);
  const rows = gemmRates(rounds);
  console.log(
    `node ${process.version}, load ${loadavg()[0].toFixed(2)}, ${rounds} rounds, GFLOP/s of process CPU time`,
  );
  console.log(`SIMD128 peak (12 chains of f32x4 mul + add): ${p.toFixed(1)} GFLOP/s`);
  for (const r of rows)
    console.log(
      `gemm_packed ${r.name} [${r.m},${r.k}]x[${r.k},${r.n}]: ${r.gflops.toFixed(1)} GFLOP/s, ${((100 * r.gflops) / p).toFixed(0)}% of peak`,
    );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
