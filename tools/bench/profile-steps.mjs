// The per-step split of a V8 CPU profile of `seqlab bench speed --mode train` (profile-table.mjs's
// `--warmup`): pure, tested in profile-steps.test.mjs.
//
// A .cpuprofile holds `nodes` (id, callFrame {functionName, url, lineNumber}, children), `samples`
// (the node sampled, in order) and `timeDeltas` (timeDeltas[i]: the µs before sample i, attributed
// to samples[i]'s node as its self time, as Chrome's DevTools and `--cpu-prof`'s readers do).

/** The frame `bench speed`'s timed loop runs in (apps/trainer's `timeModes`). */
export const LOOP = 'timeModes';
/** The frame each step runs in, under the loop (`tidy(() => { ... })`). */
export const STEP = 'tidy';
/** The optimizer's step, each training step's last phase (`optimizer.step()`, Adam's `step`). */
export const OPTIMIZER = 'step';
/** What the step's callback calls after the optimizer (`loss.item()`): still that step's. */
export const TAIL = ['item'];
export const GC = '(garbage collector)';

/** The profile's nodes by id, parent links and, per node, its stack (ids, names) up to the root. */
export function indexProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const idCache = new Map();
  const nameCache = new Map();
  /** Node ids from node `id` up to the root. */
  const ids = (id) => {
    let chain = idCache.get(id);
    if (chain === undefined) {
      chain = [];
      for (let c = id; c !== undefined; c = parent.get(c)) chain.push(c);
      idCache.set(id, chain);
    }
    return chain;
  };
  /** Function names from node `id` up to the root. */
  const up = (id) => {
    let names = nameCache.get(id);
    if (names === undefined) {
      names = ids(id).map((c) => byId.get(c).callFrame.functionName);
      nameCache.set(id, names);
    }
    return names;
  };
  return { byId, parent, ids, up };
}

/**
 * The training steps of the profile, in order: for each, the indices of its samples.
 *
 * A sample is the loop's when `LOOP` is on its stack; garbage-collector samples (V8 gives them no
 * stack) go to the step they fall in. The first step begins at the first sample under `STEP` (the
 * loop's set-up before it, such as the optimizer's construction, is no step's). A step ends after
 * its optimizer: the next begins at the first sample, after one under `OPTIMIZER`, in a function
 * the step's callback calls (the callback: the frame below `STEP`, defined in another file than
 * `STEP`, whose own helpers, `tidy`'s disposal at the step's end, are not it) other than
 * `OPTIMIZER` and the `TAIL` ones; samples in the callback's own code stay in the current step.
 * So each step runs from its first call (`zeroGrad`, the forward) to its optimizer step, the loss
 * read and `tidy`'s disposal; the loop's own samples between two steps (`performance.now()`) go to
 * the earlier one. The last step ends at its last sample under `STEP`: what the loop does after it
 * (the record) is no step's.
 *
 * @param {object} profile a parsed .cpuprofile
 * @param {{ loop?: string, step?: string, optimizer?: string, tail?: string[] }} [names]
 * @returns {number[][]}
 */
