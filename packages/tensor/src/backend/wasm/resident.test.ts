// NOTE(wasm-arena) and NOTE(saved-blocks): the recurrence's saved buffers kept in the wasm module's
// memory from the forward to the backward give the bits of the copies into JavaScript (Object.is
// on every output and gradient), on W1-like shapes: every cell, a projected LSTM, two stacked
// bidirectional layers, padded, packed and batch-first batches, the zero-gradient steps and the
// deferred reverse direction. And the blocks' lifetime: freed after the backward (kept by
// retainGraph), reused by the next graph without touching a live one, unmoved by memory.grow and
// by the other kernels' scratch, freed when a graph that never ran backward is collected, never
// past the arena's cap (then the copies), and copied out when the backward runs on another backend.
// NOTE(fused-projection): an LSTM's or RNN's input projection written straight into the block's
// gates and its gradient read where the backward left it give the same bits (every case below runs
// it; W1's shape against the projection made apart), and none of xProj, dxProj is copied.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Generator,
  getBackend,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentLayerInputs,
  randn,
  recurrentLayer,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { inferRecurrentLayer } from '../../ops/recurrent-infer';
import { storagePoolStats } from '../../storage-pool';
import { registerBackend } from '../registry';
import { createWasmBackend, loadWasmKernels } from './index';
import { setWasmLayerInference, wasmLayerInference } from './layer-inference';
import { setResidentSaved } from './recurrent';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const load = loadWasmKernels();
if (!load.ok) throw new Error(`the wasm kernels did not load: ${load.reason}`);
const { arena, module: wasm } = load;
const initial = getBackend().name;
const initialHook = wasmLayerInference();
const wasmBackend = createWasmBackend(load);
/** The fusion's capability (NOTE(fused-projection)) on or off; returns the previous setting. */
function setFusedProjection(on: boolean): boolean {
  const was = wasmBackend.projectIntoSaved === true;
  (wasmBackend as { projectIntoSaved?: boolean }).projectIntoSaved = on;
  return was;
}
beforeAll(() => {
  registerBackend(wasmBackend);
  setBackend('wasm');
});
afterAll(() => {
  setWasmLayerInference(initialHook);
  setBackend(initial);
});
afterEach(() => {
  setResidentSaved(true);
  setFusedProjection(true);
  arena.cap = 1 << 26;
});

interface Config {
  cell: RecurrentCell;
  /** Directions per layer. */
  D?: 1 | 2;
  layers?: number;
  B?: number;
  T?: number;
  I?: number;
  H?: number;
  /** A projected LSTM's O. */
  proj?: number;
  /** Sequence lengths (a packed batch), longest first; else padded. */
  lengths?: number[];
  batchFirst?: boolean;
  /** The loss reads the last time step only (NOTE(zero-gradient-steps)). */
  last?: boolean;
  deferReverse?: boolean;
  /** With deferReverse: the last layer's alone (as the layers defer it); else every layer's. */
  lastDeferred?: boolean;
  /** With deferReverse: read the last layer's pending reverse hN before or after the backward. */
  read?: 'before' | 'after';
}

interface Step {
  values: Float32Array[];
  backward(retainGraph?: boolean): Float32Array[];
}

