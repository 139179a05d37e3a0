// The recurrent layers beyond the PyTorch fixtures: the article's shapes, the fused kernels
// against the cells in a loop (forward, gradients and the per-step gradient trace), packing,
// the parameter table, the forget-bias option, state dicts and errors.
import { GRU, GRUCell, LSTM, LSTMCell, type Module, RNN, type RNNBase, RNNCell } from '@seqlab/layers';
import {
  ConfigError,
  cat,
  getBackend,
  listBackends,
  manualSeed,
  noGrad,
  type PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  randn,
  ShapeError,
  setBackend,
  stack,
  type Tensor,
} from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

describe("the article's shapes", () => {
  test('2-layer LSTM, batchFirst, dropout 0.3: output [32, 50, 256], hN and cN [2, 32, 256]', () => {
    manualSeed(0);
    const lstm = new LSTM({ inputSize: 100, hiddenSize: 256, numLayers: 2, batchFirst: true, dropout: 0.3 });
    const { output, hN, cN } = lstm.forward(randn([32, 50, 100]));
    expect(output.shape).toEqual([32, 50, 256]);
    expect(hN.shape).toEqual([2, 32, 256]);
    expect(cN.shape).toEqual([2, 32, 256]);
    const bi = new LSTM({
      inputSize: 100,
      hiddenSize: 256,
      numLayers: 2,
      batchFirst: true,
      bidirectional: true,
    });
    expect(bi.forward(randn([32, 50, 100])).output.shape).toEqual([32, 50, 512]);
    expect(bi.forward(randn([32, 50, 100])).hN.shape).toEqual([4, 32, 256]);
  });

  test('unbatched input [T, I] gives output [T, D·H] and hN [L·D, H]', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const { output, hN } = gru.forward(randn([5, 3]));
    expect(output.shape).toEqual([5, 8]);
    expect(hN.shape).toEqual([4, 4]);
  });
});

describe('parameter table: at equal sizes GRU has 3/4 of the LSTM recurrent parameters and RNN 1/4', () => {
  test.each([
    [1, false],
    [2, true],
  ])('numLayers=%i bidirectional=%s', (numLayers, bidirectional) => {
    const options = { inputSize: 128, hiddenSize: 256, numLayers, bidirectional };
    const lstm = new LSTM(options).numParameters();
    expect(new GRU(options).numParameters()).toBe((lstm * 3) / 4);
    expect(new RNN(options).numParameters()).toBe(lstm / 4);
  });

  test("the article's LSTM(128, 256): 4·(256·128 + 256·256 + 2·256) = 395,264", () => {
    expect(new LSTM({ inputSize: 128, hiddenSize: 256 }).numParameters()).toBe(395264);
  });
});

type Cell = LSTMCell | GRUCell | RNNCell;

