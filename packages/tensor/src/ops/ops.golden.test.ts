/**
 * Golden tests of the tensor ops against PyTorch 1.13: forward values and gradients.
 *
 * The numbers come from `/usr/bin/python3 tools/fixtures/gen_ops.py` (seeded), which writes
 * `packages/tensor/fixtures/ops/<group>.safetensors`. Inputs were drawn as float32, the op and the
 * gradients of the loss `sum_k (out_k * w_k).sum()` were computed in float64 and stored as float32.
 * Each case's `__metadata__.cases` entry gives the op, its input roles in call order, its arguments
 * (seqlab's names; `null` = not given) and which inputs have a stored gradient `grad<k>`.
 * Masks and conditions are stored as uint8 0/1 and become `bool` tensors here; indices are int32.
 *
 * Every case is one test, run once per registered backend: build the inputs, run the op, compare
 * shape and values, then backpropagate the same linear loss and compare every input's `.grad`.
 */
import { readFileSync } from 'node:fs';
import {
  abs,
  add,
  argmax,
  cat,
  chunk,
  clamp,
  div,
  exp,
  expand,
  flip,
  gather,
  getBackend,
  indexSelect,
  listBackends,
  log,
  logSoftmax,
  logsumexp,
  maskedFill,
  matmul,
  max,
  mean,
  min,
  mul,
  narrow,
  neg,
  permute,
  pow,
  relu,
  reshape,
  scatterAdd,
  select,
  setBackend,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  squeeze,
  stack,
  sub,
  sum,
  type Tensor,
  type TensorLike,
  tanh,
  tensor,
  transpose,
  unsqueeze,
  where,
} from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { expectClose } from '@seqlab/tensor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSafetensors, type RawTensor } from '../io/safetensors';

// --- fixture reading --------------------------------------------------------------------------
// The package's own reader; the fixtures hold only F32, I32 and U8 tensors.

type Case = {
  name: string;
  op: string;
  inputs: string[];
  args: Record<string, unknown>;
  grads: number[];
  outputs: string[];
};

function loadGroup(group: string): {
  cases: Case[];
  tensors: Map<string, RawTensor>;
  get: (name: string) => RawTensor;
} {
  const path = new URL(`../../fixtures/ops/${group}.safetensors`, import.meta.url);
  const { tensors, metadata } = parseSafetensors(readFileSync(path));
  const get = (name: string): RawTensor => {
    const t = tensors.get(name);
    if (!t) throw new Error(`fixture ${group}: missing tensor ${name}`);
    return t;
  };
  return { cases: JSON.parse(metadata.cases ?? '[]') as Case[], tensors, get };
}

// --- comparison: expectClose (rtol 1e-5, atol 1e-6 by default) from @seqlab/tensor/testing -----

/** Flat list of numbers from `toArray()` (nested arrays, or a number for a 0-d tensor). */
function flatten(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [Number(value)];
}

/** Nested arrays of `shape` from flat data (a number for shape []). */
function nest(data: ArrayLike<number>, shape: readonly number[], offset = 0): unknown {
  if (shape.length === 0) return data[offset];
  const [n, ...rest] = shape as [number, ...number[]];
  const stride = rest.reduce((p, s) => p * s, 1);
  return Array.from({ length: n }, (_, i) => nest(data, rest, offset + i * stride));
}

// --- the ops under test -----------------------------------------------------------------------

type Args = Record<string, unknown>;
type Op = (inputs: Tensor[], args: Args) => Tensor | Tensor[];

const num = (a: Args, key: string): number => a[key] as number;
/** An optional argument: `null` in the fixture means "not given". */
const opt = <T>(a: Args, key: string): T | undefined => (a[key] ?? undefined) as T | undefined;
/** Second operand of a binary op: a tensor input, or the number `args.b`. */
const other = (i: Tensor[], a: Args): Tensor | number => (i.length > 1 ? (i[1] as Tensor) : num(a, 'b'));
const dimArgs = (a: Args): [number | number[] | undefined, boolean | undefined] => [
  opt<number | number[]>(a, 'dim'),
  opt<boolean>(a, 'keepDim'),
];

