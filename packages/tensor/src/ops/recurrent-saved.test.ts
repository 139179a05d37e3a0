// NOTE(saved-buffers) on every backend: the fused recurrence's saved activations come from the
// storage pool and go back to it when backward releases the node; the gradients the engine owns go
// back once consumed. Checked here: every pooled element is written before it is read (a pool full
// of NaN gives the same bits), the gates written over xProj give the same bits, a second backward
// is a ConfigError unless the first kept the graph, and nothing a caller holds is ever pooled.
// Shapes: B = 16, T = 16, I = 24, H = 64 (every saved buffer ≥ POOL_MIN_BYTES, so all are pooled).

import {
  ConfigError,
  Generator,
  getBackend,
  linear,
  listBackends,
  RECURRENT_GATES,
  type RecurrentCell,
  randn,
  recurrentSequences,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { clearStoragePool, isPooled, releaseStorage, storagePoolSize } from '../storage-pool';

const B = 16;
const T = 16;
const I = 24;
const H = 64;
const N = B * T;

interface Run {
  leaves: Tensor[];
  held: Tensor[];
  values: number[][];
}

/**
 * Two directions of one layer, input projection included (as the layers run it); loss Σ w ⊙ out
 * + Σ hN (+ Σ cN), backward. Returns the leaves, every tensor a caller holds afterwards, and the
 * values of the outputs and of every leaf's gradient.
 */
function run(
  cell: RecurrentCell,
  options: { overwriteXProj?: boolean; recordGates?: boolean; trace?: boolean; retainGraph?: boolean } = {},
): Run {
  const gen = new Generator(5);
  const G = RECURRENT_GATES[cell];
  const leaf = (shape: number[], scale: number) => {
    const t = randn(shape, { generator: gen }).mul(scale).detach();
    t.requiresGrad = true;
    return t;
  };
  const x = leaf([N, I], 1);
  const s = 1 / Math.sqrt(H);
  const dirs = [0, 1].map(() => ({
    wIh: leaf([G * H, I], s),
    bIh: leaf([G * H], s),
    wHh: leaf([G * H, H], s),
    bHh: leaf([G * H], s),
    h0: leaf([B, H], 0.5),
    c0: cell === 'lstm' ? leaf([B, H], 0.5) : null,
  }));
  const traces: Tensor[] = [];
  const batchSizes = new Int32Array(T).fill(B);
  const outs = recurrentSequences(
    dirs.map((d, i) => ({
      cell,
      xProj: linear(x, d.wIh, cell === 'gru' ? [d.bIh] : [d.bIh, d.bHh]),
      wHh: d.wHh,
      bHh: cell === 'gru' ? d.bHh : null,
      wHr: null,
      h0: d.h0,
      c0: d.c0,
      batchSizes,
      reverse: i === 1,
      overwriteXProj: options.overwriteXProj ?? true,
      recordGates: options.recordGates ?? false,
      ...(options.trace
        ? {
            trace: {
              onBackward: (dh: Tensor, dc: Tensor | null) => {
                traces.push(dh);
                if (dc) traces.push(dc);
              },
            },
          }
        : {}),
    })),
  );
  const weight = randn([N, H], { generator: gen });
  let loss = outs[0].out.mul(weight).sum();
  for (const o of outs) {
    loss = loss.add(o.hN.sum());
    if (o.cN) loss = loss.add(o.cN.sum());
  }
  loss.backward(undefined, options.retainGraph ? { retainGraph: true } : undefined);
  const leaves = [x, ...dirs.flatMap((d) => [d.wIh, d.bIh, d.wHh, d.bHh, d.h0, d.c0])].filter(
    (t): t is Tensor => t !== null,
  );
  const held = [
    ...outs.flatMap((o) => [o.out, o.hN, o.cN, o.gates, o.cells]),
    ...leaves.map((l) => l.grad),
    ...traces,
    weight,
  ].filter((t): t is Tensor => t !== null);
  const values = [
    ...outs.flatMap((o) => [o.out, o.hN, o.cN, o.gates, o.cells]),
    ...leaves.map((l) => l.grad),
  ].map((t) => (t ? Array.from(t.data) : []));
  return { leaves, held, values };
}

/** Fills the pool with NaN arrays of every size a run takes (its saved buffers and gradients). */
function poisonPool(cell: RecurrentCell): void {
  const G = RECURRENT_GATES[cell];
  for (const n of [N * G * H, N * H, N * I, G * H * I, G * H * H]) {
    for (let k = 0; k < 8; k++) releaseStorage(new Float32Array(n).fill(Number.NaN));
  }
}

const CELLS: RecurrentCell[] = ['lstm', 'gru', 'rnn_tanh'];

describe.each(listBackends())('[%s backend] the recurrence saved buffers', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));
  afterEach(() => clearStoragePool());

  test.each(CELLS)('%s: a pool of NaN arrays gives the bits of an empty pool', (cell) => {
    clearStoragePool();
    const clean = run(cell);
    clearStoragePool();
    poisonPool(cell);
    const poisoned = run(cell);
    expect(poisoned.values.flat().some(Number.isNaN)).toBe(false);
    expect(poisoned.values).toEqual(clean.values);
  });

  test.each(CELLS)('%s: a second step takes back what the first released', (cell) => {
    clearStoragePool();
    run(cell);
    const after = storagePoolSize();
    // Saved activations and consumed gradients of both directions went back (on wasm, a saved
    // block holds the activations instead: NOTE(saved-blocks)).
    expect(after.arrays).toBeGreaterThanOrEqual(cell === 'lstm' && name !== 'wasm' ? 6 : 4);
    run(cell);
    expect(storagePoolSize()).toEqual(after);
  });

  test.each(['lstm', 'rnn_tanh'] as const)('%s: the gates written over xProj give the same bits', (cell) => {
    const apart = run(cell, { overwriteXProj: false, recordGates: true });
    const over = run(cell, { overwriteXProj: true, recordGates: true });
    expect(over.values).toEqual(apart.values);
  });

  test.each(CELLS)('%s: nothing a caller holds is pooled (outputs, gates, traces, .grad)', (cell) => {
    for (const options of [{}, { recordGates: true, trace: true }, { retainGraph: true }]) {
      clearStoragePool();
      const { held } = run(cell, options);
      expect(storagePoolSize().arrays, JSON.stringify(options)).toBeGreaterThan(0);
      held.forEach((t, i) => {
        expect(isPooled(t.data as Float32Array), `${JSON.stringify(options)}: held tensor ${i}`).toBe(false);
      });
    }
  });
});

