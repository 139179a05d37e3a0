// The wasm backend's forward-only recurrence with its input projection (`recurrentInferInputMany`,
// one call per LSTM layer as the layers make it: infer.c) on W1's two layers (both directions,
// B = 32, T = 50, H = 256, I = 128 then 512), W2's (B = 64, T = 100, H = 128, I = 64) and an odd
// small one (H = 37: a partial last vector), for this checkout's kernels and another build's
// (`--old`, a kernels.wasm, say main's: `git show main:packages/tensor/src/backend/wasm/kernels.wasm
// > old.wasm`), both instantiated in one process and alternating round by round (the order flips
// every round). The native addon's twin is `pnpm --filter @seqlab/native bench:infer`; both take
// their shapes and arguments from infer-args.ts.
//
//   pnpm --filter @seqlab/tensor bench:infer --old old.wasm [--reps 15] [--shapes W1l1,W1l2,W2,odd]
//
// Per shape: the median over `reps` rounds of process CPU ms per call (wasm runs on one thread, so
// CPU time is the work, and holds on a shared machine better than wall time), the median and range
// of the per-round ratios new / old, and how many floats of out, hN and cN differ between the
// builds (0: the same bits).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadWasmKernels, type WasmKernels } from '../src/backend/wasm/index';
import { inferArgs, inferShapes, median } from './infer-args';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    reps: { type: 'string', default: '15' },
    shapes: { type: 'string', default: 'W1l1,W1l2,W2,odd' },
  },
});
if (!values.old) {
  console.error('bench:infer: --old <kernels.wasm> is required (the build to compare this one with)');
  process.exit(1);
}

/** The kernels from `bytes`, or this checkout's (kernels.ts) without. */
function load(what: string, bytes?: Uint8Array<ArrayBuffer>): WasmKernels {
  const kernels = bytes ? loadWasmKernels(bytes) : loadWasmKernels();
  if (!kernels.ok) {
    console.error(`bench:infer: the ${what} kernels did not load: ${kernels.reason}`);
    process.exit(1);
  }
  return kernels;
}
const builds: [string, WasmKernels][] = [
  ['new', load("this checkout's")],
  ['old', load(values.old, new Uint8Array(readFileSync(values.old)))],
];

// Calls per round: about the same time per round for every shape.
const CALLS: Record<string, number> = { W1l1: 2, W1l2: 2, W2: 3, odd: 200 };

for (const s of inferShapes(values.shapes)) {
  const { calls, out } = inferArgs(s);
  const reps = CALLS[s.name];
  const cpu: Record<string, number[]> = { new: [], old: [] };
  const results: Record<string, Float32Array[]> = {};
  const ratios: number[] = [];
  for (let r = 0; r < Number(values.reps); r++) {
    const round: Record<string, number> = {};
    for (const [name, kernels] of r % 2 ? [...builds].reverse() : builds) {
      kernels.recurrentInferInputMany(calls);
      const c0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) kernels.recurrentInferInputMany(calls);
      const c = process.cpuUsage(c0);
      round[name] = (c.user + c.system) / 1000 / reps;
      cpu[name].push(round[name]);
      results[name] = [out.slice(), ...calls.flatMap((a) => [a.hN.slice(), a.cN.slice()])];
    }
    ratios.push(round.new / round.old);
  }
  let differ = 0;
  results.new.forEach((a, j) => {
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], results.old[j][i])) differ++;
  });
  console.log(
    `${s.name}: new CPU ${median(cpu.new).toFixed(2)} ms, old ${median(cpu.old).toFixed(2)} ms; new / old median ` +
      `${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)}); ` +
      `${differ} floats differ; load ${loadavg()[0].toFixed(1)}`,
  );
}