export function splitSteps(profile, names = {}) {
  const loop = names.loop ?? LOOP;
  const stepFrame = names.step ?? STEP;
  const optimizer = names.optimizer ?? OPTIMIZER;
  const tail = names.tail ?? TAIL;
  const { byId, up, ids } = indexProfile(profile);
  const urlOf = (nodeId) => byId.get(nodeId).callFrame.url;
  const steps = [];
  let current = null;
  let optimized = false;
  let lastInStep = -1; // the current step's last sample under STEP (its index in `current`)
  profile.samples.forEach((id, i) => {
    const stack = up(id);
    const li = stack.indexOf(loop);
    if (li < 0) {
      if (current && byId.get(id).callFrame.functionName === GC) current.push(i);
      return;
    }
    // STEP as the loop calls it (not a `tidy` the step's ops call inside it).
    const si = li - 1;
    const inStep = si >= 0 && stack[si] === stepFrame;
    if (current === null && !inStep) return; // the loop's set-up
    // Below STEP, the step's callback, defined where the loop is; STEP's own helpers (`end`,
    // `markDisposed`: the disposal) are defined where STEP is. `called`: what the callback calls.
    const chain = ids(id);
    const below = inStep && si > 0 ? chain[si - 1] : undefined;
    const inCallback = below !== undefined && urlOf(below) !== urlOf(chain[si]);
    const called = inCallback && si > 1 ? stack[si - 2] : undefined;
    const inOptimizer = called === optimizer;
    const starts =
      current === null || (optimized && called !== undefined && !inOptimizer && !tail.includes(called));
    if (starts) {
      if (current) steps.push(current);
      current = [];
      optimized = false;
      lastInStep = -1;
    }
    current.push(i);
    if (inStep) lastInStep = current.length - 1;
    if (inOptimizer) optimized = true;
  });
  if (current) steps.push(current.slice(0, lastInStep + 1));
  return steps.filter((s) => s.length > 0);
}

/**
 * The names of a WebAssembly module's exported functions by function index: the index space
 * V8 numbers its `wasm-function[i]` frames in (imported functions first, then the module's own).
 *
 * @param {Uint8Array} bytes the module
 * @returns {Map<number, string>}
 */
export function wasmExportNames(bytes) {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('wasmExportNames: not a WebAssembly module (no \\0asm header)');
  }
  let p = 8;
  const u32 = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  const name = () => {
    const n = u32();
    const s = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const exports = new Map();
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const s = name();
        const kind = bytes[p++];
        const index = u32();
        if (kind === 0) exports.set(index, s);
      }
    }
    p = end;
  }
  return exports;
}

const JS_TO_WASM = (f) => f.includes('-to-wasm') || f === 'GenericJSToWasmWrapper';

/**
 * A node's name in the by-function table: `name file:line` for JavaScript (line 1-based), and for
 * a wasm frame `wasm <export> ← <nearest JavaScript caller>` (`wasm-function[i]` when the module's
 * exports do not name it).
 */
export function functionKey(node, up, wasmNames) {
  const f = node.callFrame;
  const m = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  if (m) {
    const name = wasmNames?.get(Number(m[1])) ?? f.functionName;
    const caller = up.slice(1).find((n) => !n.startsWith('wasm-function') && !JS_TO_WASM(n));
    return `wasm ${name} ← ${caller || '(anonymous)'}`;
  }
  if (f.url === '' || f.lineNumber < 0) return f.functionName || '(anonymous)';
  const file = f.url.split('/').pop();
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/**
 * Per-step figures over the steps after the warm-up: each step's sampled time, their mean and
 * median, and the mean self time a step per key (`keyOf(nodeId)`), all in ms.
 *
 * @param {object} profile
 * @param {number[][]} steps from `splitSteps`
 * @param {number} warmup steps to leave out
 * @param {(id: number) => string} keyOf
 */
export function perStep(profile, steps, warmup, keyOf) {
  const timed = steps.slice(warmup);
  if (timed.length === 0) throw new Error(`perStep: no step after the ${warmup} warm-up steps`);
  const stepMs = [];
  const totals = new Map();
  for (const s of timed) {
    let t = 0;
    for (const i of s) {
      const dt = (profile.timeDeltas[i] ?? 0) / 1e3;
      t += dt;
      const key = keyOf(profile.samples[i]);
      totals.set(key, (totals.get(key) ?? 0) + dt);
    }
    stepMs.push(t);
  }
  const n = timed.length;
  const mean = stepMs.reduce((a, b) => a + b, 0) / n;
  const rows = [...totals].map(([key, t]) => [key, t / n]).sort((a, b) => b[1] - a[1]);
  return { stepMs, meanMs: mean, medianMs: median(stepMs), rows };
}
