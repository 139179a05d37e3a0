// Typed-array bytes a training step allocates, by where: the W1/W2/W3 (or W1-packed) step of `seqlab bench speed
// --mode train` (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5), Adam) with the
// Float32Array/Float64Array constructors, `slice` and `from` wrapped to count bytes, each allocation
// filed under its first three stack frames in packages/ or apps/.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/step-allocations.ts [--workload W2] [--backend native] [--steps 4] [--rows 25]
//
// The training step runs in `tidy` as the bench runs it (NOTE(tidy)); --tidy off: without, as the
// bench did before the training step's storage went back to the pool (and as these numbers in
// PROFILE.md sections before 2026-12-05 were taken). Also prints the storage pool's misses a step.
//
// With --mode infer: the inference step of `seqlab bench speed --mode infer` instead (eval mode, a
// forward under noGrad, in `tidy` as the bench runs it; --tidy off: without).
//
// Prints MB per step (mean over the timed steps) and the largest sites, with the wall time spent
// inside the constructors (per site, and in all by array size: NOTE(pool-sizes) in
// packages/tensor/src/storage-pool.ts) and the process's minor page faults a step.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W2' },
    backend: { type: 'string', default: 'native' },
    steps: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    rows: { type: 'string', default: '25' },
    mode: { type: 'string', default: 'train' },
    tidy: { type: 'string', default: 'on' },
  },
});

const sites = new Map<string, { bytes: number; count: number; ms: number }>();
let counting = false;
let total = 0;
let totalMs = 0;
/** Arrays and ms inside the constructors by size, rounded up to a power of two bytes. */
const bySize = new Map<number, { count: number; ms: number }>();
function record(bytes: number, ms = 0): void {
  if (!counting) return;
  total += bytes;
  totalMs += ms;
  const size = 2 ** Math.ceil(Math.log2(Math.max(1, bytes)));
  const b = bySize.get(size) ?? { count: 0, ms: 0 };
  b.count++;
  b.ms += ms;
  bySize.set(size, b);
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(3)
    .filter((l) => /packages\/|apps\//.test(l) && !l.includes('step-allocations'))
    .slice(0, Number(process.env.FRAMES ?? 3))
    .map((l) =>
      l
        .trim()
        .replace(/^at /, '')
        .replace(/file:\/\/\S*?\/(packages|apps)\//, '$1/'),
    );
  const key = frames.join(' <- ');
  const e = sites.get(key) ?? { bytes: 0, count: 0, ms: 0 };
  e.bytes += bytes;
  e.count++;
  e.ms += ms;
  sites.set(key, e);
}
for (const C of [Float32Array, Float64Array] as const) {
  const wrapped = new Proxy(C, {
    construct(target, args, newTarget) {
      const t0 = performance.now();
      const a = Reflect.construct(target, args, newTarget === wrapped ? target : newTarget) as Float32Array;
      record(a.byteLength, performance.now() - t0);
      return a;
    },
  });
  (globalThis as Record<string, unknown>)[C.name] = wrapped;
  const slice = C.prototype.slice;
  C.prototype.slice = function (this: Float32Array, ...a: [number?, number?]) {
    const r = slice.apply(this, a);
    record(r.byteLength);
    return r;
  } as typeof slice;
}

// The packages load after the constructors are wrapped.
const { registerNative } = await import('@seqlab/native');
const { noGrad, setBackend, tidy } = await import('@seqlab/tensor');
const { storagePoolStats } = await import('@seqlab/tensor/testing');
const { trainingSetup } = await import('./training-setup');
const { inferenceSetup } = await import('./inference-setup');

if (values.backend === 'native') {
  const status = registerNative({ threads: 2 });
  if (!status.ok) throw new Error(`native backend unavailable: ${status.reason}`);
}
setBackend(values.backend as 'native');
const steps = Number(values.steps);
const warmup = Number(values.warmup);
if (values.mode === 'infer') {
  // The inference step of `seqlab bench speed --mode infer`: eval mode, a forward under noGrad.
  const { model, tokens } = inferenceSetup(values.workload as 'W1');
  const wrap: <T>(f: () => T) => T = values.tidy === 'on' ? tidy : (f) => f();
  for (let i = 0; i < warmup + steps; i++) {
    counting = i >= warmup;
    noGrad(() => wrap(() => model.forward(tokens)));
  }
} else {
  const { step } = trainingSetup(values.workload ?? 'W2');
  const wrap: <T>(f: () => T) => T = values.tidy === 'on' ? tidy : (f) => f();
  const misses = storagePoolStats().misses;
  let counted = 0;
  let faults = 0;
  for (let i = 0; i < warmup + steps; i++) {
    counting = i >= warmup;
    if (i === warmup) {
      counted = storagePoolStats().misses;
      faults = process.resourceUsage().minorPageFault;
    }
    wrap(step);
  }
  faults = (process.resourceUsage().minorPageFault - faults) / steps;
  console.log(`minor page faults per step: ${faults}`);
  const poolMisses = (storagePoolStats().misses - counted) / steps;
  console.log(`storage pool misses per step: ${poolMisses} (${counted - misses} in the warm-up)`);
}
counting = false;
console.log(
  `${values.workload} on ${values.backend}: ${(total / 1e6 / steps).toFixed(1)} MB of typed arrays per step, ` +
    `${(totalMs / steps).toFixed(2)} ms (wall) in their constructors\n`,
);
console.log('| size ≤ | arrays / step | µs each (wall) |\n|---:|---:|---:|');
for (const [size, b] of [...bySize].sort((x, y) => x[0] - y[0])) {
  console.log(`| ${size} B | ${b.count / steps} | ${((b.ms / b.count) * 1e3).toFixed(1)} |`);
}
console.log(
  '\n| MB / step | arrays / step | ms / step (wall) | where (first frames) |\n|---:|---:|---:|---|',
);
const rows = [...sites].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.rows));
for (const [k, e] of rows) {
  console.log(
    `| ${(e.bytes / 1e6 / steps).toFixed(2)} | ${e.count / steps} | ${(e.ms / steps).toFixed(3)} | ${k} |`,
  );
}
