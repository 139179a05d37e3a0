#!/usr/bin/env node
// The recurrent cells' gate math alone (lstm.c, gru.c over activations.h), old against new in one
// process: the cells of a git revision (--base, default main) and of the working tree, each compiled
// by clang with tools/wasm/build.mjs's flags into a small module that runs the kernel over all the
// steps of one layer direction, called alternately on the same inputs.
//
//   node tools/bench/wasm-gates.mjs [--base main] [--rounds 31]
//
// Shapes: W1's (batch 32, hidden 256, 50 steps: lstm_forward, then lstm_backward over the steps in
// reverse) and W3's GRU cells on the same shape. The timings exclude the recurrence's GEMMs (the
// recurrent_forward/backward exports that wasm-step-count.ts times include them). Pre-activations
// are normal(0, 1.5), roughly a trained W1's; the gates buffer is restored before every forward
// call (outside the timing). Reports ns per cell (one hidden unit of one row at one step) from
// the median of the rounds of each side, process CPU time, the ratio of the medians (new/old)
// and the median of the rounds' own ratios with their range; a W1 training step runs 1.237 M
// LSTM cells forward and backward (3 layer directions of 50 steps and one of 1).
// Needs clang and lld, as tools/wasm/build.mjs.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_CLANG_FLAGS } from '../wasm/clang-flags.mjs';
import { flagOf } from './args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rel = 'packages/tensor/src/backend/wasm';
const FILES = ['kernels.h', 'activations.h', 'lstm.c', 'gru.c'];
const args = process.argv.slice(2);
const base = flagOf(args, 'base', 'main');
const rounds = Number(flagOf(args, 'rounds', 31));

const WRAP_C = `#include "kernels.h"
static rec_args A;
EXPORT void lstm_f(int T, int B, int H, float *gates, float *c, float *cells, float *c_prev, float *h) {
  A.H = H; A.gates = gates; A.c = c; A.cells = cells; A.c_prev = c_prev; A.h = h;
  for (int t = 0; t < T; t++) lstm_forward(&A, t * B, B, 0, H);
}
EXPORT void lstm_b(int T, int B, int H, float *gates, float *cells, float *c_prev, float *dh, float *dc, float *dx) {
  A.H = H; A.gates = gates; A.cells = cells; A.c_prev = c_prev; A.dh = dh; A.dc = dc; A.dx_proj = dx;
  for (int t = T - 1; t >= 0; t--) lstm_backward(&A, t * B, B, 0, H);
}
EXPORT void gru_f(int T, int B, int H, const float *x, float *hh, float *gates, float *hh_n, float *h) {
  A.H = H; A.x_proj = x; A.hh = hh; A.gates = gates; A.hh_n = hh_n; A.h = h;
  for (int t = 0; t < T; t++) gru_forward(&A, t * B, B, 0, H);
}
EXPORT void gru_b(int T, int B, int H, float *gates, float *hh_n, float *h_prev, float *dh, float *dx, float *dhh) {
  A.H = H; A.gates = gates; A.hh_n = hh_n; A.h_prev = h_prev; A.dh = dh; A.dx_proj = dx; A.dhh = dhh;
  for (int t = T - 1; t >= 0; t--) gru_backward(&A, t * B, B, 0, H);
}
`;

const T = 50;
const B = 32;
const H = 256;
const N = T * B;

/** The four sources at `rev` (null: the working tree) in a temporary folder, with the wrapper. */
function sources(rev) {
  const dir = mkdtempSync(join(tmpdir(), 'seqlab-wasm-gates-'));
  for (const f of FILES) {
    const text = rev
      ? execFileSync('git', ['show', `${rev}:${rel}/${f}`], { cwd: root, maxBuffer: 1 << 24 })
      : readFileSync(join(root, rel, f));
    writeFileSync(join(dir, f), text);
  }
  writeFileSync(join(dir, 'wrap.c'), WRAP_C);
  return dir;
}

