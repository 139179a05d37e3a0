import type { FloatStorage } from '../../dtype';

/** Softmax or log-softmax along the middle axis of [outer, size, inner], max-shifted for stability. */
export function softmax(
  x: FloatStorage,
  outer: number,
  size: number,
  inner: number,
  log: boolean,
  out: FloatStorage,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      let max = -Infinity;
      for (let i = 0, p = base; i < size; i++, p += inner) if (x[p] > max || x[p] !== x[p]) max = x[p];
      let sum = 0;
      for (let i = 0, p = base; i < size; i++, p += inner) sum += Math.exp(x[p] - max);
      if (log) {
        const lse = max + Math.log(sum);
        for (let i = 0, p = base; i < size; i++, p += inner) out[p] = x[p] - lse;
      } else {
        for (let i = 0, p = base; i < size; i++, p += inner) out[p] = Math.exp(x[p] - max) / sum;
      }
    }
  }
}

/** Backward from the forward output y: softmax dx = y (dy - Σ dy y); log-softmax dx = dy - exp(y) Σ dy. */
export function softmaxBackward(
  y: FloatStorage,
  dy: FloatStorage,
  outer: number,
  size: number,
  inner: number,
  log: boolean,
  dx: FloatStorage,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      let s = 0;
      if (log) {
        for (let i = 0, p = base; i < size; i++, p += inner) s += dy[p];
        for (let i = 0, p = base; i < size; i++, p += inner) dx[p] = dy[p] - Math.exp(y[p]) * s;
      } else {
        for (let i = 0, p = base; i < size; i++, p += inner) s += dy[p] * y[p];
        for (let i = 0, p = base; i < size; i++, p += inner) dx[p] = y[p] * (dy[p] - s);
      }
    }
  }
}
