/**
 * Golden tests of SGD, Adam, AdamW, RMSprop and Adagrad against PyTorch 1.13.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_optim.py` (seeded), which writes
 * `packages/optim/fixtures/optim/optimizers.safetensors`: the float32 parameters of
 * nn.LSTM(3, 4) + nn.Linear(4, 2) (`params`, flattened and concatenated in `parameters()` order),
 * 20 seeded N(0, 1) gradients per parameter (`grads` [20, 154]), and for every case the parameters
 * after every step (`steps/<case>` [20, 154]) of torch's single-tensor optimizer (foreach=False).
 * For two cases the final `state_dict()` is stored too (`state/<case>/<key>` plus metadata).
 *
 * Every case is one test: the same gradients go through our optimizer and the parameters must match
 * torch's after every one of the 20 steps (expectClose's defaults: rtol 1e-5, atol 1e-6).
 */
import { readFileSync } from 'node:fs';
import { getBackend, listBackends, setBackend, type Tensor, tensor } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Adagrad, Adam, AdamW, type Optimizer, optimizerStateToJson, RMSprop, SGD } from './index';

// --- fixture reading --------------------------------------------------------------------------
// safetensors by the spec: an 8-byte little-endian header length N, N bytes of JSON header, then
// the tensor bytes. This fixture holds only F32 tensors.

interface Header {
  [name: string]: { dtype: string; shape: number[]; data_offsets: [number, number] };
}
interface Case {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
}
interface FinalState {
  keys: string[];
  scalars: Record<string, Record<string, number>>;
  param_groups: Record<string, unknown>[];
}

function readFixture() {
  const bytes = readFileSync(new URL('../fixtures/optim/optimizers.safetensors', import.meta.url));
  const n = Number(bytes.readBigUInt64LE(0));
  const { __metadata__: meta, ...header } = JSON.parse(bytes.toString('utf8', 8, 8 + n)) as Header & {
    __metadata__: Record<string, string>;
  };
  const get = (name: string): Float32Array => {
    const entry = (header as Header)[name];
    if (entry?.dtype !== 'F32') throw new Error(`optimizers.safetensors: no F32 tensor ${name}`);
    const [begin, end] = entry.data_offsets;
    const copy = new Uint8Array(bytes.subarray(8 + n + begin, 8 + n + end)); // aligned copy
    return new Float32Array(copy.buffer);
  };
  return {
    get,
    params: JSON.parse(meta.params) as { name: string; shape: number[] }[],
    cases: JSON.parse(meta.cases) as Case[],
    finalState: JSON.parse(meta.final_state) as Record<string, FinalState>,
    steps: Number(meta.steps),
    torch: meta.torch,
  };
}

const fixture = readFixture();
const sizes = fixture.params.map((p) => p.shape.reduce((a, b) => a * b, 1));
const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
const total = sizes.reduce((a, b) => a + b, 0);
const grads = fixture.get('grads');

/** Fresh parameters with the fixture's initial values. */
function makeParams(): Tensor[] {
  const flat = fixture.get('params');
  return fixture.params.map((p, i) =>
    tensor(flat.slice(offsets[i], offsets[i] + sizes[i]), { shape: p.shape, requiresGrad: true }),
  );
}

/** Sets every parameter's gradient to the fixture's gradient of `step` (a fresh copy). */
function setGrads(params: readonly Tensor[], step: number): void {
  params.forEach((p, i) => {
    const at = step * total + offsets[i];
    p.grad = tensor(grads.slice(at, at + sizes[i]), { shape: p.shape });
  });
}

function flatParams(params: readonly Tensor[]): Float32Array {
  const out = new Float32Array(total);
  params.forEach((p, i) => {
    out.set(p.data, offsets[i]);
  });
  return out;
}

type AnyOptimizerClass = new (params: unknown, options: Record<string, unknown>) => Optimizer;
const CLASSES: Record<Case['optimizer'], AnyOptimizerClass> = {
  SGD: SGD as unknown as AnyOptimizerClass,
  Adam: Adam as unknown as AnyOptimizerClass,
  AdamW: AdamW as unknown as AnyOptimizerClass,
  RMSprop: RMSprop as unknown as AnyOptimizerClass,
  Adagrad: Adagrad as unknown as AnyOptimizerClass,
};

function build(c: Case, params: Tensor[]): Optimizer {
  const groups = c.groups?.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options }));
  return new CLASSES[c.optimizer](groups ?? params, c.options);
}

describe.each(listBackends())(
  `[%s backend] optimizers match PyTorch ${fixture.torch} after every step`,
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test('the fixture covers every optimizer and two parameter groups', () => {
      expect(new Set(fixture.cases.map((c) => c.optimizer))).toEqual(new Set(Object.keys(CLASSES)));
      expect(fixture.cases.some((c) => (c.groups?.length ?? 1) > 1)).toBe(true);
      expect(fixture.steps).toBe(20);
    });

    test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
      const params = makeParams();
      const opt = build(c, params);
      const expected = fixture.get(`steps/${name}`);
      for (let step = 0; step < fixture.steps; step++) {
        setGrads(params, step);
        opt.step();
        const row = expected.subarray(step * total, (step + 1) * total);
        expectClose(flatParams(params), row, {}, `${name} after step ${step + 1}`);
      }
    });
  },
);

describe.each(listBackends())(
  '[%s backend] stateDict() matches PyTorch state_dict() after 20 steps',
  (backendName) => {
    const initial = getBackend().name;
    beforeAll(() => setBackend(backendName));
    afterAll(() => setBackend(initial));
    test.each(Object.keys(fixture.finalState))('%s', (name) => {
      const c = fixture.cases.find((k) => k.name === name) as Case;
      const saved = fixture.finalState[name];
      const params = makeParams();
      const opt = build(c, params);
      for (let step = 0; step < fixture.steps; step++) {
        setGrads(params, step);
        opt.step();
      }
      const sd = JSON.parse(JSON.stringify(optimizerStateToJson(opt.stateDict())));
      expect(sd.param_groups).toEqual(saved.param_groups);
      expect(Object.keys(sd.state)).toEqual(fixture.params.map((_, i) => String(i)));
      for (const key of saved.keys) {
        const ours = fixture.params.flatMap((_, i) => (sd.state[i][key] as number[][]).flat(2));
        expectClose(ours, fixture.get(`state/${name}/${key}`), {}, `${name} state ${key}`);
      }
      for (const [i, scalars] of Object.entries(saved.scalars)) {
        for (const [key, value] of Object.entries(scalars)) expect(sd.state[i][key]).toBe(value);
        expect(Object.keys(sd.state[i]).sort()).toEqual([...saved.keys, ...Object.keys(scalars)].sort());
      }
    });
  },
);
