// The backward's skip of the steps whose gradient is exactly zero (NOTE(zero-gradient-steps)) on
// every backend: a two-layer bidirectional recurrence built on recurrentLayer (projection fused in
// the node), with losses that leave trailing processed steps at zero (the last time step, as a
// classifier reads it; the forward direction's first step; hN alone) and one that leaves none. The
// gradients of x and of every parameter equal those of the same backward with the skip turned off,
// within float32 summation error: dW_ih and db_ih sum fewer rows (the dropped terms are exact
// zeros, but a GEMM over fewer rows may group its sums differently). The kernel calls are counted
// to show the skip was (or was not) taken.

import {
  Generator,
  getBackend,
  listBackends,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentLayerInputs,
  randn,
  recurrentLayer,
  recurrentSequences,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import type { Backend, RecurrentBackwardArgs } from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { backend } from '../backend/registry';
import { firstNonzero, keptSteps, setZeroStepSkip } from './recurrent-skip';

const T = 6;
const B = 3;
const I = 4;
const H = 5;

interface Options {
  batchFirst?: boolean;
  packed?: boolean;
  /** A projected LSTM's output size (W_hr [O, H]); 0: none. */
  proj?: number;
}

/** Two bidirectional layers over recurrentLayer with fixed random parameters (requiring gradients). */
function model(cell: RecurrentCell, options: Options = {}) {
  const gen = new Generator(41);
  const G = RECURRENT_GATES[cell];
  const O = options.proj || H;
  const batchSizes = options.packed ? Int32Array.from([3, 3, 2, 2, 1, 1]) : new Int32Array(T).fill(B);
  const N = batchSizes.reduce((a, b) => a + b, 0);
  const param = (shape: number[]) => {
    const t = randn(shape, { generator: gen }).mul(0.4).detach();
    t.requiresGrad = true;
    return t;
  };
  const x = param([N, I]);
  const layers = [I, 2 * O].map((inputSize) =>
    [0, 1].map(() => ({
      wIh: param([G * H, inputSize]),
      wHh: param([G * H, O]),
      bIh: param([G * H]),
      bHh: param([G * H]),
      wHr: options.proj ? param([O, H]) : null,
      h0: param([B, O]),
      c0: cell === 'lstm' ? param([B, H]) : null,
    })),
  );
  const params = [
    x,
    ...layers.flat().flatMap((p) => Object.values(p).filter((t): t is Tensor => t !== null)),
  ];
  const run = (trace?: (dh: Tensor) => void) => {
    let input = x;
    const hN: Tensor[] = [];
    for (const [l, dirs] of layers.entries()) {
      const list = dirs.map(
        (p, d): RecurrentLayerInputs => ({
          cell,
          input: {
            x: input,
            wIh: p.wIh,
            biases: cell === 'gru' ? [p.bIh] : [p.bIh, p.bHh],
            ...(options.batchFirst && l === 0 ? { batchFirst: true } : {}),
          },
          wHh: p.wHh,
          bHh: cell === 'gru' ? p.bHh : null,
          wHr: p.wHr,
          h0: p.h0,
          c0: p.c0,
          batchSizes,
          reverse: d === 1,
          ...(trace ? { trace: { onBackward: trace } } : {}),
        }),
      );
      const result = recurrentLayer(list);
      input = result.out;
      hN.push(...result.directions.map((r) => r.hN));
    }
    return { out: input, hN };
  };
  return { params, run, O, N, batchSizes };
}

/** Runs `fn` and returns the steps and direction of every `recurrentBackward` the backend was asked to run. */
function backwardCalls(fn: () => void): { steps: number; reverse: boolean }[] {
  const k = backend() as Backend;
  const one = k.recurrentBackward;
  const many = k.recurrentBackwardMany;
  const calls: { steps: number; reverse: boolean }[] = [];
  const note = (a: RecurrentBackwardArgs) => calls.push({ steps: a.batchSizes.length, reverse: a.reverse });
  k.recurrentBackward = (a) => {
    note(a);
    one.call(k, a);
  };
  if (many)
    k.recurrentBackwardMany = (list) => {
      for (const a of list) note(a);
      many.call(k, list);
    };
  try {
    fn();
  } finally {
    k.recurrentBackward = one;
    if (many) k.recurrentBackwardMany = many;
    else delete k.recurrentBackwardMany;
  }
  return calls;
}

type Loss = (r: { out: Tensor; hN: Tensor[] }, O: number, N: number) => Tensor;

/** Fixed weights of the loss terms, the shape of what they weigh. */
const weights = (shape: readonly number[]) => randn(shape, { generator: new Generator(9) });

const LOSSES: Record<string, Loss> = {
  // What a classifier on output.select(1, -1) backpropagates: the rows of the last step.
  'last step': ({ out }, _O, N) =>
    out
      .narrow(0, N - B, B)
      .mul(weights([B, out.shape[1]]))
      .sum(),
  'every step': ({ out }) => out.mul(weights(out.shape)).sum(),
  "the forward direction's first step": ({ out }, O) =>
    out
      .narrow(0, 0, B)
      .narrow(1, 0, O)
      .mul(weights([B, O]))
      .sum(),
  "the last layer's forward hN": ({ hN }) => hN[2].mul(weights(hN[2].shape)).sum(),
};

/** The gradients of every parameter (and x), their traces of dL/dh, and the backward calls. */
function gradients(cell: RecurrentCell, options: Options, loss: Loss, skip: boolean) {
  const was = setZeroStepSkip(skip);
  try {
    const m = model(cell, options);
    const traces: Tensor[] = [];
    const result = m.run((dh) => traces.push(dh));
    const calls = backwardCalls(() => loss(result, m.O, m.N).backward());
    return { grads: m.params.map((p) => p.grad), traces, calls };
  } finally {
    setZeroStepSkip(was);
  }
}

describe.each(listBackends())('[%s backend] the backward skips the steps whose gradient is zero', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));
  afterEach(() => setZeroStepSkip(true));

  const configs: [string, RecurrentCell, Options][] = [
    ['LSTM', 'lstm', {}],
    ['GRU', 'gru', {}],
    ['RNN', 'rnn_tanh', {}],
    ['LSTM batch-first', 'lstm', { batchFirst: true }],
    ['GRU batch-first', 'gru', { batchFirst: true }],
    ['projected LSTM', 'lstm', { proj: 3 }],
    ['packed LSTM', 'lstm', { packed: true }],
    ['packed GRU', 'gru', { packed: true }],
  ];
  // Per loss: the steps each of the four calls sees with the skip (layer 2's calls come first).
  const expected: Record<string, (packed: boolean) => { steps: number; reverse: boolean }[]> = {
    // Packed, the last B rows are the last three steps (batch sizes 3, 3, 2, 2, 1, 1).
    'last step': (packed) => [
      { steps: T, reverse: false },
      { steps: packed ? 3 : 1, reverse: true },
      { steps: T, reverse: false },
      { steps: T, reverse: true },
    ],
    'every step': () => [
      { steps: T, reverse: false },
      { steps: T, reverse: true },
      { steps: T, reverse: false },
      { steps: T, reverse: true },
    ],
    // Layer 2's reverse direction gets no gradient at all (no call); layer 1's forward direction
    // gets one at its first step alone (through layer 2's forward direction at step 0).
    "the forward direction's first step": () => [
      { steps: 1, reverse: false },
      { steps: 1, reverse: false },
      { steps: T, reverse: true },
    ],
    "the last layer's forward hN": () => [
      { steps: T, reverse: false },
      { steps: T, reverse: false },
      { steps: T, reverse: true },
    ],
  };

  for (const [label, cell, options] of configs) {
    test.each(Object.keys(LOSSES))(`${label}, loss on %s: every gradient as without the skip`, (lossName) => {
      const loss = LOSSES[lossName];
      const skipped = gradients(cell, options, loss, true);
      const full = gradients(cell, options, loss, false);
      expect(full.calls.every((c) => c.steps === T)).toBe(true);
      expect(skipped.calls).toEqual(expected[lossName](options.packed === true));
      expect(skipped.grads.length).toBe(full.grads.length);
      skipped.grads.forEach((g, i) => {
        const want = full.grads[i];
        expect(g === null, `parameter ${i}: a gradient`).toBe(want === null);
        // Float32 summation order: dW_ih and db_ih sum fewer rows with the skip.
        if (g && want) expectClose(g, want, { rtol: 1e-5, atol: 1e-6 }, `parameter ${i}`);
      });
      expect(skipped.traces.length).toBe(full.traces.length);
      skipped.traces.forEach((t, i) => {
        expectClose(t, full.traces[i], { rtol: 1e-5, atol: 1e-6 }, `trace ${i}`);
      });
    });
  }

  test("a caller's own xProj gets zeros in the skipped rows, and retainGraph backpropagates twice", () => {
    const run = (skip: boolean) => {
      const was = setZeroStepSkip(skip);
      try {
        const gen = new Generator(12);
        const leaf = (shape: number[]) => {
          const t = randn(shape, { generator: gen }).mul(0.5).detach();
          t.requiresGrad = true;
          return t;
        };
        const xProj = leaf([T * B, 4 * H]);
        const wHh = leaf([4 * H, H]);
        const [res] = recurrentSequences([
          {
            cell: 'lstm',
            xProj,
            wHh,
            bHh: null,
            wHr: null,
            h0: leaf([B, H]),
            c0: leaf([B, H]),
            batchSizes: new Int32Array(T).fill(B),
            reverse: true,
          },
        ]);
        const loss = res.out.narrow(0, (T - 1) * B, B).sum();
        const calls = backwardCalls(() => {
          loss.backward(undefined, { retainGraph: true });
          loss.backward();
        });
        return { xProj: xProj.grad as Tensor, wHh: wHh.grad as Tensor, calls };
      } finally {
        setZeroStepSkip(was);
      }
    };
    const skipped = run(true);
    const full = run(false);
    expect(skipped.calls).toEqual([
      { steps: 1, reverse: true },
      { steps: 1, reverse: true },
    ]);
    // Rows of steps 0 … T−2 are exactly zero; the last step's rows are not.
    const rows = Array.from(skipped.xProj.data);
    expect(rows.slice(0, (T - 1) * B * 4 * H).every((v) => v === 0)).toBe(true);
    expect(rows.slice((T - 1) * B * 4 * H).some((v) => v !== 0)).toBe(true);
    expectClose(skipped.xProj, full.xProj, { rtol: 1e-5, atol: 1e-6 });
    expectClose(skipped.wHh, full.wHh, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('keptSteps', () => {
  const sizes = Int32Array.from([3, 2, 2, 1]); // rows 0-2, 3-4, 5-6, 7
  const dOut = (nonzero: number[], value = 1) => {
    const d = new Float32Array(8 * 2);
    for (const row of nonzero) d[row * 2 + 1] = value;
    return d;
  };

  test('the forward direction keeps steps 0 … the last with a nonzero row; the reverse one from the first', () => {
    expect(keptSteps(sizes, false, 2, dOut([3]), null, null)).toEqual({ t0: 0, t1: 2, r0: 0, r1: 5 });
    expect(keptSteps(sizes, true, 2, dOut([3]), null, null)).toEqual({ t0: 1, t1: 4, r0: 3, r1: 8 });
    expect(keptSteps(sizes, false, 2, dOut([7]), null, null)).toEqual({ t0: 0, t1: 4, r0: 0, r1: 8 });
    expect(keptSteps(sizes, true, 2, dOut([0]), null, null)).toEqual({ t0: 0, t1: 4, r0: 0, r1: 8 });
  });

  test('no gradient at all keeps no step; −0 is zero, NaN is not', () => {
    expect(keptSteps(sizes, false, 2, null, null, null)).toEqual({ t0: 0, t1: 0, r0: 0, r1: 0 });
    expect(keptSteps(sizes, true, 2, dOut([1, 6], -0), null, null)).toEqual({ t0: 4, t1: 4, r0: 8, r1: 8 });
    expect(keptSteps(sizes, false, 2, dOut([4], Number.NaN), null, null)).toEqual({
      t0: 0,
      t1: 2,
      r0: 0,
      r1: 5,
    });
  });

  test('a nonzero dhN or dcN keeps every step; zero ones do not', () => {
    const all = { t0: 0, t1: 4, r0: 0, r1: 8 };
    expect(keptSteps(sizes, false, 2, null, Float32Array.from([0, 0, 0, 1, 0, 0]), null)).toEqual(all);
    expect(keptSteps(sizes, true, 2, null, null, Float32Array.from([0, 2, 0]))).toEqual(all);
    expect(keptSteps(sizes, false, 2, dOut([0]), new Float32Array(6), new Float32Array(3))).toEqual({
      t0: 0,
      t1: 1,
      r0: 0,
      r1: 3,
    });
  });

  test('turned off, it keeps every step', () => {
    setZeroStepSkip(false);
    try {
      expect(keptSteps(sizes, false, 2, null, null, null)).toEqual({ t0: 0, t1: 4, r0: 0, r1: 8 });
    } finally {
      setZeroStepSkip(true);
    }
  });
});

describe('firstNonzero', () => {
  /** The element loop it stands for. */
  const loop = (d: Float32Array | Float64Array, start: number, end: number) => {
    for (let k = start; k < end; k++) if (d[k] !== 0) return k;
    return -1;
  };
  // Bits that are zero but for the sign (−0), and every kind of nonzero: a denormal with one bit,
  // a negative denormal, NaN (either sign), ±inf, a normal number, the largest float.
  const bits = [
    0x80000000, 1, 0x80000001, 0x7fc00000, 0xffc00000, 0x7f800000, 0xff800000, 0x3f800000, 0x7f7fffff,
  ];

  test('finds what `data[k] !== 0` finds, at every position of a four-word block and its tail', () => {
    const n = 37;
    for (const b of bits) {
      for (let at = 0; at < n; at++) {
        const d = new Float32Array(n);
        new Uint32Array(d.buffer)[at] = b;
        // −0 elsewhere never counts: on every other position, in the same blocks.
        for (let k = 0; k < n; k += 3) if (k !== at) d[k] = -0;
        for (const [start, end] of [
          [0, n],
          [at, n],
          [at + 1, n],
          [0, at],
          [0, at + 1],
          [Math.max(0, at - 5), Math.min(n, at + 9)],
        ])
          expect(firstNonzero(d, start, end), `bits ${b.toString(16)} at ${at}, [${start}, ${end})`).toBe(
            loop(d, start, end),
          );
      }
    }
  });

  test('on a view into a larger buffer, on float64, and with nothing to find', () => {
    const whole = new Float32Array(64);
    whole[3] = 2; // before the view: not seen
    whole[40] = -1;
    const view = whole.subarray(5, 60);
    expect(firstNonzero(view)).toBe(35);
    expect(firstNonzero(view, 36)).toBe(-1);
    const d = Float64Array.from([0, -0, 0, 0, 0, 0, 0, 0, 0, Number.MIN_VALUE]);
    expect(firstNonzero(d)).toBe(9);
    expect(firstNonzero(d, 0, 9)).toBe(-1);
    expect(firstNonzero(new Float32Array(1000).fill(-0))).toBe(-1);
    expect(firstNonzero(new Float32Array(0))).toBe(-1);
  });
});
