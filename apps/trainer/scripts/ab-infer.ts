// W1 and W2 inference on the native backend (or `--backend wasm`) with and without some of its optional inference kernels
// (by default `recurrentInferInputMany`, the input projection fused into the recurrence: without it
// the layers run `linear` and then `recurrentInferMany`), alternating in one process (A B A B), so
// both sides see the same machine load: the median wall time per step, the median process CPU time
// per step (every thread), and the median of the per-round ratios new / old.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-infer.ts \
//     [--rounds 5] [--threads 1] [--off recurrentInferInputMany,recurrentInferMany,addBias] [--workloads W1,W2]
//     [--backend wasm --off layerInference]   # the wasm backend with and without its forward-only path
//     [--off deferral]   # with and without the last layer's deferred reverse steps (NOTE(deferred-reverse))
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registerNative, setNativeThreads } from '@seqlab/native';
import { setBackend } from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  setReverseDeferral,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
import type { WorkloadName } from '../src/commands/bench/workloads';
import { inferenceSetup, median, timeInference } from './inference-setup';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string' },
    off: { type: 'string', default: 'recurrentInferInputMany' },
    workloads: { type: 'string', default: 'W1,W2' },
    backend: { type: 'string', default: 'native' },
  },
});
registerNative();
setBackend(values.backend);
// The wasm backend's forward-only layers, as the CLI enables them (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
if (values.threads) setNativeThreads(Number(values.threads));
const k = backend() as unknown as Record<string, unknown>;
const off = values.off.split(',');
const kept = Object.fromEntries(off.map((name) => [name, k[name]]));
const rounds = Number(values.rounds);
console.log(`old: without ${off.join(', ')}; new: the backend as it is`);
for (const name of values.workloads.split(',') as WorkloadName[]) {
  const setup = inferenceSetup(name);
  const res: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of ['old', 'new']) {
      for (const kernel of off) {
        // `deferral` is no kernel: the switch of NOTE(deferred-reverse).
        if (kernel === 'deferral') setReverseDeferral(v === 'new');
        else k[kernel] = v === 'new' ? kept[kernel] : undefined;
      }
      const t = timeInference(setup, 6, 2);
      res[v].push(t.wall);
      cpu[v].push(t.cpu);
    }
  }
  const o = median(res.old),
    n = median(res.new);
  const ratios = res.new.map((x, i) => x / res.old[i]);
  const cpuRatios = cpu.new.map((x, i) => x / cpu.old[i]);
  console.log(
    `${name} CPU ms (all threads): old ${median(cpu.old).toFixed(1)}, new ${median(cpu.new).toFixed(1)}, new/old median ${median(cpuRatios).toFixed(3)}`,
  );
  console.log(
    `${name}: old ${o.toFixed(1)} ms, new ${n.toFixed(1)} ms, new/old median ${median(ratios).toFixed(3)} (load ${loadavg()[0].toFixed(1)})`,
  );
}
