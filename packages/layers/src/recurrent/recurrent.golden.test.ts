/**
 * Golden tests of the recurrent layers against PyTorch 1.13, forward and backward: nn.RNN (tanh and
 * relu), nn.LSTM (projections included), nn.GRU, and nn.RNNCell, nn.LSTMCell, nn.GRUCell.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_rnn.py`, which writes
 * packages/layers/fixtures/recurrent/{rnn,lstm,gru,cells}.safetensors. Per case: PyTorch's full state
 * dict drawn by its own init (`<case>/param/<name>`), the padded input (with int32 `lengths` for packed
 * cases, packed with enforce_sorted=False), h0/c0 when given, PyTorch's outputs and final states, random
 * loss weights, and the gradients of L = Σ w·output + Σ w·hN [+ Σ w·cN] with respect to every
 * parameter, the input and the initial state (packed cases weight the packed output's data). Values
 * are drawn in float32, computed in float64 and stored as float32; the weights come from the fixture,
 * so our RNG never has to match torch's. The case list is the fixture's `cases` metadata.
 */
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '@seqlab/layers';
import {
  add,
  getBackend,
  listBackends,
  mul,
  noGrad,
  PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  setBackend,
  sum,
  type Tensor,
} from '@seqlab/tensor';
import { expectClose, type Fixture, leaf, loadFixture } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// Float32 recurrences accumulate rounding over time steps, layers and directions, and the backward pass
// runs through all of them again; the bar for the recurrent layers is 1e-4, absolute and relative.
// (PyTorch's own float32 run stays within 2e-6 of these float64 numbers, as gen_rnn.py checks.)
const TOL = { rtol: 1e-4, atol: 1e-4 };

interface Case {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell';
  options: {
    inputSize: number;
    hiddenSize: number;
    bias: boolean;
    numLayers?: number;
    batchFirst?: boolean;
    bidirectional?: boolean;
    nonlinearity?: 'tanh' | 'relu';
    projSize?: number;
  };
  packed: boolean;
  hasH0: boolean;
  hasC0: boolean;
  unbatched: boolean;
}

/** What one case compares: expected tensors by role (`output`, `grad/param/weight_ih_l0`, ...). */
type Expected = (role: string) => Tensor;

interface Module {
  loadStateDict(dict: Map<string, Tensor>, options: { strict: boolean }): unknown;
  namedParameters(): Iterable<[string, Tensor]>;
}

/**
 * Runs one case: forward, compare, the fixture's linear loss, backward, compare every gradient. With
 * `inference`, only the forward, under `noGrad` (where a backend may run its forward-only kernel).
 */
function runCase(fixture: Fixture, c: Case, expected: Expected, inference = false): void {
  if (inference) {
    noGrad(() => runForward(fixture, c, expected));
    return;
  }
  const { name } = c;
  const check = (actual: Tensor, role: string) =>
    expectClose(actual, expected(role), TOL, `${name}: ${role}`);
  const { module, outs, input, h0, c0 } = runForward(fixture, c, expected);

  // Backward: the generator's loss L = Σ_role Σ w_role · role.
  let loss: Tensor | null = null;
  for (const [role, out] of outs) {
    const term = sum(mul(out, fixture.get(`${name}/w_${role}`)));
    loss = loss ? add(loss, term) : term;
  }
  expect(outs.size, `${name}: the fixture weights every output`).toBe(
    [...fixture.tensors.keys()].filter((k) => k.startsWith(`${name}/w_`)).length,
  );
  loss!.backward();

  const params = new Map(module.namedParameters());
  expect([...params.keys()].sort(), `${name}: parameter names`).toEqual(
    [...fixture.group(`${name}/param`).keys()].sort(),
  );
  for (const [pname, p] of params) {
    // PyTorch gives every parameter that took part a gradient tensor, zeros included (weight_hh of a cell
    // run from h = 0); a null grad would change what optimizers do (weight decay, momentum).
    expect(p.grad, `${name}: ${pname}.grad`).not.toBeNull();
    check(p.grad!, `grad/param/${pname}`);
  }
  expect(input.grad, `${name}: input.grad`).not.toBeNull();
  check(input.grad!, 'grad/input');
  for (const [role, t] of [
    ['h0', h0],
    ['c0', c0],
  ] as const) {
    if (!t) continue;
    expect(t.grad, `${name}: ${role}.grad`).not.toBeNull();
    check(t.grad!, `grad/${role}`);
  }
}