// One row per op, mirroring OPS in tools/fixtures/gen_ops.py.
const OPS: Record<string, Op> = {
  // elementwise
  add: (i, a) => add(i[0] as Tensor, other(i, a)),
  sub: (i, a) => sub(i[0] as Tensor, other(i, a)),
  mul: (i, a) => mul(i[0] as Tensor, other(i, a)),
  div: (i, a) => div(i[0] as Tensor, other(i, a)),
  pow: (i, a) => pow(i[0] as Tensor, other(i, a)),
  neg: (i) => neg(i[0] as Tensor),
  exp: (i) => exp(i[0] as Tensor),
  log: (i) => log(i[0] as Tensor),
  sqrt: (i) => sqrt(i[0] as Tensor),
  abs: (i) => abs(i[0] as Tensor),
  tanh: (i) => tanh(i[0] as Tensor),
  sigmoid: (i) => sigmoid(i[0] as Tensor),
  relu: (i) => relu(i[0] as Tensor),
  clamp: (i, a) => clamp(i[0] as Tensor, a.min as number | null, a.max as number | null),
  // matmul
  matmul: (i) => matmul(i[0] as Tensor, i[1] as Tensor),
  // reductions (no dim: reduce everything to a 0-d tensor)
  sum: (i, a) => (a.dim == null ? sum(i[0] as Tensor) : sum(i[0] as Tensor, ...dimArgs(a))),
  mean: (i, a) => (a.dim == null ? mean(i[0] as Tensor) : mean(i[0] as Tensor, ...dimArgs(a))),
  max: (i, a) =>
    a.dim == null ? max(i[0] as Tensor) : max(i[0] as Tensor, num(a, 'dim'), opt<boolean>(a, 'keepDim')),
  min: (i, a) =>
    a.dim == null ? min(i[0] as Tensor) : min(i[0] as Tensor, num(a, 'dim'), opt<boolean>(a, 'keepDim')),
  argmax: (i, a) =>
    a.dim == null
      ? argmax(i[0] as Tensor)
      : argmax(i[0] as Tensor, num(a, 'dim'), opt<boolean>(a, 'keepDim')),
  logsumexp: (i, a) => logsumexp(i[0] as Tensor, num(a, 'dim'), opt<boolean>(a, 'keepDim')),
  // movement
  reshape: (i, a) => reshape(i[0] as Tensor, a.shape as number[]),
  transpose: (i, a) => transpose(i[0] as Tensor, num(a, 'd0'), num(a, 'd1')),
  permute: (i, a) => permute(i[0] as Tensor, a.dims as number[]),
  squeeze: (i, a) => (a.dim == null ? squeeze(i[0] as Tensor) : squeeze(i[0] as Tensor, num(a, 'dim'))),
  unsqueeze: (i, a) => unsqueeze(i[0] as Tensor, num(a, 'dim')),
  expand: (i, a) => expand(i[0] as Tensor, a.shape as number[]),
  cat: (i, a) => cat(i, num(a, 'dim')),
  stack: (i, a) => stack(i, num(a, 'dim')),
  split: (i, a) => split(i[0] as Tensor, a.splitSizeOrSections as number | number[], num(a, 'dim')),
  chunk: (i, a) => chunk(i[0] as Tensor, num(a, 'chunks'), num(a, 'dim')),
  narrow: (i, a) => narrow(i[0] as Tensor, num(a, 'dim'), num(a, 'start'), num(a, 'length')),
  slice: (i, a) =>
    slice(
      i[0] as Tensor,
      num(a, 'dim'),
      opt<number>(a, 'start'),
      opt<number>(a, 'end'),
      opt<number>(a, 'step'),
    ),
  select: (i, a) => select(i[0] as Tensor, num(a, 'dim'), num(a, 'index')),
  flip: (i, a) => flip(i[0] as Tensor, a.dims as number[]),
  // indexing
  indexSelect: (i, a) => indexSelect(i[0] as Tensor, num(a, 'dim'), i[1] as Tensor),
  gather: (i, a) => gather(i[0] as Tensor, num(a, 'dim'), i[1] as Tensor),
  scatterAdd: (i, a) => scatterAdd(i[0] as Tensor, num(a, 'dim'), i[1] as Tensor, i[2] as Tensor),
  where: (i) => where(i[0] as Tensor, i[1] as Tensor, i[2] as Tensor),
  maskedFill: (i, a) => maskedFill(i[0] as Tensor, i[1] as Tensor, num(a, 'value')),
  // nn
  softmax: (i, a) => softmax(i[0] as Tensor, num(a, 'dim')),
  logSoftmax: (i, a) => logSoftmax(i[0] as Tensor, num(a, 'dim')),
};