/** Cells holding the layer's weights for every layer and direction. */
function cellsOf(layer: RNNBase, make: (inputSize: number) => Cell): Cell[][] {
  const D = layer.numDirections;
  const params = layer.stateDict();
  return Array.from({ length: layer.numLayers }, (_, l) =>
    Array.from({ length: D }, (_, d) => {
      const cell = make(l === 0 ? layer.inputSize : D * layer.hiddenSize);
      const suffix = `_l${l}${d ? '_reverse' : ''}`;
      const dict = new Map<string, Tensor>();
      for (const name of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'])
        dict.set(name, params.get(`${name}${suffix}`)!);
      cell.loadStateDict(dict);
      return cell;
    }),
  );
}

/** The reference loop: one sequence x [L, I] through every layer and direction with the cells. */
function loop(cells: Cell[][], x: Tensor, keep: Tensor[] = []): { out: Tensor; hN: Tensor[]; cN: Tensor[] } {
  let input = x;
  const hN: Tensor[] = [];
  const cN: Tensor[] = [];
  for (const dirs of cells) {
    const outs = dirs.map((cell, d) => {
      const steps = Array.from({ length: input.shape[0] }, (_, t) => (d ? input.shape[0] - 1 - t : t));
      let h: Tensor | undefined;
      let c: Tensor | undefined;
      const hs: Tensor[] = new Array(steps.length);
      for (const t of steps) {
        const xt = input.select(0, t).unsqueeze(0);
        if (cell instanceof LSTMCell) {
          const s = cell.forward(xt, h && c ? { h, c } : {});
          h = s.h;
          c = s.c.retainGrad();
          keep.push(c);
        } else {
          h = cell.forward(xt, h);
        }
        h.retainGrad();
        keep.push(h);
        hs[t] = h;
      }
      hN.push(h!);
      if (c) cN.push(c);
      return cat(hs, 0);
    });
    input = outs.length === 2 ? cat(outs, 1) : outs[0];
  }
  return { out: input, hN, cN };
}

/** The layer's parameter gradients against its cells' (each cell holds one layer and direction). */
function expectCellGradients(layer: RNNBase, cells: Cell[][]): void {
  const grads = new Map((layer as Module).namedParameters());
  for (const [l, dirs] of cells.entries()) {
    for (const [d, cell] of dirs.entries()) {
      for (const [name, p] of cell.namedParameters()) {
        const full = grads.get(`${name}_l${l}${d ? '_reverse' : ''}`)!;
        expectClose(full.grad!, p.grad!, { rtol: 1e-4, atol: 1e-5 });
      }
    }
  }
}

/**
 * The fused layers checked against their cells: LSTM, GRU and RNN (with the given nonlinearity),
 * each 2 bidirectional batch-first layers from 3 features to 4, with the cell for one layer and
 * direction. The RNN's name says its nonlinearity when it is not the default tanh.
 */
function layerCases(
  nonlinearity: 'tanh' | 'relu',
): [name: string, makeLayer: () => RNNBase, makeCell: (inputSize: number) => Cell][] {
  const hiddenSize = 4;
  const options = { inputSize: 3, hiddenSize, numLayers: 2, bidirectional: true, batchFirst: true };
  return [
    ['LSTM', () => new LSTM(options), (inputSize) => new LSTMCell({ inputSize, hiddenSize })],
    ['GRU', () => new GRU(options), (inputSize) => new GRUCell({ inputSize, hiddenSize })],
    [
      nonlinearity === 'tanh' ? 'RNN' : `RNN ${nonlinearity}`,
      () => new RNN({ ...options, nonlinearity }),
      (inputSize) => new RNNCell({ inputSize, hiddenSize, nonlinearity }),
    ],
  ];
}

describe.each(layerCases('relu'))('fused %s equals its cells in a loop', (_name, makeLayer, makeCell) => {
  test('packed, unsorted lengths: outputs, final states and every gradient', () => {
    manualSeed(11);
    const layer = makeLayer();
    const cells = cellsOf(layer, makeCell);
    const lengths = [3, 5, 1, 4];
    const x = randn([4, 5, 3]);
    x.requiresGrad = true;
    const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
    const res = layer.forward(packed) as { output: PackedSequence; hN: Tensor; cN?: Tensor };
    const [padded] = padPackedSequence(res.output, { batchFirst: true });
    const w = randn(padded.shape);
    const wh = randn(res.hN.shape);
    padded.mul(w).sum().add(res.hN.mul(wh).sum()).backward();

    const xs = lengths.map((L, b) => {
      const xb = x.detach().select(0, b).narrow(0, 0, L).clone();
      xb.requiresGrad = true;
      return xb;
    });
    const refs = xs.map((xb) => loop(cells, xb));
    let loss: Tensor | null = null;
    refs.forEach((ref, b) => {
      expectClose(padded.select(0, b).narrow(0, 0, lengths[b]), ref.out, { rtol: 1e-5, atol: 1e-6 });
      const hN = stack(ref.hN.map((h) => h.squeeze(0)));
      expectClose(res.hN.select(1, b), hN, { rtol: 1e-5, atol: 1e-6 });
      const term = ref.out
        .mul(w.select(0, b).narrow(0, 0, lengths[b]))
        .sum()
        .add(hN.mul(wh.select(1, b)).sum());
      loss = loss ? loss.add(term) : term;
    });
    (loss as unknown as Tensor).backward();
    lengths.forEach((L, b) => {
      expectClose(x.grad!.select(0, b).narrow(0, 0, L), xs[b].grad!, { rtol: 1e-4, atol: 1e-6 });
      expect(Array.from(x.grad!.select(0, b).narrow(0, L, 5 - L).data).every((v) => v === 0)).toBe(true);
    });
    expectCellGradients(layer, cells);
  });
});

// A classifier reads output.select(1, -1): the last layer's reverse direction has a zero gradient
// at every step but its first processed one, and its backward runs that step alone (see
// NOTE(zero-gradient-steps) in @seqlab/tensor). Every gradient still equals the cells' in a loop.
describe.each(listBackends())('[%s backend] a loss on the last step only', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each(layerCases('tanh'))(
    '%s, 2 bidirectional batch-first layers: every gradient as the cells in a loop',
    (_n, makeLayer, makeCell) => {
      manualSeed(23);
      const layer = makeLayer();
      layer.recordGates = true;
      layer.trackGradients = true;
      const cells = cellsOf(layer, makeCell);
      const x = randn([3, 5, 3]);
      x.requiresGrad = true;
      const w = randn([3, 8]);
      const k = backend();
      const calls: number[] = [];
      const many = k.recurrentBackwardMany;
      const one = k.recurrentBackward;
      k.recurrentBackward = (a) => {
        calls.push(a.batchSizes.length);
        one.call(k, a);
      };
      if (many)
        k.recurrentBackwardMany = (list) => {
          for (const a of list) calls.push(a.batchSizes.length);
          many.call(k, list);
        };
      try {
        (layer.forward(x).output as Tensor).select(1, -1).mul(w).sum().backward();
      } finally {
        k.recurrentBackward = one;
        if (many) k.recurrentBackwardMany = many;
        else delete k.recurrentBackwardMany;
      }
      // Layer 2's directions, then layer 1's: the reverse one of layer 2 ran one step.
      expect(calls).toEqual([5, 1, 5, 5]);
      expect(layer.lastGates).toHaveLength(4);
      // Its traced dL/dh_t is zero at every step but the last.
      const trace = layer.lastGradients?.[3].dh as Tensor;
      expect(Array.from(trace.narrow(0, 0, 4 * 3).data).every((v) => v === 0)).toBe(true);
      expect(Array.from(trace.narrow(0, 4 * 3, 3).data).some((v) => v !== 0)).toBe(true);

      const xs = [0, 1, 2].map((b) => {
        const xb = x.detach().select(0, b).clone();
        xb.requiresGrad = true;
        return xb;
      });
      let loss: Tensor | null = null;
      xs.forEach((xb, b) => {
        const term = loop(cells, xb).out.select(0, -1).mul(w.select(0, b)).sum();
        loss = loss ? loss.add(term) : term;
      });
      (loss as unknown as Tensor).backward();
      xs.forEach((xb, b) => {
        expectClose(x.grad!.select(0, b), xb.grad!, { rtol: 1e-4, atol: 1e-6 });
      });
      expectCellGradients(layer, cells);
    },
  );
});

