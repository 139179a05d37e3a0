// Two builds of the wasm kernels (kernels.wasm) side by side in one process, on a workload's real
// optimizer shapes: Adam's update (the backend's adamStep through a state memory, as `bench speed
// --mode train` runs it: m and v in place, θ and g copied in and θ out in blocks) over every
// parameter, each side on its own copy of the same parameters, moments and gradients, alternating
// A B, then B A, for `--rounds` rounds of `--steps` steps. Prints the median CPU and wall time of a
// step per side, the median of the per-round ratios new / old, the load average, and whether both
// sides ended with the same bits (they must: every kernel change here is meant to keep them).
//
//   git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm
//   node tools/wasm/build.mjs
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-kernels.ts --old old.wasm \
//     [--new packages/tensor/src/backend/wasm/kernels.wasm] [--workload W1] [--rounds 21] [--steps 5]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { setBackend } from '@seqlab/tensor';
import type { AdamStepArgs, StateMemory } from '../../../packages/tensor/src/backend/backend';
import { makeStateMemory } from '../../../packages/tensor/src/backend/wasm/blocked';
import { instantiateKernels } from '../../../packages/tensor/src/backend/wasm/module';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: 'packages/tensor/src/backend/wasm/kernels.wasm' },
    workload: { type: 'string', default: 'W1' },
    rounds: { type: 'string', default: '21' },
    steps: { type: 'string', default: '5' },
  },
});
if (!values.old) throw new Error('ab-kernels: --old <kernels.wasm> is required (see the header)');
const rounds = Number(values.rounds);
const steps = Number(values.steps);

setBackend('wasm');
const { forward, labels, params } = trainingSetup(values.workload);
crossEntropy(forward(), labels).backward();
const grads = params.map((p) => {
  const g = p.grad?.data;
  if (!(g instanceof Float32Array)) throw new Error('ab-kernels: a parameter without a float32 gradient');
  return g;
});

/** One side: its kernels' state memory, its parameters and moments (views of that memory). */
function side(file: string) {
  const load = instantiateKernels(new Uint8Array(readFileSync(file)));
  if (!load.ok) throw new Error(`ab-kernels: ${file}: ${load.reason}`);
  const bytes = params.reduce((n, p) => n + ((p.numel + 3) & ~3) * 4 * 2, 0);
  const memory = makeStateMemory(load.module, bytes) as StateMemory;
  let next = memory.start;
  const view = (n: number) => {
    const v = new Float32Array(memory.buffer, next, n);
    next += ((n + 3) & ~3) * 4;
    return v;
  };
  const state = params.map((p) => ({
    param: Float32Array.from(p.data as Float32Array),
    expAvg: view(p.numel),
    expAvgSq: view(p.numel),
  }));
  let t = 0;
  const step = () => {
    t++;
    const [beta1, beta2, lr] = [0.9, 0.999, 1e-3];
    const scalars = {
      beta1,
      beta2,
      eps: 1e-8,
      stepSize: lr / (1 - beta1 ** t),
      bias2Sqrt: Math.sqrt(1 - beta2 ** t),
      l2: 0,
      decay: 1,
      maximize: false,
      maxExpAvgSq: null,
    } satisfies Partial<AdamStepArgs>;
    state.forEach((s, i) => {
      memory.adamStep({ ...s, grad: grads[i] as Float32Array, ...scalars });
    });
  };
  return { state, step };
}

const sides = { old: side(values.old), new: side(values.new) };
const wall: Record<string, number[]> = { old: [], new: [] };
const cpu: Record<string, number[]> = { old: [], new: [] };
const load0 = loadavg()[0];
// Round 0 warms up (JIT, the memories' first touch) and is not timed.
for (let r = 0; r <= rounds; r++) {
  for (const name of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) sides[name].step();
    const c = process.cpuUsage(c0);
    if (r > 0) {
      wall[name].push((performance.now() - t0) / steps);
      cpu[name].push((c.user + c.system) / 1000 / steps);
    }
  }
}
let same = true;
sides.old.state.forEach((s, i) => {
  const t = sides.new.state[i];
  for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
    const [a, b] = [s[key], t?.[key] as Float32Array];
    for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) same = false;
  }
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ratio = (xs: Record<string, number[]>) => median(xs.new.map((x, i) => x / (xs.old[i] as number)));
const floats = params.reduce((n, p) => n + p.numel, 0);
console.log(
  `${values.workload} Adam step (${params.length} tensors, ${floats} floats), ${rounds} rounds x ${steps} steps, ` +
    `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
    `CPU ms/step old ${median(cpu.old).toFixed(2)}, new ${median(cpu.new).toFixed(2)}, new/old median ${ratio(cpu).toFixed(3)}; ` +
    `wall ms/step old ${median(wall.old).toFixed(2)}, new ${median(wall.new).toFixed(2)}, new/old median ${ratio(wall).toFixed(3)}; ` +
    `same bits: ${same ? 'yes' : 'NO'}`,
);
if (!same) process.exitCode = 1;