/** Compiles the cells of `rev` into a module over its own memory; its exports and heap. */
function instantiate(rev) {
  const dir = sources(rev);
  try {
    const out = join(dir, 'm.wasm');
    const exports = ['lstm_f', 'lstm_b', 'gru_f', 'gru_b'];
    const flags = [
      ...WASM_CLANG_FLAGS,
      ...exports.map((e) => `-Wl,--export=${e}`),
      '-Wl,--export=__heap_base',
    ];
    execFileSync('clang', [...flags, '-o', out, 'wrap.c', 'lstm.c', 'gru.c'], { cwd: dir, stdio: 'inherit' });
    const memory = new WebAssembly.Memory({ initial: 1024 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), { env: { memory } });
    return {
      e: instance.exports,
      f: new Float32Array(memory.buffer),
      base: instance.exports.__heap_base.value,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A fixed normal(0, s) sequence (Box–Muller over a small LCG), the same for both sides.
let seed = 12345;
const uniform = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed + 0.5) / 2 ** 32;
};
const normal = (s) => s * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const fill = (n, s) => Float32Array.from({ length: n }, () => normal(s));

const inputs = {
  gates: fill(N * 4 * H, 1.5),
  c0: fill(B * H, 0.5),
  dh: fill(B * H, 0.01),
  dc: fill(B * H, 0.01),
  x: fill(N * 3 * H, 1.5),
  hh: fill(B * 3 * H, 0.5),
  h0: fill(B * H, 0.5),
  hPrev: fill(N * H, 0.5),
};

/** Lays the buffers out in `m`'s memory (float offsets) and returns the four timed calls. */
function kernels(m) {
  let at = (m.base + 63) >> 2;
  const take = (n) => {
    const p = at;
    at += (n + 15) & ~15;
    return p;
  };
  const p = {
    gates: take(N * 4 * H),
    c: take(B * H),
    cells: take(N * H),
    cPrev: take(N * H),
    h: take(B * H),
    dh: take(B * H),
    dc: take(B * H),
    dx: take(N * 4 * H),
    x: take(N * 3 * H),
    hh: take(B * 3 * H),
    ggates: take(N * 3 * H),
    hhN: take(N * H),
    gh: take(B * H),
    hPrev: take(N * H),
    gdh: take(B * H),
    gdx: take(N * 3 * H),
    dhh: take(N * 3 * H),
  };
  if (at * 4 > m.f.buffer.byteLength) throw new Error('wasm-gates: the buffers need more memory');
  m.f.set(inputs.x, p.x);
  m.f.set(inputs.hh, p.hh);
  m.f.set(inputs.hPrev, p.hPrev);
  const B4 = 4;
  return {
    lstm_forward: {
      before: () => {
        m.f.set(inputs.gates, p.gates);
        m.f.set(inputs.c0, p.c);
      },
      run: () => m.e.lstm_f(T, B, H, p.gates * B4, p.c * B4, p.cells * B4, p.cPrev * B4, p.h * B4),
    },
    lstm_backward: {
      before: () => {
        m.f.set(inputs.dh, p.dh);
        m.f.set(inputs.dc, p.dc);
      },
      run: () =>
        m.e.lstm_b(T, B, H, p.gates * B4, p.cells * B4, p.cPrev * B4, p.dh * B4, p.dc * B4, p.dx * B4),
    },
    gru_forward: {
      before: () => m.f.set(inputs.h0, p.gh),
      run: () => m.e.gru_f(T, B, H, p.x * B4, p.hh * B4, p.ggates * B4, p.hhN * B4, p.gh * B4),
    },
    gru_backward: {
      before: () => m.f.set(inputs.dh, p.gdh),
      run: () =>
        m.e.gru_b(T, B, H, p.ggates * B4, p.hhN * B4, p.hPrev * B4, p.gdh * B4, p.gdx * B4, p.dhh * B4),
    },
  };
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const sides = { old: kernels(instantiate(base)), new: kernels(instantiate(null)) };
const names = Object.keys(sides.old);
const times = Object.fromEntries(names.map((n) => [n, { old: [], new: [] }]));
for (let r = 0; r < rounds + 3; r++) {
  for (const name of names) {
    // Alternate which side goes first from round to round.
    for (const side of r % 2 ? ['new', 'old'] : ['old', 'new']) {
      const k = sides[side][name];
      k.before();
      const t0 = cpu();
      k.run();
      const ms = cpu() - t0;
      if (r >= 3) times[name][side].push(ms);
    }
  }
}

const cells = N * H;
console.log(
  `wasm gate math, ${base} (old) vs working tree (new): B ${B}, H ${H}, ${T} steps (${cells} cells a call)`,
);
console.log(
  `${rounds} rounds alternating, process CPU time, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('kernel           old ns/cell  new ns/cell  new/old  median round ratio (range)');
for (const name of names) {
  const o = (median(times[name].old) * 1e6) / cells;
  const n = (median(times[name].new) * 1e6) / cells;
  const ratios = times[name].new.map((t, i) => t / times[name].old[i]).sort((a, b) => a - b);
  const range = `${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}`;
  console.log(
    `${name.padEnd(16)} ${o.toFixed(2).padStart(11)}  ${n.toFixed(2).padStart(11)}  ${(n / o).toFixed(3).padStart(7)}  ${median(ratios).toFixed(3)} (${range})`,
  );
}
