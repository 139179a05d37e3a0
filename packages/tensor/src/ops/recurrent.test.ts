// The fused recurrence against finite differences (float64), for every cell, both directions,
// packed batch sizes and a projected LSTM; and its trace of dL/dh_t against retainGrad on a loop.
// The fused input projection against matmul + add and finite differences; several sequences in
// one node (recurrentSequences) against one node each. recurrentLayer on every backend: under
// noGrad (the forward-only kernel where a backend has one) the numbers of the recording path, with
// the directions side by side; gradients still flow when an input requires one.

import {
  ConfigError,
  cat,
  Generator,
  getBackend,
  linear,
  listBackends,
  noGrad,
  RECURRENT_GATES,
  type RecurrentCell,
  type RecurrentSequenceInputs,
  randn,
  recurrentLayer,
  recurrentSequence,
  recurrentSequences,
  ShapeError,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import { gradcheck } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const g = new Generator(2024);
const r = (shape: number[], scale = 0.5) => {
  const t = randn(shape, { generator: g, dtype: 'float64' }).mul(scale).detach();
  t.requiresGrad = true;
  return t;
};

describe.each<[RecurrentCell, boolean, number[], number]>([
  ['lstm', false, [3, 3, 2, 1], 0],
  ['lstm', true, [3, 2, 2, 1], 0],
  ['lstm', true, [3, 2, 1], 2], // projected: O = 2 < H = 3
  ['gru', false, [3, 2, 2], 0],
  ['gru', true, [2, 2, 1, 1], 0],
  ['rnn_tanh', true, [3, 1], 0],
  ['rnn_relu', false, [2, 2, 1], 0],
])('recurrentSequence %s reverse=%s batchSizes=%j proj=%i', (cell, reverse, sizes, proj) => {
  const H = 3;
  const I = RECURRENT_GATES[cell] * H;
  const O = proj || H;
  const B = sizes[0];
  const N = sizes.reduce((a, b) => a + b, 0);
  const batchSizes = Int32Array.from(sizes);

  test('gradcheck of out, hN, cN w.r.t. every input', () => {
    const inputs = [
      r([N, I]),
      r([I, O]),
      cell === 'gru' ? r([I]) : null,
      proj ? r([O, H]) : null,
      r([B, O]),
      cell === 'lstm' ? r([B, H]) : null,
    ];
    const present = inputs.filter((t): t is Tensor => t !== null);
    const fn = (...xs: Tensor[]) => {
      const it = xs[Symbol.iterator]();
      const pick = (t: Tensor | null): Tensor | null => (t ? (it.next().value as Tensor) : null);
      const [xProj, wHh, bHh, wHr, h0, c0] = inputs.map(pick);
      const res = recurrentSequence({
        cell,
        xProj: xProj!,
        wHh: wHh!,
        bHh,
        wHr,
        h0: h0!,
        c0,
        batchSizes,
        reverse,
      });
      return res.cN ? [res.out, res.hN, res.cN] : [res.out, res.hN];
    };
    expect(gradcheck(fn, present)).toBe(true);
  });
});

test('gate activations are recorded on request and lie in their ranges', () => {
  const H = 4;
  const res = recurrentSequence({
    cell: 'lstm',
    xProj: randn([6, 4 * H], { generator: g }),
    wHh: randn([4 * H, H], { generator: g }),
    bHh: null,
    wHr: null,
    h0: randn([2, H], { generator: g }),
    c0: randn([2, H], { generator: g }),
    batchSizes: Int32Array.from([2, 2, 2]),
    reverse: false,
    recordGates: true,
  });
  const gates = res.gates!;
  expect(gates.shape).toEqual([6, 4 * H]);
  expect(res.cells!.shape).toEqual([6, H]);
  for (let row = 0; row < 6; row++) {
    for (let k = 0; k < 4 * H; k++) {
      const v = gates.data[row * 4 * H + k];
      const isG = k >= 2 * H && k < 3 * H; // g = tanh, the others sigmoid
      expect(v).toBeGreaterThanOrEqual(isG ? -1 : 0);
      expect(v).toBeLessThanOrEqual(1);
    }
  }
});

test('recurrentSequences gives what recurrentSequence gives per sequence, values and gradients', () => {
  const H = 3;
  const make = () => {
    const gen = new Generator(7);
    const t = (shape: number[]) => {
      const v = randn(shape, { generator: gen, dtype: 'float64' }).mul(0.5).detach();
      v.requiresGrad = true;
      return v;
    };
    return [false, true].map((reverse) => ({
      cell: 'lstm' as const,
      xProj: t([5, 4 * H]),
      wHh: t([4 * H, H]),
      bHh: null,
      wHr: null,
      h0: t([2, H]),
      c0: t([2, H]),
      batchSizes: Int32Array.of(2, 2, 1),
      reverse,
    }));
  };
  const one = make();
  const many = make();
  const a = one.map((i) => recurrentSequence(i));
  const b = recurrentSequences(many);
  const loss = (outs: typeof a) =>
    outs.reduce((s, o) => s.add(o.out.mul(o.out).sum()).add(o.hN.sum()), randn([]).mul(0));
  loss(a).backward();
  loss(b).backward();
  a.forEach((o, i) => {
    expect(Array.from(b[i].out.data)).toEqual(Array.from(o.out.data));
  });
  one.forEach((inp, i) => {
    for (const key of ['xProj', 'wHh', 'h0', 'c0'] as const) {
      expect(Array.from(many[i][key].grad?.data ?? []), `${key} of sequence ${i}`).toEqual(
        Array.from(inp[key].grad?.data ?? []),
      );
    }
  });
});

/** The directions of one float32 layer (W1's shape shrunk: B = 5, packed lengths, H = 19). */
function layerInputs(
  cell: RecurrentCell,
  directions: number,
  requiresGrad = false,
): RecurrentSequenceInputs[] {
  const gen = new Generator(11);
  const H = 19;
  const G = RECURRENT_GATES[cell];
  const batchSizes = Int32Array.of(5, 5, 4, 2, 2, 1);
  const N = batchSizes.reduce((a, b) => a + b, 0);
  const t = (shape: number[], scale = 0.5) => {
    const v = randn(shape, { generator: gen }).mul(scale).detach();
    v.requiresGrad = requiresGrad;
    return v;
  };
  return Array.from({ length: directions }, (_, d) => ({
    cell,
    xProj: t([N, G * H], 1.5),
    wHh: t([G * H, H], 1 / Math.sqrt(H)),
    bHh: cell === 'gru' ? t([G * H]) : null,
    wHr: null,
    h0: t([5, H]),
    c0: cell === 'lstm' ? t([5, H]) : null,
    batchSizes,
    reverse: d === 1,
  }));
}

describe.each(listBackends())('[%s backend] recurrentLayer', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each<[RecurrentCell, number]>([
    ['lstm', 2],
    ['gru', 2],
    ['rnn_tanh', 1],
    ['rnn_relu', 2],
  ])('%s, %i directions: under noGrad the outputs of the recording path, side by side', (cell, D) => {
    const recorded = recurrentSequences(layerInputs(cell, D));
    const want =
      D === 1
        ? recorded[0].out
        : cat(
            recorded.map((r) => r.out),
            1,
          );
    const inputs = layerInputs(cell, D);
    const xProj = inputs.map((i) => Array.from(i.xProj.data));
    const got = noGrad(() => recurrentLayer(inputs));
    expect(got.out.shape).toEqual(want.shape);
    expect(Array.from(got.out.data)).toEqual(Array.from(want.data));
    got.directions.forEach((d, i) => {
      expect(Array.from(d.out.data), `direction ${i}: out`).toEqual(Array.from(recorded[i].out.data));
      expect(Array.from(d.hN.data), `direction ${i}: hN`).toEqual(Array.from(recorded[i].hN.data));
      expect(d.cN && Array.from(d.cN.data), `direction ${i}: cN`).toEqual(
        recorded[i].cN && Array.from(recorded[i].cN.data),
      );
      expect(d.gates, `direction ${i}: no gates saved`).toBeNull();
    });
    // Without overwriteXProj the input projection is left as it was.
    for (const [d, i] of inputs.entries()) expect(Array.from(i.xProj.data), `xProj ${d}`).toEqual(xProj[d]);
  });

  test('records a node when an input requires a gradient, and gradients flow', () => {
    const inputs = layerInputs('lstm', 2, true);
    const { out, directions } = recurrentLayer(inputs);
    expect(out.requiresGrad).toBe(true);
    out.mul(out).sum().add(directions[1].hN.sum()).backward();
    const want = layerInputs('lstm', 2, true);
    const outs = recurrentSequences(want);
    cat(
      outs.map((o) => o.out),
      1,
    )
      .mul(
        cat(
          outs.map((o) => o.out),
          1,
        ),
      )
      .sum()
      .add(outs[1].hN.sum())
      .backward();
    inputs.forEach((inp, d) => {
      for (const key of ['xProj', 'wHh', 'h0', 'c0'] as const) {
        expect(Array.from(inp[key]?.grad?.data ?? [0]), `${key} of direction ${d}`).toEqual(
          Array.from(want[d][key]?.grad?.data ?? [1]),
        );
      }
    });
  });

  test.each<[RecurrentCell, number]>([
    ['lstm', 2],
    ['gru', 2],
    ['rnn_tanh', 1],
  ])(
    '%s, %i directions given as input, W_ih and biases: the outputs of linear(x, W_ih, biases) as xProj, with and without a gradient',
    (cell, D) => {
      const gen = new Generator(5);
      const inputs = layerInputs(cell, D);
      const N = inputs[0].xProj.shape[0];
      const GH = inputs[0].wHh.shape[0];
      const x = randn([N, 23], { generator: gen });
      const projections = inputs.map(() => ({
        wIh: randn([GH, 23], { generator: gen }).mul(0.2),
        biases: [randn([GH], { generator: gen }), randn([GH], { generator: gen })].slice(
          0,
          cell === 'gru' ? 1 : 2,
        ),
      }));
      for (const grad of [false, true]) {
        // With a gradient (W_ih requires one) both run linear and the recording path.
        for (const p of projections) p.wIh.requiresGrad = grad;
        const run = (list: Parameters<typeof recurrentLayer>[0]) =>
          grad ? recurrentLayer(list) : noGrad(() => recurrentLayer(list));
        const made = inputs.map((i, d) => ({
          ...i,
          xProj: linear(x, projections[d].wIh, projections[d].biases),
        }));
        const fromInput = inputs.map(({ xProj: _made, ...i }, d) => ({
          ...i,
          input: { x, ...projections[d] },
        }));
        const want = run(made);
        const got = run(fromInput);
        expect(got.out.requiresGrad, `gradient ${grad}: out requires a gradient`).toBe(grad);
        // The same kernels on the same xProj: the same bits (a backend that fuses the projection
        // into the recurrence keeps linear's summation order and roundings).
        expect(Array.from(got.out.data), `gradient ${grad}: out`).toEqual(Array.from(want.out.data));
        got.directions.forEach((d, i) => {
          expect(Array.from(d.hN.data), `gradient ${grad}, direction ${i}: hN`).toEqual(
            Array.from(want.directions[i].hN.data),
          );
        });
      }
    },
  );

  test.each([false, true])(
    'batch-first input rows and output rows (gradient %s): the time-major results, transposed',
    (grad) => {
      const gen = new Generator(9);
      const [B, T, I, H] = [5, 6, 7, 19];
      const G = RECURRENT_GATES.lstm;
      const xBatchFirst = randn([B, T, I], { generator: gen });
      const xTimeMajor = xBatchFirst.transpose(0, 1).reshape([T * B, I]);
      const base = layerInputs('lstm', 2).map(({ xProj: _x, ...i }) => ({
        ...i,
        batchSizes: new Int32Array(T).fill(B),
      }));
      const projections = base.map(() => ({
        wIh: randn([G * H, I], { generator: gen }).mul(0.3),
        biases: [randn([G * H], { generator: gen }), randn([G * H], { generator: gen })],
      }));
      for (const p of projections) p.wIh.requiresGrad = grad;
      const run = (f: () => ReturnType<typeof recurrentLayer>) => (grad ? f() : noGrad(f));
      const want = run(() =>
        recurrentLayer(base.map((i, d) => ({ ...i, input: { x: xTimeMajor, ...projections[d] } }))),
      );
      const got = run(() =>
        recurrentLayer(
          base.map((i, d) => ({
            ...i,
            input: { x: xBatchFirst.reshape([B * T, I]), batchFirst: true, ...projections[d] },
          })),
          { batchFirst: true },
        ),
      );
      const toBatchFirst = (t: Tensor) =>
        t
          .reshape([T, B, t.shape[1]])
          .transpose(0, 1)
          .reshape([B * T, t.shape[1]]);
      expect(got.out.shape).toEqual([B * T, 2 * H]);
      expect(Array.from(got.out.data)).toEqual(Array.from(toBatchFirst(want.out).data));
      got.directions.forEach((d, i) => {
        expect(Array.from(d.out.data), `direction ${i}: out`).toEqual(
          Array.from(toBatchFirst(want.directions[i].out).data),
        );
        expect(Array.from(d.hN.data), `direction ${i}: hN`).toEqual(Array.from(want.directions[i].hN.data));
      });
      // Time-major input, batch-first output only.
      const half = run(() =>
        recurrentLayer(
          base.map((i, d) => ({ ...i, input: { x: xTimeMajor, ...projections[d] } })),
          { batchFirst: true },
        ),
      );
      expect(Array.from(half.out.data)).toEqual(Array.from(toBatchFirst(want.out).data));
      if (grad) {
        got.out.sum().backward();
        expect(projections[0].wIh.grad?.shape).toEqual([G * H, I]);
      }
    },
  );

  test('batch-first rows with a packed batch, or mixed with time-major ones, are a ConfigError', () => {
    const [a, b] = layerInputs('gru', 2).map(({ xProj, ...i }) => ({
      ...i,
      input: { x: randn([xProj.shape[0], 3]), wIh: randn([xProj.shape[1], 3]), biases: [] },
    }));
    const batchFirst = (i: typeof a) => ({ ...i, input: { ...i.input, batchFirst: true } });
    const want =
      /recurrentLayer: expected batch-first rows on every direction of a padded batch, got batch sizes \[5, 5, 4, 2, 2, 1\] of 5 sequences/;
    expect(() => noGrad(() => recurrentLayer([batchFirst(a)]))).toThrow(ConfigError);
    expect(() => noGrad(() => recurrentLayer([batchFirst(a)]))).toThrow(want);
    expect(() => noGrad(() => recurrentLayer([a], { batchFirst: true }))).toThrow(want);
    expect(() => noGrad(() => recurrentLayer([b, batchFirst(a)]))).toThrow(want);
  });

  test('a direction with both xProj and input, or neither, is a ConfigError', () => {
    const [a] = layerInputs('lstm', 1);
    const input = { x: randn([a.xProj.shape[0], 3]), wIh: randn([a.wHh.shape[0], 3]), biases: [] };
    expect(() => recurrentLayer([{ ...a, input }])).toThrow(ConfigError);
    expect(() => recurrentLayer([{ ...a, input }])).toThrow(
      /recurrentLayer: expected exactly one of xProj and input per direction, got both/,
    );
    const { xProj: _xProj, ...neither } = a;
    expect(() => recurrentLayer([neither])).toThrow(
      /expected exactly one of xProj and input per direction, got neither/,
    );
  });

  test('an input x or W_ih of the wrong shape is a ShapeError naming it', () => {
    const { xProj, ...a } = layerInputs('lstm', 1)[0];
    const [N, GH] = xProj.shape;
    const bad = (x: number[], w: number[], b: number[]) =>
      noGrad(() => recurrentLayer([{ ...a, input: { x: randn(x), wIh: randn(w), biases: [randn(b)] } }]));
    const want = /recurrentSequence: expected input x \[19, I\], W_ih \[76, I\] and biases \[76\], got x /;
    expect(() => bad([N - 1, 3], [GH, 3], [GH])).toThrow(ShapeError);
    expect(() => bad([N - 1, 3], [GH, 3], [GH])).toThrow(want);
    expect(() => bad([N, 3], [GH, 4], [GH])).toThrow(/got x \[19, 3\], \[76, 4\], \[76\]/);
    expect(() => bad([N, 3], [GH, 3], [GH + 1])).toThrow(/got x \[19, 3\], \[76, 3\], \[77\]/);
  });

  test('directions over different rows are a ShapeError', () => {
    const [a] = layerInputs('gru', 1);
    const [b] = layerInputs('gru', 1);
    const short = {
      ...b,
      xProj: b.xProj.narrow(0, 0, 17),
      batchSizes: Int32Array.of(5, 5, 4, 2, 1),
    };
    const run = () => noGrad(() => recurrentLayer([a, short]));
    expect(run).toThrow(ShapeError);
    // Checked before any kernel runs, on every path (forward-only or recording).
    expect(run).toThrow(
      /recurrentLayer: expected every direction with N=19 rows of 19 features, got 17 of 19/,
    );
    expect(() => recurrentLayer([a, short])).toThrow(
      /recurrentLayer: expected every direction with N=19 rows of 19 features, got 17 of 19/,
    );
  });
});
