// The gradient of a transpose or permute that reaches every element once is g read back through
// the inverse order: on every backend, the bits of 0 + g (−0 turned to +0, NaN kept), for the
// batch-first transposes the recurrent layers make and for permutes that move the last dim.
import { Generator, getBackend, listBackends, randn, setBackend, type Tensor } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stridesOf } from '../shape';

const leaf = (gen: Generator, shape: number[]) => {
  const t = randn(shape, { generator: gen }).detach();
  t.requiresGrad = true;
  return t;
};

/** A gradient for a view of `shape`: random, with −0, +0 and NaN sprinkled in. */
function seedOf(gen: Generator, shape: number[]): Tensor {
  const g = randn(shape, { generator: gen });
  const d = g.data as Float32Array;
  for (let i = 0; i < d.length; i += 7) d[i] = -0;
  for (let i = 3; i < d.length; i += 11) d[i] = 0;
  if (d.length > 5) d[5] = Number.NaN;
  return g;
}

/** dx of x.permute(dims) for gradient g: 0 + g at every element, computed here element by element. */
function expected(xShape: number[], dims: number[], g: Tensor): Float32Array {
  const xs = stridesOf(xShape);
  const vShape = dims.map((d) => xShape[d]);
  const vStrides = dims.map((d) => xs[d]);
  const out = new Float32Array(g.numel);
  const idx = new Array(vShape.length).fill(0);
  for (let i = 0; i < g.numel; i++) {
    let at = 0;
    for (let k = 0; k < idx.length; k++) at += idx[k] * vStrides[k];
    out[at] = 0 + (g.data[i] as number);
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < vShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

const CASES: [string, number[], number[]][] = [
  ['batch-first transpose [B, T, H] -> [T, B, H]', [16, 20, 32], [1, 0, 2]],
  ['[B, T, E] with a size-1 dim', [3, 1, 40, 16], [2, 1, 0, 3]],
  ['a 4-d permute keeping the last dim', [5, 6, 7, 9], [2, 0, 1, 3]],
  ['a transpose of the last two dims (zero-fill path)', [4, 33, 17], [0, 2, 1]],
  ['a permute moving the last dim (zero-fill path)', [6, 10, 12], [2, 0, 1]],
];

describe.each(listBackends())('[%s backend] permute backward', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each(CASES)('%s: the bits of 0 + g', (_, shape, dims) => {
    const gen = new Generator(9);
    const x = leaf(gen, shape);
    const y = x.permute(dims);
    const g = seedOf(gen, y.shape as number[]);
    y.backward(g);
    const dx = x.grad?.data as Float32Array;
    expect(bits(dx)).toEqual(bits(expected(shape, dims, g)));
    expect(dx.some((v) => Object.is(v, -0))).toBe(false);
  });
});