/** Builds the case's module from the fixture, runs its forward and compares the outputs and final states. */
function runForward(fixture: Fixture, c: Case, expected: Expected) {
  const { name, options } = c;
  const check = (actual: Tensor, role: string) =>
    expectClose(actual, expected(role), TOL, `${name}: ${role}`);
  const input = leaf(fixture.get(`${name}/input`));
  const h0 = c.hasH0 ? leaf(fixture.get(`${name}/h0`)) : null;
  const c0 = c.hasC0 ? leaf(fixture.get(`${name}/c0`)) : null;

  // Every output the loss weights, by role: output (or output_data when packed), h_n, c_n.
  const outs = new Map<string, Tensor>();
  let module: Module;
  if (c.module === 'RNNCell' || c.module === 'GRUCell') {
    const cell = c.module === 'RNNCell' ? new RNNCell(options) : new GRUCell(options);
    module = cell;
    cell.loadStateDict(fixture.group(`${name}/param`), { strict: true });
    outs.set('output', h0 ? cell.forward(input, h0) : cell.forward(input));
  } else if (c.module === 'LSTMCell') {
    const cell = new LSTMCell(options);
    module = cell;
    cell.loadStateDict(fixture.group(`${name}/param`), { strict: true });
    const state = h0 && c0 ? cell.forward(input, { h: h0, c: c0 }) : cell.forward(input);
    outs.set('h_n', state.h);
    outs.set('c_n', state.c);
  } else {
    const batchFirst = options.batchFirst ?? false;
    const x = c.packed
      ? packPaddedSequence(input, fixture.get(`${name}/lengths`), { batchFirst, enforceSorted: false })
      : input;
    const state: { h0?: Tensor; c0?: Tensor } = {};
    if (h0) state.h0 = h0;
    if (c0) state.c0 = c0;
    let output: Tensor | PackedSequence;
    if (c.module === 'LSTM') {
      const lstm = new LSTM(options);
      module = lstm;
      lstm.loadStateDict(fixture.group(`${name}/param`), { strict: true });
      const result = c.hasH0 ? lstm.forward(x, state) : lstm.forward(x);
      output = result.output;
      outs.set('h_n', result.hN);
      outs.set('c_n', result.cN);
    } else {
      const rnn = c.module === 'RNN' ? new RNN(options) : new GRU(options);
      module = rnn;
      rnn.loadStateDict(fixture.group(`${name}/param`), { strict: true });
      const result = c.hasH0 ? rnn.forward(x, state) : rnn.forward(x);
      output = result.output;
      outs.set('h_n', result.hN);
    }
    if (c.packed) {
      expect(output, `${name}: packed input gives a PackedSequence`).toBeInstanceOf(PackedSequence);
      const packed = output as PackedSequence;
      outs.set('output_data', packed.data);
      check(padPackedSequence(packed, { batchFirst })[0], 'output'); // the padded view, in the caller's order
    } else {
      expect(output, `${name}: padded input gives a Tensor`).not.toBeInstanceOf(PackedSequence);
      outs.set('output', output as Tensor);
    }
  }

  // Forward: outputs and final states.
  for (const [role, out] of outs) check(out, role);
  return { module: module!, outs, input, h0, c0 };
}

const files = [
  ['nn.RNN (tanh and relu)', 'rnn'],
  ['nn.LSTM', 'lstm'],
  ['nn.GRU', 'gru'],
  ['nn.RNNCell, nn.LSTMCell, nn.GRUCell', 'cells'],
] as const;
const fixtures = new Map(
  files.map(([, file]) => [
    file,
    loadFixture(new URL(`../../fixtures/recurrent/${file}.safetensors`, import.meta.url)),
  ]),
);

// On every backend: js (float64 accumulation) and wasm (SIMD, float32 accumulation) share the
// gate math but not the GEMMs.
for (const name of listBackends()) {
  for (const [title, file] of files) {
    const fixture = fixtures.get(file)!;
    const cases = fixture.json<Case[]>('cases');
    describe(`[${name}] ${title} matches PyTorch 1.13 (fixtures/recurrent/${file}.safetensors)`, () => {
      const initial = getBackend().name;
      beforeAll(() => setBackend(name));
      afterAll(() => setBackend(initial));
      test.each(cases.map((c) => [c.name, c] as const))('%s', (caseName, c) => {
        runCase(fixture, c, (role) => fixture.get(`${caseName}/${role}`));
      });
      // Inference (noGrad): the native backend runs its forward-only kernel here, saving nothing.
      test.each(cases.map((c) => [c.name, c] as const))('%s, forward under noGrad', (caseName, c) => {
        runCase(fixture, c, (role) => fixture.get(`${caseName}/${role}`), true);
      });
    });
  }
}

describe('the golden comparison can fail', () => {
  test('a gradient perturbed by 1e-3 in one element is caught and named', () => {
    const fixture = fixtures.get('lstm')!;
    const c = fixture.json<Case[]>('cases').find((k) => k.name === 'lstm_2layer_bi_packed_batch_first')!;
    const role = 'grad/param/weight_hh_l1_reverse';
    const perturbed = fixture.get(`${c.name}/${role}`).clone();
    perturbed.data[7] += 1e-3;
    expect(() =>
      runCase(fixture, c, (r) => (r === role ? perturbed : fixture.get(`${c.name}/${r}`))),
    ).toThrow(`${c.name}: ${role}: expected values within atol=0.0001, rtol=0.0001`);
  });
});