describe('per-step gradients (trackGradients) equal retainGrad on the reference loop', () => {
  test('LSTM dL/dh_t and dL/dc_t, loss on the last step only', () => {
    manualSeed(5);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true });
    lstm.trackGradients = true;
    const [cell] = cellsOf(lstm, (i) => new LSTMCell({ inputSize: i, hiddenSize: 4 }))[0];
    const x = randn([1, 6, 3]);
    const { output } = lstm.forward(x);
    const w = randn([4]);
    output.select(1, -1).mul(w).sum().backward();
    const [record] = lstm.lastGradients!;
    expect(record.dh!.shape).toEqual([6, 4]); // rows t·B + b with B = 1
    const kept: Tensor[] = [];
    const ref = loop([[cell]], x.select(0, 0), kept);
    ref.out.select(0, -1).mul(w).sum().backward();
    const hs = kept.filter((_, i) => i % 2 === 1); // c, h alternate
    const cs = kept.filter((_, i) => i % 2 === 0);
    for (const [t, h] of hs.entries()) {
      expectClose(record.dh!.select(0, t), h.grad!.squeeze(0), { rtol: 1e-5, atol: 1e-7 });
    }
    cs.forEach((c, t) => {
      if (c.grad) expectClose(record.dc!.select(0, t), c.grad.squeeze(0), { rtol: 1e-5, atol: 1e-7 });
    });
  });
});

describe('gate recording and forget bias', () => {
  test('recordGates keeps i, f, g, o and c per row; off by default', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
    lstm.forward(randn([4, 2, 2]));
    expect(lstm.lastGates).toBeNull();
    lstm.recordGates = true;
    lstm.forward(randn([4, 2, 2]));
    const gates = lstm.lastGates!;
    expect(gates.map((g) => [g.layer, g.direction])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(gates[0].gates.shape).toEqual([8, 12]);
    expect(gates[0].cells!.shape).toEqual([8, 3]);
  });

  test('forgetBias adds to the forget slice of every b_ih and opens the forget gate', () => {
    manualSeed(3);
    const plain = new LSTM({ inputSize: 4, hiddenSize: 8, bidirectional: true });
    manualSeed(3);
    const biased = new LSTM({ inputSize: 4, hiddenSize: 8, bidirectional: true, forgetBias: 2 });
    for (const name of ['bias_ih_l0', 'bias_ih_l0_reverse']) {
      const a = plain.stateDict().get(name)!.data;
      const b = biased.stateDict().get(name)!.data;
      for (let k = 0; k < 32; k++) expect(b[k]).toBeCloseTo(a[k] + (k >= 8 && k < 16 ? 2 : 0), 6);
    }
    biased.recordGates = true;
    biased.forward(randn([10, 4, 4]));
    const g = biased.lastGates![0].gates;
    let f = 0;
    for (let r = 0; r < 40; r++) for (let k = 8; k < 16; k++) f += g.data[r * 32 + k];
    expect(f / 320).toBeGreaterThan(0.8); // σ(≈2): the gate starts open; PyTorch's default starts at ≈0.5
    expect(() => new LSTM({ inputSize: 2, hiddenSize: 2, bias: false, forgetBias: 1 })).toThrow(ConfigError);
  });
});

