// Initial states in PyTorch's containers ([h0, c0] for LSTM, a bare h0 for RNN/GRU, [h, c] for
// LSTMCell) give exactly what seqlab's own forms give; any other container is refused with the
// expected forms, never replaced by zeros (NOTE(state-forms)).
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '@seqlab/layers';
import {
  ConfigError,
  getBackend,
  listBackends,
  manualSeed,
  PackedSequence,
  packPaddedSequence,
  randn,
  ShapeError,
  setBackend,
  type Tensor,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, describe, expect, test } from 'vitest';

// B = 3 sequences, T = 5 steps, I = 3 features, H = 4, two layers, bidirectional (L·D = 4).
const B = 3;
const T = 5;
const I = 3;
const H = 4;
const sizes = { inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst: true };

type Result = { output: Tensor | PackedSequence; hN: Tensor; cN?: Tensor };

function same(a: Result, b: Result): void {
  const data = (o: Tensor | PackedSequence) => (o instanceof PackedSequence ? o.data : o);
  expect(data(a.output).shape).toEqual(data(b.output).shape);
  expect(Array.from(data(a.output).data)).toEqual(Array.from(data(b.output).data));
  expect(Array.from(a.hN.data)).toEqual(Array.from(b.hN.data));
  if (a.cN || b.cN) expect(Array.from((a.cN as Tensor).data)).toEqual(Array.from((b.cN as Tensor).data));
}

function differs(a: Result, b: Result): void {
  const diff = a.hN.sub(b.hN).abs().max().item();
  expect(diff).toBeGreaterThan(1e-3);
}

function inputs(): { padded: Tensor; packed: PackedSequence } {
  const padded = randn([B, T, I]);
  return {
    padded,
    packed: packPaddedSequence(padded, [4, 5, 2], { batchFirst: true, enforceSorted: false }),
  };
}

describe('LSTM: [h0, c0] (PyTorch) equals { h0, c0 } (canonical)', () => {
  test.each(['padded', 'packed'] as const)('%s input', (kind) => {
    manualSeed(3);
    const lstm = new LSTM(sizes);
    const x = inputs()[kind];
    const h0 = randn([4, B, H]);
    const c0 = randn([4, B, H]);
    const canonical = lstm.forward(x, { h0, c0 });
    same(lstm.forward(x, [h0, c0]), canonical);
    differs(canonical, lstm.forward(x)); // the state was used, not zeros
    same(lstm.forward(x, null), lstm.forward(x));
    same(lstm.forward(x, {}), lstm.forward(x));
  });

  test('continuing a sequence from [hN, cN] equals running it in one call', () => {
    manualSeed(4);
    const lstm = new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, batchFirst: true });
    const x = randn([B, 2 * T, I]);
    const whole = lstm.forward(x);
    const first = lstm.forward(x.narrow(1, 0, T));
    const second = lstm.forward(x.narrow(1, T, T), [first.hN, first.cN]);
    expectClose(second.hN, whole.hN);
    expectClose(second.cN, whole.cN);
  });
});

describe.each([
  ['GRU', () => new GRU(sizes)],
  ['RNN', () => new RNN({ ...sizes, nonlinearity: 'relu' })],
] as const)('%s: a bare h0 (PyTorch, canonical) equals { h0 }', (_name, make) => {
  test.each(['padded', 'packed'] as const)('%s input', (kind) => {
    manualSeed(5);
    const layer = make();
    const x = inputs()[kind];
    const h0 = randn([4, B, H]);
    const objectForm = layer.forward(x, { h0 });
    same(layer.forward(x, h0), objectForm);
    differs(objectForm, layer.forward(x));
    same(layer.forward(x, null), layer.forward(x));
  });

  test('unbatched input takes h0 [L·D, H]', () => {
    manualSeed(6);
    const layer = make();
    const x = randn([T, I]);
    const h0 = randn([4, H]);
    same(layer.forward(x, h0), layer.forward(x, { h0 }));
  });
});

