// Two builds of the wasm kernels (kernels.wasm) side by side in one process, on a workload's real
// optimizer shapes: Adam's update (the backend's adamStep through a state memory, as `bench speed
// --mode train` runs it: m and v in place, θ and g copied in and θ out in blocks) over every
// parameter, each side on its own copy of the same parameters, moments and gradients, alternating
// A B, then B A, for `--rounds` rounds of `--steps` steps. Prints the median CPU and wall time of a
// step per side, the median of the per-round ratios new / old, the load average, and whether both
// sides ended with the same bits (they must: every kernel change here is meant to keep them).
// Then dropout(x, 0.3) on W1's [32, 50, 512] between its layers, as the op runs it on the wasm
// backend, with the backend's dropout kernel ("new") and without it ("old": the op's own loop over
// fillUniforms), alternating the same way, each side from the same generator state: the same
// masks and outputs.
//
//   git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm
//   node tools/wasm/build.mjs
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-kernels.ts --old old.wasm \
//     [--new packages/tensor/src/backend/wasm/kernels.wasm] [--workload W1] [--rounds 21] [--steps 5]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { dropout, Generator, randn, setBackend, tidy } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { instantiateKernels } from '../../../packages/tensor/src/backend/wasm/module';
import { adamScalars, adamStateViews, trainingSetup } from './training-setup';

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
  const { memory, state } = adamStateViews(load.module, params);
  let t = 0;
  const step = () => {
    t++;
    const scalars = adamScalars(t);
    state.forEach((s, i) => {
      memory.adamStep({ ...s, grad: grads[i] as Float32Array, ...scalars });
    });
  };
  return { state, step };
}

const sides = { old: side(values.old), new: side(values.new) };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ratio = (xs: Record<string, number[]>) => median(xs.new.map((x, i) => x / (xs.old[i] as number)));

/** Times `sides[name]()` alternating (A B, then B A), round 0 untimed: median ms and new / old. */
function alternate(run: Record<'old' | 'new', () => void>) {
  const wall: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  const load0 = loadavg()[0];
  for (let r = 0; r <= rounds; r++) {
    for (const name of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) run[name]();
      const c = process.cpuUsage(c0);
      if (r > 0) {
        wall[name].push((performance.now() - t0) / steps);
        cpu[name].push((c.user + c.system) / 1000 / steps);
      }
    }
  }
  return (
    `${rounds} rounds x ${steps}, load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
    `CPU ms old ${median(cpu.old).toFixed(2)}, new ${median(cpu.new).toFixed(2)}, new/old median ${ratio(cpu).toFixed(3)}; ` +
    `wall ms old ${median(wall.old).toFixed(2)}, new ${median(wall.new).toFixed(2)}, new/old median ${ratio(wall).toFixed(3)}`
  );
}

const adam = alternate({ old: sides.old.step, new: sides.new.step });
let same = true;
sides.old.state.forEach((s, i) => {
  const t = sides.new.state[i];
  for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
    const [a, b] = [s[key], t?.[key] as Float32Array];
    for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) same = false;
  }
});
const floats = params.reduce((n, p) => n + p.numel, 0);
console.log(
  `${values.workload} Adam step (${params.length} tensors, ${floats} floats), ${adam}; same bits: ${same ? 'yes' : 'NO'}`,
);

const wasm = backend();
const kernel = wasm.dropout;
if (kernel) {
  const x = randn([32, 50, 512], { generator: new Generator(1) });
  const gens = { old: new Generator(2), new: new Generator(2) };
  const outs: Record<string, Float32Array> = {};
  const drop = (name: 'old' | 'new') => () => {
    wasm.dropout = name === 'new' ? kernel : undefined;
    tidy(() => {
      outs[name] = Float32Array.from(dropout(x, 0.3, { generator: gens[name] }).data as Float32Array);
    });
  };
  const line = alternate({ old: drop('old'), new: drop('new') });
  wasm.dropout = kernel;
  const a = new Uint32Array((outs.old as Float32Array).buffer);
  const b = new Uint32Array((outs.new as Float32Array).buffer);
  const sameDrop = a.every((v, i) => v === b[i]) && `${gens.old.getState()}` === `${gens.new.getState()}`;
  if (!sameDrop) same = false;
  console.log(`dropout(x, 0.3) on [32, 50, 512], ${line}; same bits: ${sameDrop ? 'yes' : 'NO'}`);
}
if (!same) process.exitCode = 1;
