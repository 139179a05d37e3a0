// The row fast paths of the array kernels (NOTE(unrolled-rows): binary's add and mul rows four at
// a time, stridedAccumulate's rows four at a time, stridedCopy's and indexSelect's long rows by
// `set`) against element-by-element loops written here, bit for bit on every backend: rows whose
// length is not a multiple of four, −0 (0 + −0 is +0, a copy keeps −0), NaN and ±Infinity, the
// geometries beside each fast path (negative and other strides, broadcast operands, other ops and
// dtypes, a source in the output's buffer), which must still take the general loops' results.
import { getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { backend, type StridedView } from '@seqlab/tensor/backend';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Storage } from '../../dtype';

/** Deterministic values with −0, +0, NaN, ±Infinity and a tiny subnormal sprinkled in. */
function values<S extends Storage>(make: new (n: number) => S, n: number, seed: number): S {
  const out = new make(n);
  const special = [-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45];
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = i % 7 === 3 ? special[(s >>> 8) % special.length] : ((s / 2 ** 32) * 8 - 4) * (i % 5 ? 1 : 1e3);
  }
  return out;
}

/** Bit for bit: Object.is per element (−0 is not +0, NaN is NaN), naming the first difference. */
function expectBits(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${label}: expected ${want[i]} at ${i}, got ${got[i]}`);
  }
}

/** Every multi-index of `shape` in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const total = shape.reduce((p, s) => p * s, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < total; n++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
}
const at = (v: StridedView, idx: readonly number[]) =>
  idx.reduce((o, i, d) => o + i * v.strides[d], v.offset);
const view = (data: Storage, strides: number[], offset = 0): StridedView => ({ data, offset, strides });
const like = (s: Storage, n: number): Storage => new (s.constructor as new (n: number) => Storage)(n);

const OPS = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
} as const;

/** binary cases: [label, op, a, b, shape], out of a's dtype. */
function binaryCases(): [string, keyof typeof OPS, StridedView, StridedView, number[]][] {
  const f = values(Float32Array, 420, 1);
  const g = values(Float32Array, 420, 2);
  const zero = new Float32Array([0]);
  const minusZero = new Float32Array([-0]);
  return [
    ['add, contiguous, rows of 130', 'add', view(f, [130, 1], 3), view(g, [130, 1], 5), [3, 130]],
    ['mul, contiguous, 397 elements', 'mul', view(f, [1], 2), view(g, [1], 1), [397]],
    ['add 0 + g (broadcast +0: −0 becomes +0)', 'add', view(zero, [0, 0]), view(g, [131, 1], 7), [3, 131]],
    ['add 0 + g, g transposed (not a fast path)', 'add', view(zero, [0, 0]), view(g, [1, 130], 7), [130, 3]],
    ['add −0 + g (broadcast −0)', 'add', view(minusZero, [0, 0]), view(g, [130, 1]), [3, 131]],
    ['add, b broadcast (stride 0)', 'add', view(f, [130, 1]), view(g, [0, 1]), [3, 129]],
    ['mul, a broadcast (not a fast path)', 'mul', view(f, [0, 1]), view(g, [130, 1]), [3, 127]],
    ['add, a reversed (stride −1)', 'add', view(f, [-1], 396), view(g, [1]), [397]],
    ['mul, b reversed (stride −1)', 'mul', view(f, [1]), view(g, [-1], 396), [397]],
    ['sub, contiguous (not a fast path)', 'sub', view(f, [1]), view(g, [1]), [397]],
    ['add, stride 2', 'add', view(f, [2]), view(g, [2]), [199]],
    [
      'add, float64',
      'add',
      view(values(Float64Array, 397, 3), [1]),
      view(values(Float64Array, 397, 4), [1]),
      [397],
    ],
    [
      'mul, int32',
      'mul',
      view(
        Int32Array.from(f, (x) => x * 1e6),
        [1],
      ),
      view(
        Int32Array.from(g, (x) => x * 1e4),
        [1],
      ),
      [397],
    ],
    [
      'add, uint8',
      'add',
      view(
        Uint8Array.from(f, (x) => x * 40),
        [1],
      ),
      view(
        Uint8Array.from(g, (x) => x * 40),
        [1],
      ),
      [397],
    ],
  ];
}

describe.each(listBackends())('backend %s: the array kernels’ row fast paths, bit for bit', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test.each(binaryCases())('binary %s', (label, op, a, b, shape) => {
    const n = shape.reduce((p, s) => p * s, 1);
    const out = like(a.data, n);
    backend().binary(op, a, b, shape, out);
    const want = like(a.data, n);
    let o = 0;
    for (const idx of indices(shape)) want[o++] = OPS[op](a.data[at(a, idx)], b.data[at(b, idx)]);
    expectBits(out, want, label);
  });

  test.each<[string, number[], number[], number]>([
    ['rows of 131 into every other row', [3, 131], [262, 1], 5],
    ['the bidirectional layout’s rows (half of each row)', [1, 6, 67], [804, 134, 1], 67],
    ['batch-first swap of [T, B, F]', [5, 3, 66], [198, 990, 1], 0],
    ['stride 3 rows', [2, 70], [210, 3], 1],
    ['reversed rows (stride −2)', [2, 70], [140, -2], 139],
    ['repeated positions (stride 0 rows)', [4, 69], [1, 0], 0],
    ['repeated rows (outer stride 0)', [3, 70], [0, 1], 2],
  ])('stridedAccumulate, %s', (label, shape, strides, offset) => {
    for (const make of [Float32Array, Float64Array] as (new (
      n: number,
    ) => Storage)[]) {
      const n = shape.reduce((p, s) => p * s, 1);
      const src = values(make, n, 5);
      const dst = values(make, 4200, 6);
      // Zeros where the layout accumulates into zeros: 0 + −0 must come out +0.
      dst.fill(0, 0, 2000);
      const want = dst.slice();
      const v = view(dst, strides, offset);
      let o = 0;
      for (const idx of indices(shape)) {
        const p = at(v, idx);
        want[p] = want[p] + src[o++];
      }
      backend().stridedAccumulate(src, shape, v);
      expectBits(dst, want, `${label} (${make.name})`);
    }
  });

  test('stridedCopy: long rows by set, short ones, strided, reversed, converting, one buffer', () => {
    const f = values(Float32Array, 2000, 7);
    const cases: [string, StridedView, number[], Storage][] = [
      ['rows of 67 from a larger array', view(f, [134, 1], 67), [6, 67], new Float32Array(402)],
      ['rows of 63 (the loop)', view(f, [134, 1], 3), [6, 63], new Float32Array(378)],
      ['reversed rows', view(f, [-1], 500), [400], new Float32Array(400)],
      ['stride 2 rows', view(f, [2], 1), [300], new Float32Array(300)],
      [
        'float64 into float32 (rounding)',
        view(values(Float64Array, 700, 8), [1], 3),
        [650],
        new Float32Array(650),
      ],
      ['float32 into int32 (truncation, NaN to 0)', view(f, [1]), [650], new Int32Array(650)],
    ];
    // out and src in one buffer, apart (the element loop; an overlapping copy is left undefined).
    const shared = values(Float32Array, 1300, 9);
    cases.push(['into the same buffer', view(shared, [1]), [600], shared.subarray(650, 1250)]);
    for (const [label, src, shape, out] of cases) {
      const want = like(out, out.length);
      let o = 0;
      for (const idx of indices(shape)) want[o++] = src.data[at(src, idx)];
      backend().stridedCopy(src, shape, out);
      expectBits(out, want, `stridedCopy ${label}`);
    }
  });

  test('indexSelect: long rows by set, short ones, repeated indices, another dtype', () => {
    const index = Int32Array.from([4, 0, 4, 2, 1, 3, 3]);
    const cases: [number, new (n: number) => Storage][] = [
      [67, Float32Array],
      [130, Float64Array],
      [9, Float32Array],
      [64, Int32Array],
    ];
    for (const [inner, make] of cases) {
      const x = values(make, 2 * 5 * inner, 10);
      const out = new make(2 * index.length * inner);
      backend().indexSelect(x, 2, 5, inner, index, out);
      const want = new make(out.length);
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < index.length; i++)
          for (let j = 0; j < inner; j++)
            want[(o * index.length + i) * inner + j] = x[(o * 5 + index[i]) * inner + j];
      expectBits(out, want, `indexSelect inner ${inner} ${make.name}`);
    }
  });

  test('indexAdd: rows four at a time and a tail, repeated indices in order, −0, float64, src in dst', () => {
    const index = Int32Array.from([4, 0, 4, 2, 1, 3, 3, 4]);
    const m = index.length;
    const add = (dst: Storage, inner: number, src: Storage, so = 0) => {
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < inner; j++)
            dst[(o * 5 + index[i]) * inner + j] += src[so + (o * m + i) * inner + j];
    };
    // W1's embedding backward has rows of 128; the others leave a tail of 1 to 3, or are all tail.
    const cases: [number, new (n: number) => Float32Array | Float64Array][] = [
      [128, Float32Array],
      [67, Float32Array],
      [130, Float64Array],
      [3, Float32Array],
      [1, Float64Array],
    ];
    for (const [inner, make] of cases) {
      const dst = values(make, 2 * 5 * inner, 11);
      dst[0] = -0; // −0 + −0 stays −0, −0 + x is x
      const src = values(make, 2 * m * inner, 12);
      src[0] = -0;
      const want = dst.slice();
      add(want, inner, src);
      backend().indexAdd(dst, 2, 5, inner, index, src);
      expectBits(dst, want, `indexAdd inner ${inner} ${make.name}`);
    }
    // src a view of dst's own buffer, overlapping the rows it adds into: the element order decides.
    const inner = 6;
    const buf = values(Float32Array, 2 * 5 * inner + 2 * m * inner, 13);
    const want = buf.slice();
    add(want, inner, want, 7);
    backend().indexAdd(
      buf.subarray(0, 2 * 5 * inner),
      2,
      5,
      inner,
      index,
      buf.subarray(7, 7 + 2 * m * inner),
    );
    expectBits(buf, want, 'indexAdd with src overlapping dst');
  });
});
