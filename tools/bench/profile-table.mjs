#!/usr/bin/env node
// The time of a `seqlab bench speed --mode train` step by category, from a V8 CPU profile:
//
//   node --cpu-prof --cpu-prof-dir=prof apps/trainer/dist/cli.js bench speed --workload W1 \
//     --mode train --steps 10 --warmup 2
//   node tools/bench/profile-table.mjs prof/CPU.*.cpuprofile 12               # 12 = steps + warm-up
//   node tools/bench/profile-table.mjs prof/CPU.*.cpuprofile 12 --warmup 2 --functions 30
//
// Self time of the samples under the timed loop (`timeModes`), plus every garbage-collector sample,
// per step and as a share; the Markdown rows of tools/bench/PROFILE.md. The profile is sampled wall
// time: on a loaded machine the shares hold better than the milliseconds.
//
// Without `--warmup`, the whole loop is divided by the step count, warm-up included (the first
// steps are the slow ones: a W1 wasm profile gave 511 ms a step this way against the bench's 427).
// With `--warmup W`, the profile is split into its steps (each ends with its optimizer step and
// `tidy`'s disposal; profile-steps.mjs's `splitSteps`), the split must find the step count given,
// and the figures are the mean over the steps after the first W: each step's sampled time, the
// categories, and (`--functions K`, default 25) the K functions of most self time a step: `name
// file:line` for JavaScript, `wasm <export> ← <JavaScript caller>` for a WebAssembly kernel, named
// from the exports of `--wasm FILE` (default packages/tensor/src/backend/wasm/kernels.wasm: the
// module the profiled build loaded, or the frames keep V8's `wasm-function[i]`).
import { existsSync, readFileSync } from 'node:fs';
import { flagOf } from './args.mjs';
import { functionKey, indexProfile, perStep, splitSteps, wasmExportNames } from './profile-steps.mjs';

const argv = process.argv.slice(2);
const [file, stepsArg] = argv;
const warmupArg = flagOf(argv, 'warmup', undefined);
const warmup = warmupArg === undefined ? undefined : Number(warmupArg);
const top = Number(flagOf(argv, 'functions', '25'));
if (
  !file ||
  !(Number(stepsArg) > 0) ||
  (warmup !== undefined && !(Number.isInteger(warmup) && warmup >= 0 && warmup < Number(stepsArg))) ||
  !(Number.isInteger(top) && top > 0)
) {
  console.error(
    'usage: node tools/bench/profile-table.mjs <file.cpuprofile> <steps incl. warm-up> ' +
      '[--warmup W (split by step, mean over the steps after W)] [--functions K] [--wasm kernels.wasm]',
  );
  process.exit(2);
}
const steps = Number(stepsArg);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const { byId, up: callers } = indexProfile(profile);
const selfTime = new Map();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const is =
  (...names) =>
  (f) =>
    names.includes(f);
// First match wins. Kernels are the wasm functions and the native addon's exports (named as the
// Backend methods, in @seqlab/native's bundle rather than @seqlab/tensor's chunk). The optimizer
// comes first, so that the wasm backend's Adam kernel counts there; its bias add, its sums and
// dropout (blocked.c) are filed under their JavaScript caller (see `frameName`).
const CATEGORIES = [
  ['GC', is('(garbage collector)')],
  [
    'optimizer + clipping (@seqlab/optim)',
    (_f, _url, up) => up.includes('step') || up.includes('clipGradNorm'),
  ],
  [
    'kernels: GEMM and fused recurrence (wasm / native code)',
    (f, url) =>
      f.startsWith('wasm-function') ||
      (is('gemm', 'recurrentForward', 'recurrentBackward')(f) && url.includes('native')),
  ],
  [
    'GEMM and recurrence bookkeeping in JS (packing B, copies in and out of wasm memory)',
    is(
      'packB',
      'product',
      'read',
      'write',
      'commit',
      'begin',
      'gemmVia',
      'gemmPacked2',
      'gemm',
      'recurrentForward2',
      'recurrentBackward2',
      'GenericJSToWasmWrapper',
    ),
  ],
  [
    'elementwise in JS (broadcast adds and muls, bias adds)',
    is('binaryRow', 'binary', 'linear', 'addBiases', 'addBias', 'unary'),
  ],
  ['reductions (bias gradients)', is('reduce', 'sum', 'sumTo')],
  [
    'copies (transposes, cat of directions, narrow, last step, gradient copies)',
    is('stridedCopy', 'stridedAccumulate', 'asStrided', 'copyOf', 'slice', 'sumInto'),
  ],
  ['zero-filled allocation', is('allocate', 'empty', 'f', 'zeroedStorage')],
  ['dropout mask', is('dropout', 'uniform', 'drawUniforms', 'maskAndScale')],
];
const OTHER = 'other JS (autograd graph and engine, op checks, Tensor objects)';

