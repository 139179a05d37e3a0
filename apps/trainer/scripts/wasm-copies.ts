// The bytes a wasm training step copies into and out of the kernels' module memory, per call site
// (NOTE(wasm-copies) in packages/tensor/src/backend/wasm/module.ts): `bench speed --mode train`'s
// step (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5), Adam) on W1 (or --workload),
// on the wasm backend with the CLI's layer hook, as apps/trainer/scripts/training-setup.ts builds
// it. No product code changes: the script
// - subclasses WebAssembly.Memory before the kernels instantiate, to know the module's buffer;
// - wraps %TypedArray%.prototype.set: a `set` whose target is that buffer is a copy in, one whose
//   source is, a copy out (every copy of the wasm backend is a `set`; heap.fill and the bias sum's
//   n-float read-back loop in blocked.ts are not copies of an operand and are not counted), timed;
// - registers a copy of the wasm backend whose methods name the current site: the method, and the
//   argument (field) whose JavaScript array the copy reads or writes (GEMMs also by their shape).
// Runs --steps steps (default 2) and prints the last one's table (site, bytes in, bytes out, calls,
// copies, ms of wall clock inside the copies) and a total, or with --json one JSON line. --faults
// also counts the minor page faults taken inside each copy (process.resourceUsage() around each:
// slower, so its ms are not comparable with a run without it); a copy into a JavaScript array
// that was just allocated (a tensor's fresh storage) pays for its first touch of every page.
// --bare wraps nothing and prints the step's times alone (what the wrapping costs, side by side).
// --tidy runs each step inside `tidy`, which hands the step's tensors back to the storage pool, as
// `bench speed` runs it: use it for the bench's step. Without it a step misses the pool for about
// 12 arrays of 64 KiB and up (what the last step made is garbage, not pooled), new arrays whose
// pages the system hands over untouched; their first writes fault wherever they land, and the
// deferred reverse direction (NOTE(deferred-reverse-training)), which writes one step's rows of
// its saved buffers, hands two of them back almost untouched for the next step's forward copies
// (out, hPrev: ~390 faults each).
// --misses lists the storage pool's misses of the step (arrays of 64 KiB and up), with their callers.
// --unfused makes the input projections apart from the saved blocks, as before NOTE(fused-projection)
// (the backend's projectIntoSaved false): xProj and dxProj copied in and out.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/wasm-copies.ts [--workload W1] [--steps 2] [--faults] [--bare] [--tidy] [--misses] [--unfused] [--json]
import { parseArgs } from 'node:util';
import { setBackend, tidy } from '@seqlab/tensor';
import { backend, inferRecurrentLayer, registerBackend, setWasmLayerInference } from '@seqlab/tensor/backend';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    steps: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    tidy: { type: 'boolean', default: false },
    unfused: { type: 'boolean', default: false },
    misses: { type: 'boolean', default: false },
  },
});
const now = () => performance.now();
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1)
  throw new Error(`--steps: expected an integer ≥ 1, got ${values.steps}`);

// The module's memories (one), known before the kernels instantiate.
const memories: WebAssembly.Memory[] = [];
const Memory = WebAssembly.Memory;
class TrackedMemory extends Memory {
  constructor(descriptor: WebAssembly.MemoryDescriptor) {
    super(descriptor);
    memories.push(this);
  }
}
(WebAssembly as { Memory: typeof Memory }).Memory = TrackedMemory;
const inModule = (buffer: ArrayBufferLike) => memories.some((m) => m.buffer === buffer);

type View = ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number };
interface Site {
  bytesIn: number;
  bytesOut: number;
  copies: number;
  ms: number;
  faults: number;
  calls: Set<number>;
}
const sites = new Map<string, Site>();
let callId = 0;

// The innermost backend call and its named arrays.
interface Context {
  label: string;
  id: number;
  fields: [string, View][];
}
const stack: Context[] = [];

const isView = (v: unknown): v is View => ArrayBuffer.isView(v) && !(v instanceof DataView);
function fieldsOf(args: unknown[], names: string[]): [string, View][] {
  const out: [string, View][] = [];
  const visit = (v: unknown, name: string, depth: number) => {
    if (isView(v)) out.push([name, v]);
    else if (Array.isArray(v) && depth < 2) {
      for (let i = 0; i < v.length; i++) visit(v[i], `${name}[${i}]`, depth + 1);
    } else if (v !== null && typeof v === 'object' && depth < 2)
      for (const [k, x] of Object.entries(v))
        visit(x, depth === 0 && names[0] === '*' ? k : `${name}.${k}`, depth + 1);
  };
  for (let i = 0; i < args.length; i++) visit(args[i], names[i] ?? `arg${i}`, 0);
  return out;
}

