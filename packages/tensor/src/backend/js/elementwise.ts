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
  // NOTE(unrolled-rows): the hot rows four elements an iteration: V8's scalar loop pays its
  // per-iteration overhead once per four (W1's step: 0 + g over a broadcast zero, the dropout
  // mask's product), about 1.6x faster. The same operations on the same elements: the same bits.
  if (sb === 1 && (sa === 1 ? op === 'add' || op === 'mul' : sa === 0 && op === 'add')) {
    const s = sa === 0 ? a[ao] : 0;
    const e = o + n - 3;
    bo -= o;
    if (op === 'mul') {
      ao -= o;
      for (; o < e; o += 4) {
        out[o] = a[ao + o] * b[bo + o];
        out[o + 1] = a[ao + o + 1] * b[bo + o + 1];
        out[o + 2] = a[ao + o + 2] * b[bo + o + 2];
        out[o + 3] = a[ao + o + 3] * b[bo + o + 3];
      }
      for (; o < e + 3; o++) out[o] = a[ao + o] * b[bo + o];
    } else if (sa === 0) {
      for (; o < e; o += 4) {
        out[o] = s + b[bo + o];
        out[o + 1] = s + b[bo + o + 1];
        out[o + 2] = s + b[bo + o + 2];
        out[o + 3] = s + b[bo + o + 3];
      }
      for (; o < e + 3; o++) out[o] = s + b[bo + o];
    } else {
      ao -= o;
      for (; o < e; o += 4) {
        out[o] = a[ao + o] + b[bo + o];
        out[o + 1] = a[ao + o + 1] + b[bo + o + 1];
        out[o + 2] = a[ao + o + 2] + b[bo + o + 2];
        out[o + 3] = a[ao + o + 3] + b[bo + o + 3];
      }
      for (; o < e + 3; o++) out[o] = a[ao + o] + b[bo + o];
    }
    return;
  }
  switch (op) {
    case 'add':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] + b[bo];
      return;
    case 'sub':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] - b[bo];
      return;
    case 'mul':
      for (let j = 0; j < n; j++, ao += sa, bo += sb) out[o + j] = a[ao] * b[bo];
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