/** The wasm backend's kernels outside the GEMM and the recurrence (blocked.c) run from these (Adam's from its own caller, filed by the optimizer's rule). */
const BLOCKED_CALLERS = new Set(['addBias', 'reduce', 'dropout']);
/** A frame's name, a wasm function of BLOCKED_CALLERS taking its JavaScript caller's. */
function frameName(f, up) {
  if (!f.startsWith('wasm-function')) return f;
  const caller = up.find(
    (n) => !n.startsWith('wasm-function') && !n.includes('-to-wasm') && n !== 'GenericJSToWasmWrapper',
  );
  return BLOCKED_CALLERS.has(caller) ? caller : f;
}

/** A node's category. */
function categoryOf(id) {
  const node = byId.get(id);
  const f = node.callFrame.functionName;
  const up = callers(id);
  return CATEGORIES.find(([, match]) => match(frameName(f, up), node.callFrame.url, up))?.[0] ?? OTHER;
}

const ms = (t) => t.toFixed(1);

if (warmup === undefined) {
  const totals = new Map();
  let total = 0;
  for (const [id, t] of selfTime) {
    const f = byId.get(id).callFrame.functionName;
    if (!callers(id).includes('timeModes') && f !== '(garbage collector)') continue;
    total += t;
    const name = categoryOf(id);
    totals.set(name, (totals.get(name) ?? 0) + t);
  }
  console.log(`| where | ms / step | share |\n|---|---:|---:|`);
  for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${name} | ${(t / 1e3 / steps).toFixed(0)} | ${((100 * t) / total).toFixed(1)}% |`);
  }
  console.log(`| total | ${(total / 1e3 / steps).toFixed(0)} | |`);
} else {
  const split = splitSteps(profile);
  if (split.length !== steps) {
    console.error(`profile-table: the profile splits into ${split.length} steps, not the ${steps} given`);
    process.exit(1);
  }
  const wasmFile = flagOf(argv, 'wasm', 'packages/tensor/src/backend/wasm/kernels.wasm');
  const wasmNames = existsSync(wasmFile) ? wasmExportNames(readFileSync(wasmFile)) : undefined;
  if (!wasmNames) console.error(`profile-table: no ${wasmFile}; wasm frames keep V8's names`);
  const keyCache = new Map();
  const keyOf = (id) => {
    let k = keyCache.get(id);
    if (k === undefined) {
      k = functionKey(byId.get(id), callers(id), wasmNames);
      keyCache.set(id, k);
    }
    return k;
  };
  const byCategory = perStep(profile, split, warmup, categoryOf);
  const byFunction = perStep(profile, split, warmup, keyOf);
  const n = steps - warmup;
  console.log(
    `${n} steps after ${warmup} warm-up: ${ms(byCategory.meanMs)} ms a step (mean), median ` +
      `${ms(byCategory.medianMs)}; each: ${byCategory.stepMs.map(ms).join(', ')}; ` +
      `warm-up: ${split
        .slice(0, warmup)
        .map((s) => ms(s.reduce((a, i) => a + (profile.timeDeltas[i] ?? 0), 0) / 1e3))
        .join(', ')}\n`,
  );
  console.log(`| where | ms / step | share |\n|---|---:|---:|`);
  for (const [name, t] of byCategory.rows) {
    console.log(`| ${name} | ${ms(t)} | ${((100 * t) / byCategory.meanMs).toFixed(1)}% |`);
  }
  console.log(`| total | ${ms(byCategory.meanMs)} | |\n`);
  console.log(`| function (self time) | ms / step |\n|---|---:|`);
  for (const [name, t] of byFunction.rows.slice(0, top)) console.log(`| ${name} | ${ms(t)} |`);
}
