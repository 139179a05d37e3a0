#!/usr/bin/env node
// The time of a `seqlab bench speed --mode train` step by category, from a V8 CPU profile:
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof apps/trainer/dist/cli.js bench speed --workload W1 \
//     --mode train --steps 6 --warmup 1
//   node tools/bench/profile-table.mjs /tmp/prof/CPU.*.cpuprofile 7     # 7 = steps + warm-up
//
// Self time of the samples under the timed loop (`timeModes`), plus every garbage-collector sample,
// per step and as a share; the Markdown rows of tools/bench/PROFILE.md. The profile is sampled wall
// time: on a loaded machine the shares hold better than the milliseconds.
import { readFileSync } from 'node:fs';

const [file, stepsArg] = process.argv.slice(2);
if (!file || !(Number(stepsArg) > 0)) {
  console.error('usage: node tools/bench/profile-table.mjs <file.cpuprofile> <steps incl. warm-up>');
  process.exit(2);
}
const steps = Number(stepsArg);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfTime = new Map();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** Function names from a node up to the root. */
function callers(id) {
  const names = [];
  for (let c = id; c !== undefined; c = parent.get(c)) names.push(byId.get(c).callFrame.functionName);
  return names;
}

const is =
  (...names) =>
  (f) =>
    names.includes(f);
// First match wins. Kernels are the wasm functions and the native addon's exports (named as the
// Backend methods, in @seqlab/native's bundle rather than @seqlab/tensor's chunk). The optimizer
// comes first, so that the wasm backend's Adam kernel counts there; its bias add and its sums
// (blocked.c) are filed under their JavaScript caller (see `frameName`).
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

/** The wasm backend's kernels outside the GEMM and the recurrence (blocked.c) run from these. */
const BLOCKED_CALLERS = new Set(['addBias', 'reduce']);
/** A frame's name, a wasm function of BLOCKED_CALLERS taking its JavaScript caller's. */
function frameName(f, up) {
  if (!f.startsWith('wasm-function')) return f;
  const caller = up.find(
    (n) => !n.startsWith('wasm-function') && !n.includes('-to-wasm') && n !== 'GenericJSToWasmWrapper',
  );
  return BLOCKED_CALLERS.has(caller) ? caller : f;
}

const totals = new Map();
let total = 0;
for (const [id, t] of selfTime) {
  const node = byId.get(id);
  const f = node.callFrame.functionName;
  const up = callers(id);
  if (!up.includes('timeModes') && f !== '(garbage collector)') continue;
  total += t;
  const name = CATEGORIES.find(([, match]) => match(frameName(f, up), node.callFrame.url, up))?.[0] ?? OTHER;
  totals.set(name, (totals.get(name) ?? 0) + t);
}
console.log(`| where | ms / step | share |\n|---|---:|---:|`);
for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${name} | ${(t / 1e3 / steps).toFixed(0)} | ${((100 * t) / total).toFixed(1)}% |`);
}
console.log(`| total | ${(total / 1e3 / steps).toFixed(0)} | |`);
