// The GEMM flops a training step asks of a backend, counted at the Backend's calls, and the time
// spent inside them: the measured half of `wasm-floor.mjs` (apps/trainer/scripts/wasm-step-count.ts
// runs W1's step through `countingBackend`). Pure: no backend is imported here.
//
// A product of op(A) [m, k] and op(B) [k, n] is 2·m·n·k flops (a multiply and an add per term).
// The fused recurrence multiplies per time step (NOTE(packed-batch-sizes): step t has
// batchSizes[t] rows, N rows in all; G gates, H hidden, O = projSize or H):
// - recurrentForward: h_{t−1} W_hhᵀ, 2·N·G·H·O; a projected LSTM also h_full W_hrᵀ, 2·N·O·H;
// - recurrentBackward: dh_{t−1} = dgates W_hh (2·N·G·H·O) and dW_hh += dgatesᵀ h_{t−1} (the same
//   again); a projected LSTM also dh_full = dh W_hr and dW_hr, 2 × 2·N·O·H;
// - recurrentInferMany: h_{t−1} W_hhᵀ; recurrentInferInputMany also x W_ihᵀ, 2·N·G·H·I.
// The gate math, bias adds and everything elementwise are not counted: they are a few percent of a
// step's flops and no multiply-accumulate unit's peak applies to them.

/** Gates per cell (RECURRENT_GATES of @seqlab/tensor/backend). */
export const GATES = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };

/** Flops of op(A) [m, k] @ op(B) [k, n]. */
export const gemmFlops = (m, n, k) => 2 * m * n * k;

/** N, the rows of a (packed or padded) sequence: the sum of its batch sizes. */
export function rowsOf(batchSizes) {
  let n = 0;
  for (const b of batchSizes) n += b;
  return n;
}

function gatesOf(cell) {
  const g = GATES[cell];
  if (g === undefined) throw new Error(`wasm-flops: unknown recurrent cell '${cell}'`);
  return g;
}

/** Flops of one `recurrentForward` call (RecurrentForwardArgs). */
export function recurrentForwardFlops(a) {
  const N = rowsOf(a.batchSizes);
  const H = a.hidden;
  const O = a.outSize ?? H;
  const GH = gatesOf(a.cell) * H;
  return gemmFlops(N, GH, O) + (a.wHr ? gemmFlops(N, O, H) : 0);
}

/** Flops of one `recurrentBackward` call (RecurrentBackwardArgs): dh and dW_hh (and W_hr's two). */
export function recurrentBackwardFlops(a) {
  const N = rowsOf(a.batchSizes);
  const H = a.hidden;
  const O = a.outSize ?? H;
  const GH = gatesOf(a.cell) * H;
  return 2 * gemmFlops(N, GH, O) + (a.wHr ? 2 * gemmFlops(N, O, H) : 0);
}

/** Flops of one sequence of `recurrentInferMany` (RecurrentInferArgs: no projection, O = H). */
export function recurrentInferFlops(a) {
  const N = rowsOf(a.batchSizes);
  return gemmFlops(N, gatesOf(a.cell) * a.hidden, a.hidden);
}

/** Flops of one sequence of `recurrentInferInputMany`: the input projection and the recurrence. */
export function recurrentInferInputFlops(a) {
  const N = rowsOf(a.batchSizes);
  return recurrentInferFlops(a) + gemmFlops(N, gatesOf(a.cell) * a.hidden, a.inputSize);
}

/** The flops of a call of a Backend method by its name and arguments; null for a method without products. */
export function callFlops(name, args) {
  switch (name) {
    case 'gemm': {
      const [, , m, n, k] = args;
      return gemmFlops(m, n, k);
    }
    case 'gemmBias': {
      const [m, n, k] = args;
      return gemmFlops(m, n, k);
    }
    case 'recurrentForward':
      return recurrentForwardFlops(args[0]);
    case 'recurrentBackward':
      return recurrentBackwardFlops(args[0]);
    case 'recurrentForwardMany':
      return args[0].reduce((s, a) => s + recurrentForwardFlops(a), 0);
    case 'recurrentBackwardMany':
      return args[0].reduce((s, a) => s + recurrentBackwardFlops(a), 0);
    case 'recurrentInferMany':
      return args[0].reduce((s, a) => s + recurrentInferFlops(a), 0);
    case 'recurrentInferInputMany':
      return args[0].reduce((s, a) => s + recurrentInferInputFlops(a), 0);
    default:
      return null;
  }
}

/** The methods `callFlops` counts. */
export const PRODUCTS = new Set([
  'gemm',
  'gemmBias',
  'recurrentForward',
  'recurrentBackward',
  'recurrentForwardMany',
  'recurrentBackwardMany',
  'recurrentInferMany',
  'recurrentInferInputMany',
]);

/** The hook that runs other methods (counted there), not a kernel. */
// reserveSaved stays the backend's own: a saved block is read in place only by the backend whose
// reserveSaved gave it (SavedBlock.materialize compares them); wrapped, every backward would copy
// its blocks out first, as if on another backend.
const NOT_TIMED = new Set(['layerInference', 'name', 'reserveSaved']);

/**
 * A copy of `backend` (registered in its place with `registerBackend`, under the same name) whose
 * methods that differ from `base`'s (the js backend's, for the wasm backend: its own kernels) are
 * timed with `clock`, and whose products are counted (`callFlops`). Only the outermost call counts
 * and is timed, so a method that runs another wrapped one is not counted twice. `reset()` starts a
 * new count. The input projections written into the saved blocks (`projectIntoSaved`,
 * NOTE(fused-projection)) run inside the blocks' methods, which no wrapper sees: the copy makes them
 * apart (backend calls, counted) unless `fused`, when their products are in no method's count.
 *
 * @param {Record<string, unknown>} backend
 * @param {Record<string, unknown>} base
 * @param {() => number} clock milliseconds
 * @param {boolean} fused keep `projectIntoSaved` as the backend has it
 */
export function countingBackend(backend, base, clock = () => performance.now(), fused = false) {
  const stats = { flops: 0, calls: 0, ms: 0, byMethod: {} };
  let depth = 0;
  const counted = { ...backend };
  if (!fused && 'projectIntoSaved' in counted) counted.projectIntoSaved = false;
  for (const [name, fn] of Object.entries(backend)) {
    if (typeof fn !== 'function' || NOT_TIMED.has(name)) continue;
    if (!PRODUCTS.has(name) && fn === base[name]) continue;
    counted[name] = function (...args) {
      if (depth > 0) return fn.apply(this, args);
      depth++;
      const t0 = clock();
      try {
        return fn.apply(this, args);
      } finally {
        const ms = clock() - t0;
        depth--;
        const flops = callFlops(name, args) ?? 0;
        stats.byMethod[name] ??= { calls: 0, flops: 0, ms: 0 };
        const m = stats.byMethod[name];
        m.calls++;
        m.flops += flops;
        m.ms += ms;
        stats.calls++;
        stats.flops += flops;
        stats.ms += ms;
      }
    };
  }
  return {
    backend: counted,
    stats,
    reset() {
      stats.flops = 0;
      stats.calls = 0;
      stats.ms = 0;
      stats.byMethod = {};
    },
  };
}
