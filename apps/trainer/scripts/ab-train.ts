// A native training step against another build of the addon, alternating in one process (A B A B),
// so both sides see the same machine load: `bench speed --mode train`'s step (zeroGrad, forward,
// cross-entropy, backward, clipGradNorm(5), Adam) on W1/W2/W3 or W1-packed, with every function of
// the native addon taken from this checkout's build ("new") or from the `--base` one ("old"), each
// side training its own copy of the model from the same seed. Prints the median wall time per
// step, the median process CPU time per step (every thread), the median of the per-round ratios
// new / old, and whether the two sides' losses are the same bits at every step.
//
//   git worktree add --detach /tmp/base <commit> && (cd /tmp/base && pnpm install --frozen-lockfile && pnpm build)
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts \
//     --base /tmp/base/packages/native/build/Release/seqlab_native.node [--workloads W2,W1] [--rounds 7] [--steps 4] [--threads 2]
//
// With --off instead of --base: "old" is the backend (--backend native or wasm) with the kernels
// named switched off (an optional one removed, so its callers fall back; a required one replaced by
// the js backend's), "new" the backend as it is; e.g. the wasm backend's Adam, bias add and bias
// gradients against the js loops they replaced:
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts \
//     --backend wasm --off adamStep,addBias,reduce --workloads W1 [--rounds 7] [--steps 4]
//
// A capability named in --off (a boolean of the backend, such as recurrentBatchFirst: a one-direction
// batch-first layer's recurrence writing and reading its batch-first rows itself) is false on the
// "old" side:
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts \
//     --off recurrentBatchFirst --workloads W2,W1 [--rounds 9] [--steps 4]
//
// With --old-wasm (and --backend wasm): "old" is the wasm backend with the Adam update (through
// its state memory) and the dropout kernel of another build of kernels.wasm (none if it has none):
//
//   git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts \
//     --backend wasm --old-wasm old.wasm --workloads W1 [--rounds 7] [--steps 4]
//
// With --off deferral: "old" trains with the last bidirectional layer's unread reverse steps
// computed (setTrainingReverseDeferral(false)), "new" with them deferred:
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts --off deferral \
//     [--backend wasm] [--workloads W1,W3] [--rounds 7] [--steps 4] [--threads 2]
//
// With --off tidy: "old" runs each step as it is, "new" in `tidy` (NOTE(tidy)), whose storage goes
// back to the pool for the next step. The two sides share one storage pool: it is emptied at each
// switch, and each side's round begins with one untimed step that fills it as that side does.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-train.ts --off tidy \
//     [--backend wasm] [--workloads W2,W1] [--rounds 7] [--steps 4] [--threads 2]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadNative, registerNative } from '@seqlab/native';
import { manualSeed, setBackend, tidy } from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  jsBackend,
  setTrainingReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import { clearStoragePool } from '@seqlab/tensor/testing';
import { makeStateMemory, makeWasmBlocked } from '../../../packages/tensor/src/backend/wasm/blocked';
import { instantiateKernels } from '../../../packages/tensor/src/backend/wasm/module';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    workloads: { type: 'string', default: 'W2' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'native' },
    off: { type: 'string' },
    'old-wasm': { type: 'string' },
  },
});
if (!values.base && !values.off && !values['old-wasm'])
  throw new Error(
    'ab-train: expected --base <path to another seqlab_native.node>, --old-wasm <another kernels.wasm>, or --off <kernels>, --off deferral or --off tidy',
  );

const threads = Number(values.threads);
const status = registerNative({ threads });
if (!status.ok) throw new Error(`native backend unavailable: ${status.reason}`);
setBackend(values.off || values['old-wasm'] ? values.backend : 'native');
// The wasm backend's layer hook, as the CLI enables it (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
type Kernels = Record<string, unknown>;

