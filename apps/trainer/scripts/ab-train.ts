// A training step against another build of the native addon, or with and without the training
// deferral of the last layer's reverse steps (`--off deferral`, NOTE(deferred-reverse-training); on
// native or `--backend wasm`), alternating in one process (A B A B), so both sides see the same
// machine load: `bench speed --mode train`'s step (zeroGrad, forward, cross-entropy, backward,
// clipGradNorm(5), Adam) on W1/W2/W3 or W1-packed, with every function of the native addon taken
// from this checkout's build ("new") or from the `--base` one ("old"), or with the deferral on
// ("new") and off ("old"), each side training its own copy of the model from the same seed. Prints
// the median wall time per step, the median process CPU time per step (every thread), the medians
// of the per-round ratios new / old of both, and whether the two sides' losses are the same bits at every step.
//
//   git worktree add --detach /tmp/base <commit> && (cd /tmp/base && pnpm install --frozen-lockfile && pnpm build)
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts \
//     --base /tmp/base/packages/native/build/Release/seqlab_native.node [--workloads W2,W1] [--rounds 7] [--steps 4] [--threads 2]
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts --off deferral \
//     [--backend wasm] [--workloads W1,W3] [--rounds 7] [--steps 4] [--threads 2]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { loadNative, registerNative } from '@seqlab/native';
import { clipGradNorm } from '@seqlab/optim';
import { manualSeed, setBackend } from '@seqlab/tensor';
import {
  inferRecurrentLayer,
  setTrainingReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    off: { type: 'string' },
    backend: { type: 'string', default: 'native' },
    workloads: { type: 'string', default: 'W2' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
  },
});
const deferral = values.off === 'deferral';
if (values.off !== undefined && !deferral)
  throw new Error(`ab-train: --off takes "deferral", got ${values.off}`);
if (!values.base && !deferral)
  throw new Error('ab-train: expected --base <path to another seqlab_native.node>, or --off deferral');

const threads = Number(values.threads);
const status = registerNative({ threads });
if (!status.ok) throw new Error(`native backend unavailable: ${status.reason}`);
setBackend(values.backend);
// The wasm backend's layer hook, as the CLI enables it (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
const load = loadNative();
if (!load.ok) throw new Error(load.reason);
type Addon = Record<string, (...args: unknown[]) => unknown>;
const addon = load.addon as unknown as Addon;
const fresh: Addon = { ...addon };
const old = values.base ? (createRequire(import.meta.url)(values.base) as Addon) : fresh;
old.setThreads(threads);
// The backend looks each addon function up at call time: swapping them swaps the build.
const use = (side: Addon) => {
  for (const name of Object.keys(fresh)) if (typeof side[name] === 'function') addon[name] = side[name];
};
/** Makes side `v` the active one: its addon build, or the deferral on (new) or off (old). */
const activate = (v: 'old' | 'new') => {
  if (deferral) setTrainingReverseDeferral(v === 'new');
  else use(v === 'new' ? fresh : old);
};

function trainer(name: string) {
  const { forward, labels, params, optimizer } = trainingSetup(name);
  return () => {
    optimizer.zeroGrad();
    const loss = crossEntropy(forward(), labels);
    loss.backward();
    clipGradNorm(params, 5);
    optimizer.step();
    return loss.item();
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(values.rounds);
const steps = Number(values.steps);
for (const name of values.workloads.split(',')) {
  const sides = { old: trainer(name), new: trainer(name) };
  const wall: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  const losses: Record<string, number[]> = { old: [], new: [] };
  const load0 = loadavg()[0];
  // Round 0 warms up (JIT, first allocations) and is not timed; the order alternates by round.
  for (let r = 0; r <= rounds; r++) {
    for (const v of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
      activate(v);
      // The same dropout masks on both sides: the generator restarts at the round's seed.
      manualSeed(1 + r);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) losses[v].push(sides[v]());
      const c = process.cpuUsage(c0);
      if (r > 0) {
        wall[v].push((performance.now() - t0) / steps);
        cpu[v].push((c.user + c.system) / 1000 / steps);
      }
    }
  }
  activate('new');
  const same = losses.old.every((l, i) => Object.is(l, losses.new[i]));
  const ratios = wall.new.map((x, i) => x / wall.old[i]);
  const cpuRatios = cpu.new.map((x, i) => x / cpu.old[i]);
  console.log(
    `${name} ${values.backend}${deferral ? ' deferral on (new) / off (old)' : ''}, ${threads} threads, ${rounds} rounds x ${steps} steps, load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
      `wall ms/step old ${median(wall.old).toFixed(1)}, new ${median(wall.new).toFixed(1)}, new/old median ${median(ratios).toFixed(3)}; ` +
      `CPU ms/step old ${median(cpu.old).toFixed(1)}, new ${median(cpu.new).toFixed(1)}, new/old median ${median(cpuRatios).toFixed(3)}; ` +
      `losses ${same ? 'the same bits' : 'DIFFER'} (last ${losses.new.at(-1)})`,
  );
}
