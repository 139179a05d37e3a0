// Adam's step alone on a workload's parameters and gradients (`bench speed --mode train`'s model and
// optimizer options, training-setup.ts), on the wasm backend, with its state memory
// (NOTE(wasm-adam-state): the moment buffers stay in a memory of their own, updated in place; "new")
// and without it (the backend's adamStep copying θ, g, m and v in and θ, m and v out; "old"),
// alternating in one process (A B, then B A), so both sides see the same machine load. One
// forward and backward make the gradients; each side's Adam then steps the same parameters. Prints
// the median wall and CPU time of a step per side, the median of the per-round ratios new / old,
// and the load average.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-adam.ts [--workload W1] [--rounds 21] [--steps 10]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { Adam } from '@seqlab/optim';
import { setBackend } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    rounds: { type: 'string', default: '21' },
    steps: { type: 'string', default: '10' },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);

setBackend('wasm');
const wasm = backend();
if (!wasm.stateMemory) throw new Error(`ab-adam: the ${wasm.name} backend has no state memory`);
const stateMemory = wasm.stateMemory;
const use = (side: 'old' | 'new') => {
  wasm.stateMemory = side === 'new' ? stateMemory : undefined;
};

const { forward, labels, params } = trainingSetup(values.workload);
crossEntropy(forward(), labels).backward();
const sides = { old: new Adam(params, { lr: 1e-3 }), new: new Adam(params, { lr: 1e-3 }) };
const wall: Record<string, number[]> = { old: [], new: [] };
const cpu: Record<string, number[]> = { old: [], new: [] };
const load0 = loadavg()[0];
// Round 0 warms up (JIT, the buffers' first allocation) and is not timed.
for (let r = 0; r <= rounds; r++) {
  for (const side of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
    use(side);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) sides[side].step();
    const c = process.cpuUsage(c0);
    if (r > 0) {
      wall[side].push((performance.now() - t0) / steps);
      cpu[side].push((c.user + c.system) / 1000 / steps);
    }
  }
}
use('new');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ratio = (xs: Record<string, number[]>) => median(xs.new.map((x, i) => x / (xs.old[i] as number)));
const floats = params.reduce((n, p) => n + p.numel, 0);
console.log(
  `${values.workload} Adam step (${params.length} tensors, ${floats} floats), wasm, ${rounds} rounds x ${steps} steps, ` +
    `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
    `wall ms/step old ${median(wall.old).toFixed(2)}, new ${median(wall.new).toFixed(2)}, new/old median ${ratio(wall).toFixed(3)}; ` +
    `CPU ms/step old ${median(cpu.old).toFixed(2)}, new ${median(cpu.new).toFixed(2)}, new/old median ${ratio(cpu).toFixed(3)}`,
);
