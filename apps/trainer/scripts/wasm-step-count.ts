// The GEMM flops of one wasm training step and where its time goes: `bench speed --mode train`'s
// step (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5), Adam) on W1 (or --workload),
// on the wasm backend with the CLI's layer hook (so the deferred reverse direction,
// NOTE(deferred-reverse-training), runs as in `bench speed`), through a copy of the backend
// registered in its place that counts every product (tools/bench/wasm-flops.mjs: 2·m·n·k per GEMM,
// the recurrence's per-step products included) and times its wasm calls. Every function the
// kernels' WebAssembly instance exports is timed too (a WebAssembly.Instance subclass installed
// before the kernels compile), which tells the kernels themselves from the JavaScript that copies
// their operands in and out (NOTE(wasm-copies)); `wasm_export_by_name` splits that time by export
// (gemm_packed, recurrent_backward, adam_step, …). Runs --steps steps (default 2) and reports the
// last one as one JSON line; tools/bench/wasm-floor.mjs runs it. --clock cpu times everything with
// the process's CPU time (user + system) instead of the wall clock. The step makes its input
// projections apart from the saved blocks, so that every product is counted; --fused keeps them
// in the blocks as `bench speed` does (NOTE(fused-projection)): their GEMMs then show in
// `wasm_export_by_name` only, not in `flops` or `by_method`.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/wasm-step-count.ts [--workload W1] [--steps 2] [--clock wall|cpu] [--fused] [--kernels file.wasm]
//
// --kernels runs another kernels.wasm build instead of the checkout's own (`ready({ backend: 'wasm',
// wasm })`), e.g. main's (`git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm`),
// for an A/B of the C kernels by export in alternating processes.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crossEntropy } from '@seqlab/layers';
import { clipGradNorm } from '@seqlab/optim';
import { ready, setBackend } from '@seqlab/tensor';
import {
  backend,
  inferRecurrentLayer,
  jsBackend,
  registerBackend,
  setWasmLayerInference,
} from '@seqlab/tensor/backend';
// @ts-expect-error: a plain ES module of the bench tools, no types (scripts are not type-checked).
import { countingBackend } from '../../../tools/bench/wasm-flops.mjs';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    steps: { type: 'string', default: '2' },
    clock: { type: 'string', default: 'wall' },
    kernels: { type: 'string' },
    fused: { type: 'boolean', default: false },
  },
});
if (values.clock !== 'wall' && values.clock !== 'cpu')
  throw new Error(`--clock: expected wall or cpu, got ${values.clock}`);
const now =
  values.clock === 'cpu'
    ? () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      }
    : () => performance.now();
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1)
  throw new Error(`--steps: expected an integer ≥ 1, got ${values.steps}`);

// Time inside the instance's exports: only the outermost call (an export does not call another
// through JavaScript, but a guard costs nothing).
const exportTime = { ms: 0, calls: 0 };
/** The same time by export name (outermost calls only): which kernels the step's wasm time is. */
const byExport = new Map<string, { ms: number; calls: number }>();
const Instance = WebAssembly.Instance;
class TimedInstance extends Instance {
  #timed: WebAssembly.Exports | undefined;
  override get exports(): WebAssembly.Exports {
    if (this.#timed) return this.#timed;
    const timed: Record<string, unknown> = {};
    let depth = 0;
    for (const [name, value] of Object.entries(super.exports)) {
      if (typeof value !== 'function') {
        timed[name] = value;
        continue;
      }
      const fn = value as (...args: unknown[]) => unknown;
      timed[name] = (...args: unknown[]) => {
        if (depth > 0) return fn(...args);
        depth++;
        const t0 = now();
        try {
          return fn(...args);
        } finally {
          depth--;
          const ms = now() - t0;
          exportTime.ms += ms;
          exportTime.calls++;
          const one = byExport.get(name) ?? { ms: 0, calls: 0 };
          one.ms += ms;
          one.calls++;
          byExport.set(name, one);
        }
      };
    }
    this.#timed = timed as WebAssembly.Exports;
    return this.#timed;
  }
}
(WebAssembly as { Instance: typeof Instance }).Instance = TimedInstance;

if (values.kernels) {
  // ready() instantiates asynchronously: give it a TimedInstance too.
  const instantiate = WebAssembly.instantiate;
  (WebAssembly as { instantiate: unknown }).instantiate = async (
    source: WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) =>
    source instanceof WebAssembly.Module ? new TimedInstance(source, imports) : instantiate(source, imports);
  await ready({ backend: 'wasm', wasm: new Uint8Array(readFileSync(values.kernels)) });
}

setBackend('wasm');
// The wasm backend's layer hook, as the CLI enables it (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
const wasm = backend();
if (wasm.name !== 'wasm') throw new Error(`wasm-step-count: expected the wasm backend, got ${wasm.name}`);
const counter = countingBackend(wasm, jsBackend, now, values.fused);
registerBackend(counter.backend);
if (backend() !== counter.backend)
  throw new Error('wasm-step-count: the counting backend is not the active one');

const { forward, labels, params, optimizer } = trainingSetup(values.workload);
let last: Record<string, unknown> = {};
for (let i = 0; i < steps; i++) {
  counter.reset();
  exportTime.ms = 0;
  exportTime.calls = 0;
  byExport.clear();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const t0 = now();
  optimizer.zeroGrad();
  const loss = crossEntropy(forward(), labels);
  loss.backward();
  clipGradNorm(params, 5);
  optimizer.step();
  const stepMs = now() - t0;
  const wallMs = performance.now() - w0;
  const cpu = process.cpuUsage(c0);
  last = {
    workload: values.workload,
    step: i + 1,
    loss: loss.item(),
    flops: counter.stats.flops,
    clock: values.clock,
    step_ms: stepMs,
    wall_ms: wallMs,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    backend_calls: counter.stats.calls,
    backend_ms: counter.stats.ms,
    wasm_export_calls: exportTime.calls,
    wasm_export_ms: exportTime.ms,
    wasm_export_by_name: Object.fromEntries(byExport),
    by_method: counter.stats.byMethod,
  };
}
if ((last.wasm_export_calls as number) === 0)
  throw new Error(
    'wasm-step-count: no call reached the timed WebAssembly exports (compiled before the patch?)',
  );
console.log(JSON.stringify(last));