/** The layers' forward and a loss over them; `backward` runs it and returns every leaf's gradient. */
function forward(c: Config): Step {
  const { cell, D = 1, layers = 1, B = 8, T = 12, I = 24, H = 32 } = c;
  const gen = new Generator(7);
  const G = RECURRENT_GATES[cell];
  const O = c.proj ?? H;
  const lengths = c.lengths ?? new Array(B).fill(T);
  const batchSizes = Int32Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
  const N = lengths.reduce((p, l) => p + l, 0);
  const leaves: Tensor[] = [];
  const leaf = (shape: number[], scale: number) => {
    const t = randn(shape, { generator: gen }).mul(scale).detach();
    t.requiresGrad = true;
    leaves.push(t);
    return t;
  };
  let x = leaf([N, I], 1);
  const s = 1 / Math.sqrt(H);
  const values: Float32Array[] = [];
  let pending: Tensor | undefined;
  for (let l = 0; l < layers; l++) {
    const list: RecurrentLayerInputs[] = Array.from({ length: D }, (_, d) => ({
      cell,
      input: {
        x,
        wIh: leaf([G * H, x.shape[1]], s),
        biases: cell === 'gru' ? [leaf([G * H], s)] : [leaf([G * H], s), leaf([G * H], s)],
        batchFirst: c.batchFirst === true,
      },
      wHh: leaf([G * H, O], s),
      bHh: cell === 'gru' ? leaf([G * H], s) : null,
      wHr: c.proj ? leaf([O, H], s) : null,
      h0: leaf([B, O], 0.5),
      c0: cell === 'lstm' ? leaf([B, H], 0.5) : null,
      batchSizes,
      reverse: d === 1,
    }));
    const result = recurrentLayer(list, {
      batchFirst: c.batchFirst === true,
      deferReverse: c.deferReverse === true && (!c.lastDeferred || l === layers - 1),
      internalInput: l > 0,
    });
    x = result.out;
    if (c.deferReverse && (!c.lastDeferred || l === layers - 1))
      expect(result.deferred, 'the reverse direction deferred').toBe(true);
    else for (const r of result.directions) values.push(r.hN.data as Float32Array);
    pending = result.directions[1]?.hN;
  }
  if (c.read === 'before') values.push(Float32Array.from(pending?.data as Float32Array));
  const w = randn([B, D * O], { generator: gen });
  let rows = x;
  if (c.last) rows = c.batchFirst ? x.reshape([B, T, D * O]).select(1, T - 1) : x.narrow(0, N - B, B);
  const loss = c.last ? rows.mul(w).sum() : rows.mul(randn(rows.shape as number[], { generator: gen })).sum();
  values.push(loss.data as Float32Array);
  return {
    values,
    backward(retainGraph = false) {
      loss.backward(undefined, retainGraph ? { retainGraph: true } : undefined);
      const grads = leaves.map((t) => Float32Array.from((t.grad as Tensor).data as Float32Array));
      if (c.read === 'after') grads.push(Float32Array.from(pending?.data as Float32Array));
      return grads;
    },
  };
}

/** Every element the same float (Object.is: −0 ≠ +0), else the first that differs. */
function expectBits(got: Float32Array[], want: Float32Array[], label: string): void {
  expect(got.length, label).toBe(want.length);
  want.forEach((w, k) => {
    expect(got[k].length, `${label} #${k}`).toBe(w.length);
    for (let i = 0; i < w.length; i++)
      if (!Object.is(got[k][i], w[i]))
        throw new Error(`${label} #${k}: at ${i} expected ${w[i]}, got ${got[k][i]}`);
  });
}

/** One step with the blocks off: the bits to match. */
function reference(c: Config): Float32Array[] {
  const was = setResidentSaved(false);
  try {
    const step = forward(c);
    return [...step.values, ...step.backward()];
  } finally {
    setResidentSaved(was);
  }
}

const CONFIGS: [string, Config][] = [
  ['LSTM', { cell: 'lstm' }],
  ['GRU', { cell: 'gru' }],
  ['RNN tanh', { cell: 'rnn_tanh' }],
  ['RNN relu', { cell: 'rnn_relu' }],
  ['projected LSTM', { cell: 'lstm', proj: 20 }],
  ['2-layer bidirectional LSTM', { cell: 'lstm', D: 2, layers: 2 }],
  [
    '2-layer bidirectional GRU, packed',
    { cell: 'gru', D: 2, layers: 2, lengths: [12, 12, 10, 9, 7, 7, 3, 1] },
  ],
  ['packed LSTM', { cell: 'lstm', lengths: [12, 11, 11, 8, 5, 5, 2, 2] }],
  ['batch-first LSTM', { cell: 'lstm', batchFirst: true }],
  ['batch-first bidirectional GRU', { cell: 'gru', D: 2, batchFirst: true }],
];

