import type { UnaryOp } from '../backend/backend';
import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { add, cast, div, eq, gt, log, mul, neg, pow, where } from '../ops/elementwise';
import { gather, scatterAdd } from '../ops/indexing';
import { matmul } from '../ops/matmul';
import { expand, narrow, reshape, transpose } from '../ops/movement';
import { sum } from '../ops/reduce';
import { sameShape } from '../shape';
import { writableStorage, zeroedStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';

/** What a gradient rule sees: the output gradient, the op's inputs and output, and its attributes. */
export interface GradContext<A> {
  /** dL/d(output). */
  g: Tensor;
  inputs: readonly Tensor[];
  output: Tensor;
  /** Which inputs need a gradient (skip the work for the others). */
  needs: readonly boolean[];
  attrs: A;
}

/** A gradient rule: the gradient of every input (null where not needed). */
export type Rule<A> = (ctx: GradContext<A>) => (Tensor | null)[];

/** The attributes each primitive records for its backward. */
export interface Attrs {
  cast: Record<string, never>;
  unary: { op: UnaryOp };
  clamp: { lo: number; hi: number };
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  pow: Record<string, never>;
  maximum: Record<string, never>;
  minimum: Record<string, never>;
  where: { cond: Tensor };
  sum: { kept: number[] };
  amax: { kept: number[] };
  gather: { dim: number; index: Tensor };
  scatterAdd: { dim: number; index: Tensor };
  indexSelect: { dim: number; index: Int32Array; outer: number; size: number; inner: number };
  reshape: Record<string, never>;
  strided: { shape: number[]; strides: number[]; offset: number };
  cat: { dim: number; sizes: number[] };
  matmul: Record<string, never>;
  linear: { rows: number; in: number; out: number };
  softmax: { outer: number; size: number; inner: number; log: boolean };
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  return reshape(sum(g, dims, true), shape);
}

function zerosOf(x: Tensor): Tensor {
  return new Tensor(zeroedStorage(x.dtype, x.numel), x.shape, x.dtype);
}

/** Storage of x's shape and dtype that a kernel overwrites entirely (contents unspecified). */
function writtenOf(x: Tensor): Tensor {
  return new Tensor(writableStorage(x.dtype, x.numel), x.shape, x.dtype);
}

/**
 * The gradient table: one row per primitive, so every derivative can be audited on one screen
 * (tinygrad's `pm_gradient` in spirit). Rules run with gradient recording off.
 */
export const gradients: { [K in keyof Attrs]: Rule<Attrs[K]> } = {
  cast: ({ g, inputs: [x] }) => [cast(g, x.dtype)],

  unary: ({ g, inputs: [x], output, attrs }) => {
    const dx = zerosOf(x);
    backend().unaryBackward(
      attrs.op,
      x.data as FloatStorage,
      output.data as FloatStorage,
      g.data as FloatStorage,
      dx.data as FloatStorage,
    );
    return [dx];
  },

  clamp: ({ g, inputs: [x], attrs }) => {
    const dx = zerosOf(x);
    backend().clampBackward(
      x.data as FloatStorage,
      attrs.lo,
      attrs.hi,
      g.data as FloatStorage,
      dx.data as FloatStorage,
    );
    return [dx];
  },

  add: ({ g, inputs: [a, b], needs }) => [
    needs[0] ? sumTo(g, a.shape) : null,
    needs[1] ? sumTo(g, b.shape) : null,
  ],

  sub: ({ g, inputs: [a, b], needs }) => [
    needs[0] ? sumTo(g, a.shape) : null,
    needs[1] ? sumTo(neg(g), b.shape) : null,
  ],

  mul: ({ g, inputs: [a, b], needs }) => [
    needs[0] ? sumTo(mul(g, b), a.shape) : null,
    needs[1] ? sumTo(mul(g, a), b.shape) : null,
  ],

  // d(a/b)/db = −a/b² = −out/b
  div: ({ g, inputs: [a, b], output, needs }) => [
    needs[0] ? sumTo(div(g, b), a.shape) : null,
    needs[1] ? sumTo(neg(div(mul(g, output), b)), b.shape) : null,
  ],

  // d(aᵇ)/da = b·aᵇ⁻¹ (0 where b = 0); d(aᵇ)/db = aᵇ·ln a (0 where a = 0), as PyTorch.
  pow: ({ g, inputs: [a, b], output, needs }) => [
    needs[0] ? sumTo(mul(g, where(eq(b, 0), 0, mul(b, pow(a, add(b, -1))))), a.shape) : null,
    needs[1] ? sumTo(mul(g, where(eq(a, 0), 0, mul(output, log(a)))), b.shape) : null,
  ],

  // Ties split the gradient evenly, as PyTorch's maximum/minimum.
  maximum: ({ g, inputs: [a, b], needs }) => splitByWinner(g, a, b, gt(a, b), needs),
  minimum: ({ g, inputs: [a, b], needs }) => splitByWinner(g, a, b, gt(b, a), needs),

  where: ({ g, inputs: [a, b], needs, attrs }) => [
    needs[0] ? sumTo(where(attrs.cond, g, 0), a.shape) : null,
    needs[1] ? sumTo(where(attrs.cond, 0, g), b.shape) : null,
  ],

  sum: ({ g, inputs: [x], attrs }) => [expand(reshape(g, attrs.kept), x.shape)],

  // Over all elements, the gradient is shared evenly by the elements equal to the result.
  amax: ({ g, inputs: [x], output, attrs }) => {
    const hits = eq(x, reshape(output, attrs.kept)).to(x.dtype);
    return [div(mul(hits, reshape(g, attrs.kept)), sum(hits))];
  },

  gather: ({ g, inputs: [x], attrs }) => [scatterAdd(zerosOf(x), attrs.dim, attrs.index, g)],

  scatterAdd: ({ g, needs, attrs }) => [
    needs[0] ? g : null,
    needs[1] ? gather(g, attrs.dim, attrs.index) : null,
  ],

  indexSelect: ({ g, inputs: [x], attrs }) => {
    const dx = zerosOf(x);
    backend().indexAdd(
      dx.data as FloatStorage,
      attrs.outer,
      attrs.size,
      attrs.inner,
      attrs.index,
      g.data as FloatStorage,
    );
    return [dx];
  },

  reshape: ({ g, inputs: [x] }) => [reshape(g, x.shape)],

  strided: ({ g, inputs: [x], attrs }) => {
    const dx = zerosOf(x);
    backend().stridedAccumulate(g.data, attrs.shape, {
      data: dx.data,
      offset: attrs.offset,
      strides: attrs.strides,
    });
    return [dx];
  },

  cat: ({ g, needs, attrs }) => {
    let start = 0;
    return attrs.sizes.map((size, i) => {
      const piece = needs[i] ? narrow(g, attrs.dim, start, size) : null;
      start += size;
      return piece;
    });
  },

  matmul: ({ g, inputs: [a, b], needs }) => {
    if (b.ndim === 2) {
      // a [..., m, k] folded to [rows, k]: dA = g bᵀ, dB = aᵀ g, each one GEMM.
      const [k, n] = b.shape;
      const rows = a.numel / k || 0;
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (needs[0]) {
        da = zerosOf(a);
        backend().gemm(
          false,
          true,
          rows,
          k,
          n,
          g.data as FloatStorage,
          0,
          b.data as FloatStorage,
          0,
          da.data as FloatStorage,
          0,
          false,
        );
      }
      if (needs[1]) {
        db = zerosOf(b);
        backend().gemm(
          true,
          false,
          k,
          n,
          rows,
          a.data as FloatStorage,
          0,
          g.data as FloatStorage,
          0,
          db.data as FloatStorage,
          0,
          false,
        );
      }
      return [da, db];
    }
    return [
      needs[0] ? sumTo(matmul(g, transpose(b, -1, -2)), a.shape) : null,
      needs[1] ? sumTo(matmul(transpose(a, -1, -2), g), b.shape) : null,
    ];
  },

  // y = x Wᵀ + Σ b, x folded to [rows, in]: dx = g W, dW = gᵀ x, each one GEMM on the stored
  // layouts; every bias gets the column sum of g (one sum, shared).
  linear: ({ g, inputs: [x, w, ...biases], needs, attrs }) => {
    const { rows, in: inF, out: outF } = attrs;
    const kernels = backend();
    const gd = g.data as FloatStorage;
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      dx = writtenOf(x);
      kernels.gemm(
        false,
        false,
        rows,
        inF,
        outF,
        gd,
        0,
        w.data as FloatStorage,
        0,
        dx.data as FloatStorage,
        0,
        false,
      );
    }
    if (needs[1]) {
      dw = writtenOf(w);
      kernels.gemm(
        true,
        false,
        outF,
        inF,
        rows,
        gd,
        0,
        x.data as FloatStorage,
        0,
        dw.data as FloatStorage,
        0,
        false,
      );
    }
    if (biases.length > 0 && needs.slice(2).some(Boolean)) {
      db = empty([outF], g.dtype);
      kernels.reduce('sum', gd, [rows, outF], [true, false], db.data);
    }
    return [dx, dw, ...biases.map((_, i) => (needs[i + 2] ? db : null))];
  },

  softmax: ({ g, inputs: [x], output, attrs }) => {
    const dx = zerosOf(x);
    backend().softmaxBackward(
      output.data as FloatStorage,
      g.data as FloatStorage,
      attrs.outer,
      attrs.size,
      attrs.inner,
      attrs.log,
      dx.data as FloatStorage,
    );
    return [dx];
  },
};

function splitByWinner(
  g: Tensor,
  a: Tensor,
  b: Tensor,
  aWins: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const tie = eq(a, b);
  const share = add(where(aWins, 1, 0), where(tie, 0.5, 0)).to(g.dtype);
  return [
    needs[0] ? sumTo(mul(g, share), a.shape) : null,
    needs[1] ? sumTo(mul(g, add(neg(share), 1)), b.shape) : null,
  ];
}

/**
 * embedding's rule, outside the table so that a bundle without `embedding` leaves it out: the rows
 * used gather the output gradient; the padding row never learns (PyTorch's padding_idx).
 */
export const embeddingGradient: Rule<{
  index: Int32Array;
  rows: number;
  dim: number;
  paddingIdx: number | null;
}> = ({ g, inputs: [weight], attrs }) => {
  const dw = zerosOf(weight);
  backend().indexAdd(dw.data as FloatStorage, 1, attrs.rows, attrs.dim, attrs.index, g.data as FloatStorage);
  const pad = attrs.paddingIdx;
  if (pad !== null) dw.data.fill(0, pad * attrs.dim, (pad + 1) * attrs.dim);
  return [dw];
};