describe('cells', () => {
  test('LSTMCell: [h, c] (PyTorch) equals { h, c } (canonical), batched and unbatched', () => {
    manualSeed(7);
    const cell = new LSTMCell(I, H);
    for (const [x, h, c] of [
      [randn([B, I]), randn([B, H]), randn([B, H])],
      [randn([I]), randn([H]), randn([H])],
    ]) {
      const canonical = cell.forward(x, { h, c });
      const tuple = cell.forward(x, [h, c]);
      expect(Array.from(tuple.h.data)).toEqual(Array.from(canonical.h.data));
      expect(Array.from(tuple.c.data)).toEqual(Array.from(canonical.c.data));
      expect(canonical.h.sub(cell.forward(x).h).abs().max().item()).toBeGreaterThan(1e-3);
      expect(Array.from(cell.forward(x, null).h.data)).toEqual(Array.from(cell.forward(x).h.data));
    }
  });

  test('an LSTMCell loop from [h, c] equals the LSTM layer from [h0, c0]', () => {
    manualSeed(8);
    const lstm = new LSTM(I, H);
    const cell = new LSTMCell(I, H);
    cell.loadStateDict(new Map([...lstm.stateDict()].map(([k, v]) => [k.replace('_l0', ''), v])));
    const x = randn([T, B, I]);
    const h0 = randn([1, B, H]);
    const c0 = randn([1, B, H]);
    let state: [Tensor, Tensor] = [h0.select(0, 0), c0.select(0, 0)];
    for (let t = 0; t < T; t++) {
      const next = cell.forward(x.select(0, t), state);
      state = [next.h, next.c];
    }
    const layer = lstm.forward(x, [h0, c0]);
    expectClose(state[0], layer.hN.select(0, 0));
    expectClose(state[1], layer.cN.select(0, 0));
  });

  test.each([
    ['RNNCell', () => new RNNCell(I, H)],
    ['GRUCell', () => new GRUCell(I, H)],
  ] as const)('%s: h as a Tensor is used; null means zeros', (_name, make) => {
    manualSeed(9);
    const cell = make();
    const x = randn([B, I]);
    const h = randn([B, H]);
    expect(cell.forward(x, h).sub(cell.forward(x)).abs().max().item()).toBeGreaterThan(1e-3);
    expect(Array.from(cell.forward(x, null).data)).toEqual(Array.from(cell.forward(x).data));
  });
});

describe('any other container is refused with the expected forms', () => {
  const x = randn([B, T, I]);
  const h0 = randn([4, B, H]);
  const c0 = randn([4, B, H]);
  const lstm = new LSTM(sizes);
  const gru = new GRU(sizes);
  const lstmForms =
    'LSTM.forward: expected an initial state { h0, c0 } or [h0, c0] (two Tensors, PyTorch’s tuple), or nothing for zeros, got';
  const gruForms =
    'GRU.forward: expected an initial state h0 (a Tensor, as PyTorch) or { h0 }, or nothing for zeros, got';
  const cx = randn([B, I]);
  const h = randn([B, H]);
  const cellForms =
    'LSTMCell.forward: expected a state { h, c } or [h, c] (two Tensors, PyTorch’s tuple), or nothing for zeros, got';
  test.each<[string, () => unknown, string]>([
    [
      'LSTM, a bare h0',
      () => lstm.forward(x, h0 as never),
      `${lstmForms} a Tensor. An LSTM needs both h0 and c0: pass [h0, c0]`,
    ],
    [
      'LSTM, [h0]',
      () => lstm.forward(x, [h0] as never),
      `${lstmForms} an Array of 1 Tensor. An LSTM needs both h0 and c0`,
    ],
    [
      'LSTM, [h0, c0, h0]',
      () => lstm.forward(x, [h0, c0, h0] as never),
      `${lstmForms} an Array of 3 Tensors`,
    ],
    [
      'LSTM, { h, c }',
      () => lstm.forward(x, { h: h0, c: c0 } as never),
      `${lstmForms} a plain object with keys h, c. { h, c } is the state of LSTMCell; the LSTM layer takes { h0, c0 }`,
    ],
    [
      'LSTM, { h0 } without c0',
      () => lstm.forward(x, { h0 }),
      `${lstmForms} an h0 without a c0. Pass both, or neither for zeros`,
    ],
    ['LSTM, { c0 } without h0', () => lstm.forward(x, { c0 }), `${lstmForms} a c0 without an h0`],
    [
      'LSTM, plain nested arrays',
      () =>
        lstm.forward(x, [
          [0, 0],
          [0, 0],
        ] as never),
      `${lstmForms} an Array of 2 Arrays. Make a Tensor with tensor(...) first`,
    ],
    [
      'LSTM, h0 as numbers',
      () => lstm.forward(x, { h0: [0, 1], c0 } as never),
      'LSTM.forward: expected h0 as a Tensor, got an Array of 2 numbers. Make a Tensor with tensor(...) first',
    ],
    [
      'LSTM, the output of a previous call',
      () => lstm.forward(x, lstm.forward(x) as never),
      `${lstmForms} a plain object with keys output, hN, cN`,
    ],
    [
      'GRU, [h0]',
      () => gru.forward(x, [h0] as never),
      `${gruForms} an Array of 1 Tensor. Pass h0 itself, not a list holding it`,
    ],
    ['GRU, a number', () => gru.forward(x, 0 as never), `${gruForms} the number 0`],
    ['GRU, { h }', () => gru.forward(x, { h: h0 } as never), `${gruForms} a plain object with keys h`],
    [
      'GRU, an Array of numbers',
      () => gru.forward(x, [0, 0, 0] as never),
      `${gruForms} an Array of 3 numbers. Make a Tensor with tensor(...) first`,
    ],
    [
      'LSTMCell, a bare h',
      () => new LSTMCell(I, H).forward(cx, h as never),
      `${cellForms} a Tensor. An LSTMCell needs both h and c: pass [h, c]`,
    ],
    [
      'LSTMCell, { h0, c0 }',
      () => new LSTMCell(I, H).forward(cx, { h0: h, c0: h } as never),
      `${cellForms} a plain object with keys h0, c0. { h0, c0 } is the LSTM layer’s initial state; the cell takes { h, c }`,
    ],
    [
      'LSTMCell, { h } without c',
      () => new LSTMCell(I, H).forward(cx, { h }),
      `${cellForms} an h without a c. Pass both, or neither for zeros`,
    ],
    [
      'LSTMCell, [h]',
      () => new LSTMCell(I, H).forward(cx, [h] as never),
      `${cellForms} an Array of 1 Tensor`,
    ],
    [
      'RNNCell, { h }',
      () => new RNNCell(I, H).forward(cx, { h } as never),
      'RNNCell.forward: expected a state h (a Tensor, as PyTorch), or nothing for zeros, got a plain object with keys h. Pass h itself, not { h }',
    ],
    [
      'GRUCell, [h]',
      () => new GRUCell(I, H).forward(cx, [h] as never),
      'GRUCell.forward: expected a state h (a Tensor, as PyTorch), or nothing for zeros, got an Array of 1 Tensor. Pass h itself, not a list holding it',
    ],
    [
      'GRUCell, numbers',
      () => new GRUCell(I, H).forward(cx, [[0, 1, 2, 3]] as never),
      'GRUCell.forward: expected a state h (a Tensor, as PyTorch), or nothing for zeros, got an Array of 1 Array. Make a Tensor with tensor(...) first',
    ],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(ConfigError);
    expect(fn).toThrow(message);
  });

  test('a c0 on a GRU keeps its ShapeError', () => {
    expect(() => gru.forward(x, { h0, c0 } as never)).toThrow(ShapeError);
    expect(() => gru.forward(x, { h0, c0 } as never)).toThrow(
      'GRU.forward: expected no c0 (only LSTM has a cell state), got a c0',
    );
  });

  test('shapes of a PyTorch-form state are checked as before', () => {
    expect(() => lstm.forward(x, [h0, randn([2, B, H])])).toThrow(
      'LSTM.forward: expected c0 of shape [4, 3, 4], got [2, 3, 4]',
    );
    expect(() => gru.forward(x, tensor([[[0]]]))).toThrow(
      'GRU.forward: expected h0 of shape [4, 3, 4], got [1, 1, 1]',
    );
  });
});