/** Switches to one side: "new" the build and backend as they are, "old" the other. */
let tidied = false;
function sideSwitch(): (side: 'old' | 'new') => void {
  if (values.off === 'tidy')
    return (side) => {
      tidied = side === 'new';
      clearStoragePool();
    };
  if (values.off === 'deferral') return (side) => setTrainingReverseDeferral(side === 'new');
  if (values['old-wasm']) {
    // The wasm backend's blocked.c kernels from the other build: Adam's state memory (so its
    // adamStep; each side's optimizer makes its memory at its first step, on its own side) and
    // dropout (absent when that build has none: the op's js loop).
    const load = instantiateKernels(new Uint8Array(readFileSync(values['old-wasm'])));
    if (!load.ok) throw new Error(`ab-train: ${values['old-wasm']}: ${load.reason}`);
    const oldModule = load.module;
    const k = backend();
    const fresh = { stateMemory: k.stateMemory, dropout: k.dropout };
    const old = {
      stateMemory: (bytes: number) => makeStateMemory(oldModule, bytes),
      dropout: 'dropout' in oldModule.exports ? makeWasmBlocked(oldModule).dropout : undefined,
    };
    return (side) => Object.assign(k, side === 'new' ? fresh : old);
  }
  if (values.off) {
    // The backend looks its kernels up at call time: replacing them switches them off.
    const k = backend() as unknown as Kernels;
    const js = jsBackend as unknown as Kernels;
    const names = values.off.split(',');
    const kept = Object.fromEntries(names.map((name) => [name, k[name]]));
    // Capabilities (booleans; the native backend's is a getter) are defined false, then restored.
    const capabilities = new Map(
      names
        .filter((name) => typeof k[name] === 'boolean')
        .map((name) => [name, Object.getOwnPropertyDescriptor(k, name) as PropertyDescriptor]),
    );
    const off: PropertyDescriptor = { value: false, configurable: true, writable: true };
    return (side) => {
      for (const name of names) {
        const own = capabilities.get(name);
        if (own) Object.defineProperty(k, name, side === 'new' ? own : off);
        else k[name] = side === 'new' ? kept[name] : js[name];
      }
    };
  }
  const load = loadNative();
  if (!load.ok) throw new Error(load.reason);
  type Addon = Record<string, (...args: unknown[]) => unknown>;
  const addon = load.addon as unknown as Addon;
  const fresh: Addon = { ...addon };
  const old = createRequire(import.meta.url)(values.base as string) as Addon;
  old.setThreads(threads);
  // The backend looks each addon function up at call time: swapping them swaps the build. A
  // function the other build lacks is absent on its side (the backend then does without it, as
  // with that build).
  return (side) => {
    const from = side === 'new' ? fresh : old;
    for (const name of Object.keys(fresh)) {
      if (typeof from[name] === 'function') addon[name] = from[name];
      else delete addon[name];
    }
  };
}
const use = sideSwitch();

function trainer(name: string) {
  const { step } = trainingSetup(name);
  return () => (tidied ? tidy(step) : step());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(values.rounds);
const steps = Number(values.steps);
for (const name of values.workloads.split(',')) {
  const sides = { old: { step: trainer(name) }, new: { step: trainer(name) } };
  const wall: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  const losses: Record<string, number[]> = { old: [], new: [] };
  const load0 = loadavg()[0];
  // Round 0 warms up (JIT, first allocations) and is not timed; the order alternates by round.
  for (let r = 0; r <= rounds; r++) {
    for (const v of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
      use(v);
      // The same dropout masks on both sides: the generator restarts at the round's seed.
      manualSeed(1 + r);
      if (values.off === 'tidy') losses[v].push(sides[v].step()); // fills the emptied pool
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) losses[v].push(sides[v].step());
      const c = process.cpuUsage(c0);
      if (r > 0) {
        wall[v].push((performance.now() - t0) / steps);
        cpu[v].push((c.user + c.system) / 1000 / steps);
      }
    }
  }
  use('new');
  const same = losses.old.every((l, i) => Object.is(l, losses.new[i]));
  const ratios = wall.new.map((x, i) => x / wall.old[i]);
  const cpuRatios = cpu.new.map((x, i) => x / cpu.old[i]);
  const what = values.off
    ? `${values.backend} without ${values.off} as old`
    : values['old-wasm']
      ? `${values.backend} with ${values['old-wasm']}'s Adam and dropout as old`
      : `${threads} threads`;
  console.log(
    `${name}, ${what}, ${rounds} rounds x ${steps} steps, load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}: ` +
      `wall ms/step old ${median(wall.old).toFixed(1)}, new ${median(wall.new).toFixed(1)}, new/old median ${median(ratios).toFixed(3)}; ` +
      `CPU ms/step old ${median(cpu.old).toFixed(1)}, new ${median(cpu.new).toFixed(1)}, new/old median ${median(cpuRatios).toFixed(3)}; ` +
      `losses ${same ? 'the same bits' : 'DIFFER'} (last ${losses.new.at(-1)})`,
  );
}