describe('state dicts use PyTorch names', () => {
  test('2-layer bidirectional projected LSTM', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2 });
    expect([...lstm.stateDict().keys()]).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_hr_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
      'weight_hr_l0_reverse',
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
      'weight_hr_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'bias_ih_l1_reverse',
      'bias_hh_l1_reverse',
      'weight_hr_l1_reverse',
    ]);
    expect(lstm.stateDict().get('weight_ih_l1')!.shape).toEqual([20, 4]);
    expect(lstm.stateDict().get('weight_hh_l0')!.shape).toEqual([20, 2]);
    expect(lstm.forward(randn([4, 2, 3])).output.shape).toEqual([4, 2, 4]);
  });
});

describe('errors name the layer, the expected and the given shapes', () => {
  test.each([
    [
      'input features',
      () => new LSTM({ inputSize: 10, hiddenSize: 4 }).forward(randn([5, 3, 12])),
      ShapeError,
      'LSTM.forward: expected input of shape [T, B, 10] (batchFirst=false) or [T, 10], got [5, 3, 12]',
    ],
    [
      'batchFirst layout',
      () => new GRU({ inputSize: 10, hiddenSize: 4, batchFirst: true }).forward(randn([5, 3])),
      ShapeError,
      'GRU.forward: expected input of shape [B, T, 10] (batchFirst=true) or [T, 10], got [5, 3]',
    ],
    [
      'h0 shape',
      () =>
        new LSTM({ inputSize: 2, hiddenSize: 4, numLayers: 2 }).forward(randn([5, 3, 2]), {
          h0: randn([1, 3, 4]),
          c0: randn([2, 3, 4]),
        }),
      ShapeError,
      'LSTM.forward: expected h0 of shape [2, 3, 4], got [1, 3, 4]',
    ],
    [
      'c0 on a GRU',
      () => new GRU({ inputSize: 2, hiddenSize: 4 }).forward(randn([5, 3, 2]), { c0: randn([1, 3, 4]) }),
      ShapeError,
      'GRU.forward: expected no c0 (only LSTM has a cell state), got a c0',
    ],
    [
      'projSize too large',
      () => new LSTM({ inputSize: 2, hiddenSize: 4, projSize: 4 }),
      ConfigError,
      'LSTM: expected projSize an integer in [0, hiddenSize=4), got 4',
    ],
    [
      'dropout',
      () => new RNN({ inputSize: 2, hiddenSize: 4, dropout: 1.5 }),
      ConfigError,
      'RNN: expected dropout in [0, 1], got 1.5',
    ],
    [
      'nonlinearity',
      () => new RNN({ inputSize: 2, hiddenSize: 4, nonlinearity: 'sigmoid' as 'tanh' }),
      ConfigError,
      "RNN: expected nonlinearity 'tanh' or 'relu', got 'sigmoid'",
    ],
  ])('%s', (_name, fn, kind, message) => {
    expect(fn).toThrow(kind);
    expect(fn).toThrow(message);
  });
});

describe.each(listBackends())('[%s backend] a batch-first padded batch', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  // The batch-first layer reads its input and writes its last layer's output in that order (no
  // transpose when the backend fuses the projection): the time-major layer's results, transposed.
  test.each([
    ['2-layer bidirectional LSTM', { numLayers: 2, bidirectional: true }],
    ['1-layer LSTM', { numLayers: 1, bidirectional: false }],
  ] as const)(
    '%s, with and without a gradient: the bits of the time-major layer on the transposed input',
    (_n, o) => {
      manualSeed(3);
      const timeMajor = new LSTM({ inputSize: 6, hiddenSize: 9, ...o });
      const batchFirst = new LSTM({ inputSize: 6, hiddenSize: 9, batchFirst: true, ...o });
      batchFirst.loadStateDict(timeMajor.stateDict());
      const x = randn([4, 7, 6]);
      for (const grad of [false, true]) {
        const run = <R>(f: () => R): R => (grad ? f() : noGrad(f));
        const want = run(() => timeMajor.forward(x.transpose(0, 1)));
        const got = run(() => batchFirst.forward(x));
        expect(got.output.shape).toEqual([4, 7, o.bidirectional ? 18 : 9]);
        expect(Array.from((got.output as Tensor).data)).toEqual(
          Array.from((want.output as Tensor).transpose(0, 1).data),
        );
        expect(Array.from(got.hN.data)).toEqual(Array.from(want.hN.data));
        expect(Array.from(got.cN?.data ?? [])).toEqual(Array.from(want.cN?.data ?? []));
      }
    },
  );
});