describe('wasm: saved buffers in module memory', () => {
  test.each(CONFIGS)('%s: the bits of the copies, and every block freed after backward', (_, c) => {
    const want = reference(c);
    const step = forward(c);
    expect(arena.live(), 'blocks held from forward to backward').toBeGreaterThan(0);
    expectBits([...step.values, ...step.backward()], want, 'resident');
    expect(arena.live()).toBe(0);
  });

  test.each([
    ['bidirectional LSTM, loss on the last step', { cell: 'lstm', D: 2, last: true }],
    ['bidirectional GRU, batch-first, last step', { cell: 'gru', D: 2, last: true, batchFirst: true }],
    ['2 layers, reverse deferred (W1)', { cell: 'lstm', D: 2, layers: 2, last: true, deferReverse: true }],
    [
      'reverse deferred, read before backward',
      { cell: 'lstm', D: 2, last: true, deferReverse: true, read: 'before' },
    ],
    [
      'reverse deferred, read after backward',
      { cell: 'gru', D: 2, last: true, deferReverse: true, read: 'after' },
    ],
    [
      'batch-first, reverse deferred',
      { cell: 'lstm', D: 2, last: true, deferReverse: true, batchFirst: true },
    ],
  ] as [string, Config][])('zero-gradient steps, %s: the row views give the bits of the copies', (_, c) => {
    setWasmLayerInference(c.deferReverse ? inferRecurrentLayer : initialHook);
    try {
      const want = reference(c);
      const step = forward(c);
      expectBits([...step.values, ...step.backward()], want, 'resident');
      expect(arena.live()).toBe(0);
    } finally {
      setWasmLayerInference(initialHook);
    }
  });

  test('the op takes no storage for the saved buffers a block holds (hPrev, cells, cPrev: peak memory)', () => {
    // B·T·H·4 bytes ≥ POOL_MIN_BYTES: every saved buffer is a take the pool counts.
    const c: Config = { cell: 'lstm', D: 2, B: 16, T: 32, H: 64 };
    const taken = [false, true].map((on) => {
      const was = setResidentSaved(on);
      try {
        const before = storagePoolStats();
        const step = forward(c);
        const after = storagePoolStats();
        step.backward();
        return after.hits + after.misses - before.hits - before.misses;
      } finally {
        setResidentSaved(was);
      }
    });
    // Three [N, H] buffers for each direction (an LSTM's gates are written over its own xProj),
    // and its xProj [N, 4H]: the block's gates take its place (NOTE(fused-projection)).
    expect(taken[0] - taken[1]).toBe(8);
  });

  test('retainGraph: the block outlives the first backward, the second frees it, same gradients', () => {
    const c: Config = { cell: 'lstm', D: 2 };
    const was = setResidentSaved(false);
    const off = forward(c);
    const want = [off.backward(true), off.backward()];
    setResidentSaved(was);
    const on = forward(c);
    const first = on.backward(true);
    expect(arena.live()).toBeGreaterThan(0);
    // Another graph between the two: its blocks go after the live ones, and back.
    const other = forward({ cell: 'gru' });
    other.backward();
    const second = on.backward();
    expect(arena.live()).toBe(0);
    expectBits([...first, ...second], [...want[0], ...want[1]], 'retainGraph');
  });

  test("a freed block's room goes to the next graph and never under a live one", () => {
    const c: Config = { cell: 'lstm', proj: 20 };
    const want = reference(c);
    const wantGru = reference({ cell: 'gru', T: 9 });
    const a = forward(c);
    const b = forward(c);
    const held = arena.live();
    a.backward(); // frees the lowest block
    expect(arena.live()).toBeLessThan(held);
    const g = forward({ cell: 'gru', T: 9 }); // smaller: into a's gap, below b's block
    expectBits([...b.values, ...b.backward()], want, 'the later graph');
    expectBits([...g.values, ...g.backward()], wantGru, 'the graph in the gap');
    expect(arena.live()).toBe(0);
  });

  test('memory.grow and the other kernels between forward and backward leave the blocks intact', () => {
    const c: Config = { cell: 'lstm', D: 2, layers: 2 };
    const want = reference(c);
    const step = forward(c);
    const bytes = wasm.heap().byteLength;
    wasm.reserve(wasm.scratch + (64 << 20) / 4);
    expect(wasm.heap().byteLength).toBeGreaterThan(bytes);
    // A GEMM and an Adam step lay their operands out in the scratch region.
    const kernels = createWasmBackend(load);
    const big = randn([300, 500], { generator: new Generator(3) }).data as Float32Array;
    kernels.gemm(false, true, 300, 300, 500, big, 0, big, 0, new Float32Array(300 * 300), 0, false);
    const n = 150_000;
    kernels.adamStep?.({
      param: big.slice(0, n),
      grad: big.slice(0, n),
      expAvg: new Float32Array(n),
      expAvgSq: new Float32Array(n),
      maxExpAvgSq: null,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      stepSize: 1e-3,
      bias2Sqrt: 0.03,
      l2: 0,
      decay: 1,
      maximize: false,
    });
    expectBits([...step.values, ...step.backward()], want, 'after growth');
  });

  test('a graph never backpropagated: its blocks are freed when it is collected', async () => {
    (() => {
      forward({ cell: 'lstm', D: 2 });
    })();
    expect(arena.live()).toBeGreaterThan(0);
    for (let k = 0; k < 5 && arena.live() > 0; k++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(arena.live()).toBe(0);
  });

  test("past the arena's cap: the copies, the same bits", () => {
    const c: Config = { cell: 'lstm', D: 2 };
    const want = reference(c);
    arena.cap = 1000;
    const step = forward(c);
    expect(arena.live()).toBe(0);
    expectBits([...step.values, ...step.backward()], want, 'capped');
  });

  test("past the arena's cap for dxProj alone: the projection's gradient from an array, the same bits", () => {
    // One LSTM direction's block (gates, hPrev, cells, cPrev: 7 · H · N floats) fits, dxProj not.
    const c: Config = { cell: 'lstm' };
    const want = reference(c);
    arena.cap = 7 * 32 * 8 * 12;
    const step = forward(c);
    expect(arena.live()).toBe(arena.cap);
    expectBits([...step.values, ...step.backward()], want, 'dxProj capped');
    expect(arena.live()).toBe(0);
  });

  test.each(['gru', 'lstm'] as const)(
    'a backward on another backend copies the %s blocks out first: the js bits of that backward',
    (cell) => {
      const c: Config = { cell, D: 2 };
      const was = setResidentSaved(false);
      const off = forward(c);
      setBackend('js');
      const want = [...off.values, ...off.backward()];
      setBackend('wasm');
      setResidentSaved(was);
      const on = forward(c);
      expect(arena.live()).toBeGreaterThan(0);
      setBackend('js');
      try {
        expectBits([...on.values, ...on.backward()], want, 'backward on js');
      } finally {
        setBackend('wasm');
      }
      expect(arena.live()).toBe(0);
    },
  );

  test('copies: the saved buffers never cross into or out of JavaScript', () => {
    // One LSTM direction: off, the forward copies gates, hPrev, cells and cPrev out and the
    // backward copies them back in; on, neither.
    const { B = 8, T = 12, H = 32 } = {};
    const N = B * T;
    const saved = (4 * H + H + 2 * H) * N * 4;
    const counted = (on: boolean) => {
      const was = setResidentSaved(on);
      const set = Float32Array.prototype.set;
      let bytes = 0;
      const buffer = () => wasm.heap().buffer;
      Float32Array.prototype.set = function (this: Float32Array, src: ArrayLike<number>, at?: number) {
        const from = (src as Float32Array).buffer;
        if ((this.buffer === buffer()) !== (from === buffer())) bytes += (src as Float32Array).byteLength;
        return set.call(this, src, at);
      } as typeof set;
      try {
        forward({ cell: 'lstm' }).backward();
      } finally {
        Float32Array.prototype.set = set;
        setResidentSaved(was);
      }
      return bytes;
    };
    // And the projection's: the GEMM's C out and xProj in; dxProj out, in for dX and dW_ih, and
    // its row sum (NOTE(fused-projection)).
    const xProj = N * 4 * H * 4;
    expect(counted(false) - counted(true)).toBe(2 * saved + 6 * xProj);
  });

  test("W1's shape: the projection fused into the blocks, taken, and the bits of it made apart", () => {
    // Two bidirectional layers, B 32, T 50, I 128, H 256, the loss on the last step, the last
    // layer's reverse direction deferred (its xProj stays an array): three directions fused.
    const c: Config = { cell: 'lstm', D: 2, layers: 2, B: 32, T: 50, I: 128, H: 256, last: true };
    const run = (fused: boolean) => {
      const was = setFusedProjection(fused);
      const set = Float32Array.prototype.set;
      let bytes = 0;
      Float32Array.prototype.set = function (this: Float32Array, src: ArrayLike<number>, at?: number) {
        const heap = wasm.heap().buffer;
        if ((this.buffer === heap) !== ((src as Float32Array).buffer === heap))
          bytes += (src as Float32Array).byteLength;
        return set.call(this, src, at);
      } as typeof set;
      setWasmLayerInference(inferRecurrentLayer);
      try {
        const step = forward({ ...c, deferReverse: true, lastDeferred: true });
        return { bits: [...step.values, ...step.backward()], bytes };
      } finally {
        Float32Array.prototype.set = set;
        setFusedProjection(was);
        setWasmLayerInference(initialHook);
      }
    };
    const apart = run(false);
    const fused = run(true);
    expectBits(fused.bits, apart.bits, 'fused');
    expect(arena.live()).toBe(0);
    // Per fused direction, N · 4H floats six times: the GEMM's C out, xProj in; dxProj out, in
    // for dX and for dW_ih, and for its row sum.
    expect(apart.bytes - fused.bytes).toBe(3 * 6 * 32 * 50 * 4 * 256 * 4);
  });
});