describe.each(listBackends())('[%s backend] no initial state: zeros shared by every call', (name) => {
  const initial = getBackend().name;
  afterAll(() => setBackend(initial));

  test.each([0, 2])(
    'LSTM (projSize %i): forward and backward, batches of 3, 2, 3, give the bits of explicit zeros',
    (projSize) => {
      setBackend(name);
      manualSeed(7);
      const lstm = new LSTM({ ...sizes, projSize });
      const O = projSize || H;
      const run = (b: number, seed: number, state?: { h0: Tensor; c0: Tensor }) => {
        manualSeed(seed);
        const x = randn([b, T, I], { requiresGrad: true });
        const r = lstm.forward(x, state);
        // Every output feeds the loss: the backward runs every step of every direction.
        r.output.mul(r.output).sum().add(r.hN.sum()).add(r.cN.sum()).backward();
        const bits = [r.output, r.hN, r.cN, x.grad as Tensor].map((t) => Array.from(t.data));
        for (const p of lstm.parameters()) p.grad = null;
        return bits;
      };
      // The shared zeros serve every call (a prefix of them for a smaller batch); a kernel that
      // wrote into them would change every later call's numbers.
      const got = [run(3, 1), run(2, 2), run(3, 3)];
      const want = [3, 2, 3].map((b, i) => run(b, i + 1, { h0: zeros([4, b, O]), c0: zeros([4, b, H]) }));
      for (let i = 0; i < 3; i++)
        for (let k = 0; k < 4; k++) {
          expect(got[i][k].length, `call ${i} result ${k}`).toBe(want[i][k].length);
          expect(
            got[i][k].every((v, j) => Object.is(v, want[i][k][j])),
            `call ${i} result ${k}`,
          ).toBe(true);
        }
    },
  );
});