// --- the tests --------------------------------------------------------------------------------

const GROUPS = ['elementwise', 'reduce', 'movement', 'indexing', 'nn', 'matmul'] as const;

/** A fixture tensor as a seqlab tensor: F32 -> float32, I32 -> int32, U8 (0/1) -> bool. */
function toTensor(stored: RawTensor, requiresGrad: boolean): Tensor {
  if (stored.dtype === 'F32')
    return tensor(stored.data as Float32Array, { shape: stored.shape, requiresGrad });
  if (stored.dtype === 'I32')
    return tensor(stored.data as Int32Array, { shape: stored.shape, dtype: 'int32' });
  return tensor(nest(stored.data, stored.shape) as TensorLike, { dtype: 'bool' });
}

const groups = new Map(GROUPS.map((group) => [group, loadGroup(group)]));

// Once per registered backend (js, wasm, and any backend registered later): the backend is
// selected for the describe's tests and the previous one restored after them.
describe.each(listBackends())('[%s backend]', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test(`runs on the ${name} backend`, () => {
    expect(backend().name).toBe(name);
  });

  describe.each(GROUPS)('%s (PyTorch golden)', (group) => {
    const { cases, tensors, get } = groups.get(group) as ReturnType<typeof loadGroup>;

    test('fixture parses, lists cases, and every op has a table entry', () => {
      expect(cases.length).toBeGreaterThan(0);
      expect(cases.map((c) => c.op).filter((op) => !(op in OPS))).toEqual([]);
      // Every stored value is a plausible fixture number (a misread buffer gives 1e21s and NaNs).
      const implausible = [...tensors].filter(
        ([, t]) =>
          t.data.length !== t.shape.reduce((p, d) => p * d, 1) || t.data.some((v) => !(Math.abs(v) < 1e5)),
      );
      expect(implausible.map(([name]) => name)).toEqual([]);
    });

    const named = cases.map((c) => [`${c.name} (${c.op})`, c] as const);
    test.each(named)('%s', (_, c) => {
      const inputs = c.inputs.map((role, k) => toTensor(get(`${c.name}/${role}`), c.grads.includes(k)));
      const op = OPS[c.op];
      if (!op) throw new Error(`no table entry for op ${c.op}`);
      const result = op(inputs, c.args);
      const outs = Array.isArray(result) ? result : [result];

      // Forward: count, shape exactly, values.
      expect(outs.length, 'number of outputs').toBe(c.outputs.length);
      c.outputs.forEach((role, j) => {
        const out = outs[j] as Tensor;
        const expected = get(`${c.name}/${role}`);
        expect([...out.shape], `${role} shape`).toEqual(expected.shape);
        if (expected.dtype === 'I32') {
          expect(out.dtype, `${role} dtype`).toBe('int32');
          expect(flatten(out.toArray()), `${role} values`).toEqual(Array.from(expected.data));
        } else {
          expectClose(out.toFloat32Array(), expected.data, {}, `${c.name}/${role}`);
        }
      });
      if (c.grads.length === 0) return;

      // Backward of the same linear loss sum_j (out_j * w_j).sum() as the generator.
      let loss: Tensor | null = null;
      c.outputs.forEach((role, j) => {
        const w = toTensor(get(`${c.name}/${role.replace('out', 'w')}`), false);
        const term = sum(mul(outs[j] as Tensor, w));
        loss = loss === null ? term : add(loss, term);
      });
      (loss as Tensor | null)?.backward();
      for (const k of c.grads) {
        const grad = inputs[k]?.grad;
        const expected = get(`${c.name}/grad${k}`);
        expect(grad, `grad of input ${k} (${c.inputs[k]})`).toBeTruthy();
        expect([...(grad as Tensor).shape], `grad${k} shape`).toEqual(expected.shape);
        expectClose((grad as Tensor).toFloat32Array(), expected.data, {}, `${c.name}/grad${k}`);
      }
    });
  });
});
