import type { FloatStorage, Storage } from '../../dtype';
import type { BinaryOp, StridedView, UnaryOp } from '../backend';
import { coalesce } from './strided';

/** out[i] = f(x[i]). One loop per op so the JIT sees a monomorphic body. */
export function unary(op: UnaryOp, x: FloatStorage, out: FloatStorage): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 || x[i] !== x[i] ? x[i] : 0; // NaN propagates, as torch.relu
      return;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0;
      return;
  }
}

/** dx[i] = dy[i] * f'(x[i]); uses the forward output y where that is cheaper. */
export function unaryBackward(
  op: UnaryOp,
  x: FloatStorage,
  y: FloatStorage,
  dy: FloatStorage,
  dx: FloatStorage,
): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) dx[i] = -dy[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i];
      return;
    case 'log':
      for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i];
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) dx[i] = dy[i] / (2 * y[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      return;
    case 'sign':
      dx.fill(0);
      return;
  }
}

export function clamp(x: FloatStorage, lo: number, hi: number, out: FloatStorage): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

export function clampBackward(
  x: FloatStorage,
  lo: number,
  hi: number,
  dy: FloatStorage,
  dx: FloatStorage,
): void {
  for (let i = 0; i < x.length; i++) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0;
}

/** One row of a binary op: out[o + j] = a[ao + j*sa] (op) b[bo + j*sb]. */
function binaryRow(
  op: BinaryOp,
  a: Storage,
  ao: number,
  sa: number,
  b: Storage,
  bo: number,
  sb: number,
  out: Storage,
  o: number,
  n: number,
): void {
  switch (op) {
    // NOTE(unrolled-rows): add and mul (W1's step: 0 + g over a broadcast zero, the dropout mask's
    // product, the directions' input gradients) four elements an iteration, which V8 runs about
    // 1.5x faster than one: the same operations on the same elements, so the same bits.
    case 'add':
      for (const e = o + n - 3; o < e; o += 4, ao += 4 * sa, bo += 4 * sb) {
        out[o] = a[ao] + b[bo];
        out[o + 1] = a[ao + sa] + b[bo + sb];
        out[o + 2] = a[ao + 2 * sa] + b[bo + 2 * sb];
        out[o + 3] = a[ao + 3 * sa] + b[bo + 3 * sb];
      }
      for (let j = 0; j < n % 4; j++, ao += sa, bo += sb) out[o + j] = a[ao] + b[bo];
      return;
    case 'sub':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] - b[bo];
      return;
    case 'mul':
      for (const e = o + n - 3; o < e; o += 4, ao += 4 * sa, bo += 4 * sb) {
        out[o] = a[ao] * b[bo];
        out[o + 1] = a[ao + sa] * b[bo + sb];
        out[o + 2] = a[ao + 2 * sa] * b[bo + 2 * sb];
        out[o + 3] = a[ao + 3 * sa] * b[bo + 3 * sb];
      }
      for (let j = 0; j < n % 4; j++, ao += sa, bo += sb) out[o + j] = a[ao] * b[bo];
      return;
    case 'div':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] / b[bo];
      return;
    case 'pow':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] ** b[bo];
      return;
    case 'maximum':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) {
        const x = a[ao];
        const y = b[bo];
        out[o + j] = x !== x || x > y ? x : y;
      }
      return;
    case 'minimum':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) {
        const x = a[ao];
        const y = b[bo];
        out[o + j] = x !== x || x < y ? x : y;
      }
      return;
    case 'eq':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] === b[bo] ? 1 : 0;
      return;
    case 'ne':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] !== b[bo] ? 1 : 0;
      return;
    case 'lt':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] < b[bo] ? 1 : 0;
      return;
    case 'le':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] <= b[bo] ? 1 : 0;
      return;
    case 'gt':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] > b[bo] ? 1 : 0;
      return;
    case 'ge':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] >= b[bo] ? 1 : 0;
      return;
  }
}

/** Broadcasting binary op: a row at a time over the coalesced output shape. */
export function binary(
  op: BinaryOp,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  out: Storage,
): void {
  const total = out.length;
  if (total === 0) return;
  const [dims, [sa, sb]] = coalesce(shape, [a.strides, b.strides]);
  const rank = dims.length;
  const n = dims[rank - 1];
  const idx = new Int32Array(rank);
  let ao = a.offset;
  let bo = b.offset;
  for (let o = 0; o < total; o += n) {
    binaryRow(op, a.data, ao, sa[rank - 1], b.data, bo, sb[rank - 1], out, o, n);
    for (let d = rank - 2; d >= 0; d--) {
      ao += sa[d];
      bo += sb[d];
      if (++idx[d] < dims[d]) break;
      ao -= sa[d] * dims[d];
      bo -= sb[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/** out = cond ? a : b, broadcasting all three. */
export function where(
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  out: Storage,
): void {
  const total = out.length;
  if (total === 0) return;
  const [dims, [sc, sa, sb]] = coalesce(shape, [cond.strides, a.strides, b.strides]);
  const rank = dims.length;
  const n = dims[rank - 1];
  const idx = new Int32Array(rank);
  let co = cond.offset;
  let ao = a.offset;
  let bo = b.offset;
  const c = cond.data;
  const ad = a.data;
  const bd = b.data;
  for (let o = 0; o < total; o += n) {
    const scn = sc[rank - 1];
    const san = sa[rank - 1];
    const sbn = sb[rank - 1];
    for (let j = 0, ci = co, ai = ao, bi = bo; j < n; j++, ci += scn, ai += san, bi += sbn) {
      out[o + j] = c[ci] ? ad[ai] : bd[bi];
    }
    for (let d = rank - 2; d >= 0; d--) {
      co += sc[d];
      ao += sa[d];
      bo += sb[d];
      if (++idx[d] < dims[d]) break;
      co -= sc[d] * dims[d];
      ao -= sa[d] * dims[d];
      bo -= sb[d] * dims[d];
      idx[d] = 0;
    }
  }
}