/** The field of the current call whose array overlaps `js` (a view of the copy's JavaScript side). */
function siteOf(js: ArrayBufferView | null): { name: string; id: number } {
  const ctx = stack[stack.length - 1];
  if (!ctx) return { name: '(outside a backend call)', id: -1 };
  if (js === null) return { name: `${ctx.label} · (plain array)`, id: ctx.id };
  const lo = js.byteOffset;
  const hi = lo + js.byteLength;
  // Every field over these bytes (an op may pass one array as two arguments: gates = xProj).
  const names = new Set<string>();
  for (const [name, f] of ctx.fields) {
    if (f.buffer !== js.buffer) continue;
    const flo = f.byteOffset;
    const fhi = flo + f.byteLength;
    if (lo < fhi && flo < hi) names.add(name.replace(/\[\d+\]/g, '[]'));
  }
  return { name: `${ctx.label} · ${names.size > 0 ? [...names].join(' = ') : '(unnamed)'}`, id: ctx.id };
}

function record(js: ArrayBufferView | null, dir: 'in' | 'out', bytes: number, ms: number, faults: number) {
  const { name, id } = siteOf(js);
  let s = sites.get(name);
  if (!s) {
    s = { bytesIn: 0, bytesOut: 0, copies: 0, ms: 0, faults: 0, calls: new Set() };
    sites.set(name, s);
  }
  if (dir === 'in') s.bytesIn += bytes;
  else s.bytesOut += bytes;
  s.copies++;
  s.ms += ms;
  s.faults += faults;
  s.calls.add(id);
}

// Every TypedArray's `set`.
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as {
  set(this: View, src: ArrayLike<number>, offset?: number): void;
};
const originalSet = TypedArrayProto.set;
if (!values.bare)
  TypedArrayProto.set = function set(this: View, src: ArrayLike<number>, offset?: number) {
    const into = inModule(this.buffer);
    const from = !into && isView(src) && inModule(src.buffer);
    if (!into && !from) return originalSet.call(this, src, offset);
    const f0 = values.faults ? process.resourceUsage().minorPageFault : 0;
    const t0 = now();
    originalSet.call(this, src, offset);
    const ms = now() - t0;
    const faults = values.faults ? process.resourceUsage().minorPageFault - f0 : 0;
    const bytes = src.length * this.BYTES_PER_ELEMENT;
    if (into) record(isView(src) ? src : null, 'in', bytes, ms, faults);
    else record(this, 'out', bytes, ms, faults);
  };

setBackend('wasm');
// The wasm backend's layer hook, as the CLI enables it (NOTE(wasm-layer-inference)).
setWasmLayerInference(inferRecurrentLayer);
const wasm = backend();
if (wasm.name !== 'wasm') throw new Error(`wasm-copies: expected the wasm backend, got ${wasm.name}`);