describe('backward twice through a recurrence', () => {
  afterEach(() => clearStoragePool());

  const graph = () => {
    const gen = new Generator(3);
    const wHh = randn([4 * 8, 8], { generator: gen })
      .mul(0.3)
      .detach();
    wHh.requiresGrad = true;
    const [o] = recurrentSequences([
      {
        cell: 'lstm',
        xProj: randn([6, 32], { generator: gen }),
        wHh,
        bHh: null,
        wHr: null,
        h0: randn([2, 8], { generator: gen }),
        c0: randn([2, 8], { generator: gen }),
        batchSizes: Int32Array.of(2, 2, 2),
        reverse: false,
      },
    ]);
    return { loss: o.out.sum(), wHh };
  };

  test('is a ConfigError after a backward that did not retain the graph', () => {
    const { loss } = graph();
    loss.backward();
    expect(() => loss.backward()).toThrow(ConfigError);
    expect(() => loss.backward()).toThrow(
      'LSTM.backward: expected a graph not yet backpropagated, got one whose saved state was freed. Pass { retainGraph: true } to the first backward()',
    );
  });

  test('runs again after { retainGraph: true }, adding the same gradient', () => {
    const { loss, wHh } = graph();
    loss.backward(undefined, { retainGraph: true });
    const once = Array.from(wHh.grad?.data ?? []);
    loss.backward();
    expect(Array.from(wHh.grad?.data ?? [])).toEqual(once.map((v) => Math.fround(v + v)));
    expect(() => loss.backward()).toThrow(ConfigError);
  });
});