const shape = (args: unknown[]) => {
  const [tA, tB, m, n, k] = args as [boolean, boolean, number, number, number];
  return `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} m${m} n${n} k${k}`;
};
// Argument names per method (`*`: the one argument's fields by name).
const NAMES: Record<string, { names: string[]; label?: (args: unknown[]) => string }> = {
  gemm: { names: ['', '', '', '', '', 'A', '', 'B', '', 'C'], label: shape },
  gemmBias: {
    names: ['', '', '', 'A', 'B', 'C', 'biases'],
    label: (a) => `gemmBias NT m${a[0]} n${a[1]} k${a[2]} +${(a[6] as unknown[]).length}`,
  },
  recurrentForward: { names: ['*'] },
  recurrentBackward: { names: ['*'] },
  recurrentInferMany: { names: ['seqs'] },
  recurrentInferInputMany: { names: ['seqs'] },
  adamStep: { names: ['*'] },
  addBias: { names: ['y', '', '', 'bias'], label: (a) => `addBias rows${a[1]} n${a[2]}` },
  reduce: { names: ['', 'x', '', '', 'out'] },
  layerInference: { names: ['list'] },
};
const wrapped: Record<string, unknown> = { ...wasm };
for (const [method, { names, label }] of Object.entries(NAMES)) {
  const fn = (wasm as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') continue;
  wrapped[method] = function (this: unknown, ...args: unknown[]) {
    stack.push({ label: label ? label(args) : method, id: callId++, fields: fieldsOf(args, names) });
    try {
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      stack.pop();
    }
  };
}
// The state memory's adamStep (NOTE(wasm-adam-state)), which Adam calls itself, is a site too.
const stateMemory = wasm.stateMemory?.bind(wasm);
if (stateMemory)
  wrapped.stateMemory = (bytes: number) => {
    const memory = stateMemory(bytes);
    if (memory === null) return null;
    const adamStep: typeof memory.adamStep = (a) => {
      stack.push({ label: 'adamStep (state memory)', id: callId++, fields: fieldsOf([a], ['*']) });
      try {
        memory.adamStep(a);
      } finally {
        stack.pop();
      }
    };
    return { ...memory, adamStep };
  };
// --misses: the storage pool's misses (takeStorage asks the backend's uninitializedStorage for a new
// array only when the pool has none of that size; the wasm backend has none, so undefined keeps
// its `new Float32Array`), 64 KiB and up (the pool's floor), with their callers.
let misses: string[] = [];
if (values.misses) {
  const own = wasm.uninitializedStorage?.bind(wasm);
  wrapped.uninitializedStorage = (dtype: 'float32' | 'float64', n: number) => {
    if (n * 4 >= 64 * 1024) {
      const callers = (new Error().stack ?? '').split('\n').slice(3, 6);
      const at = (l: string) => l.trim().replace(/^at /, '').replace(`${process.cwd()}/`, '');
      misses.push(`${n} floats: ${callers.map(at).join(' < ')}`);
    }
    return own?.(dtype, n);
  };
}
if (values.unfused) wrapped.projectIntoSaved = false;
registerBackend(wrapped as unknown as typeof wasm);
if ((backend() as unknown) !== wrapped)
  throw new Error('wasm-copies: the wrapped backend is not the active one');

const { step: run } = trainingSetup(values.workload);
let stepMs = 0;
let cpuMs = 0;
let loss = 0;
for (let i = 0; i < steps; i++) {
  sites.clear();
  misses = [];
  const c0 = process.cpuUsage();
  const t0 = now();
  // --tidy: the step inside `tidy` (NOTE(tidy)), its tensors back to the storage pool at its end.
  loss = values.tidy ? tidy(run) : run();
  stepMs = now() - t0;
  const cpu = process.cpuUsage(c0);
  cpuMs = (cpu.user + cpu.system) / 1000;
}
if (values.bare) {
  console.log(
    JSON.stringify({
      workload: values.workload,
      step: steps,
      loss,
      bare: true,
      step_ms: stepMs,
      cpu_ms: cpuMs,
    }),
  );
  process.exit(0);
}
if (sites.size === 0) throw new Error('wasm-copies: no copy reached the module memory (wrong backend?)');

const rows = [...sites.entries()]
  .map(([site, s]) => ({
    site,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    calls: s.calls.size,
    copies: s.copies,
    ms: s.ms,
    faults: s.faults,
  }))
  .sort((a, b) => b.bytes_in + b.bytes_out - (a.bytes_in + a.bytes_out));
const total = rows.reduce(
  (t, r) => ({
    bytes_in: t.bytes_in + r.bytes_in,
    bytes_out: t.bytes_out + r.bytes_out,
    copies: t.copies + r.copies,
    ms: t.ms + r.ms,
    faults: t.faults + r.faults,
  }),
  { bytes_in: 0, bytes_out: 0, copies: 0, ms: 0, faults: 0 },
);
const summary = {
  workload: values.workload,
  step: steps,
  loss,
  step_ms: stepMs,
  cpu_ms: cpuMs,
  total,
  sites: rows,
};
if (values.misses) {
  console.log(`storage pool misses of step ${steps}: ${misses.length}`);
  for (const m of misses) console.log(`  ${m}`);
}
if (values.json) {
  console.log(JSON.stringify(summary));
} else {
  const mb = (b: number) => (b / 2 ** 20).toFixed(2);
  console.log(
    `${values.workload} step ${steps}: loss ${loss}, step ${stepMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`,
  );
  console.log('| site | MiB in | MiB out | calls | copies | ms | minor faults |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.site} | ${mb(r.bytes_in)} | ${mb(r.bytes_out)} | ${r.calls} | ${r.copies} | ${r.ms.toFixed(1)} | ${values.faults ? r.faults : '-'} |`,
    );
  console.log(
    `| total | ${mb(total.bytes_in)} | ${mb(total.bytes_out)} |  | ${total.copies} | ${total.ms.toFixed(1)} | ${values.faults ? total.faults : '-'} |`,
  );
}
