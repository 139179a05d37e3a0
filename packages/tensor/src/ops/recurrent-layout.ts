// The row and column layout of a recurrent layer's input and output (`recurrentLayer` in
// recurrent.ts): its directions' outputs side by side, their rows time-major or batch-first, and a
// batch-first input's rows in time-major order. One copy each way, with no intermediate: the cat
// of the directions and the transpose to batch-first are one array, and the gradient of each part
// is written straight from the output's, never zero-filled and accumulated into. On a backend with
// `recurrentOutStride` the directions write their columns themselves (NOTE(layer-columns) in
// recurrent.ts) and the output needs none of this; it stays for a batch-first input's rows, and for
// the outputs of a backend without the capability.
import { recordOp } from '../autograd/function';
import type { StridedView } from '../backend/backend';
import { backend } from '../backend/registry';
import { allocate } from '../dtype';
import { takeStorage, zeroedStorage } from '../storage-pool';
import { Tensor } from '../tensor';

/**
 * `parts` (each [P·Q, F], row p·Q + q) side by side, rows in (q, p) order when `swap`, else as they
 * are: out [P·Q, D·F] with out[row, d·F + k] = parts[d][p·Q + q, k], row = q·P + p (swap) or
 * p·Q + q. The numbers of `cat(parts, 1)` then (swap) of a transpose of [P, Q, D·F] to [Q, P, D·F],
 * bit for bit (NOTE(layout-bits)); its gradient flows back to every part. The parts are one
 * recurrent layer's (one dtype).
 */
export function recurrentLayout(parts: readonly Tensor[], P: number, Q: number, swap: boolean): Tensor {
  // parts [P·Q, F] each -> out [P·Q, D·F], rows (q, p) when swap
  const { dtype } = parts[0];
  const F = parts[0].shape[1];
  const D = parts.length;
  const W = D * F;
  const kernels = backend();
  const shape = [P, Q, F];
  // Where element (p, q, k) of a part sits in out (plus d·F for part d).
  const strides = swap ? [W, P * W, 1] : [Q * W, W, 1];
  // NOTE(layout-bits): the old path's bits. cat wrote the parts into zeros (0 + v: −0 becomes +0),
  // a transpose alone copies (−0 stays); the transpose's gradient was accumulated into zeros
  // (0 + g), cat's gradient is a copy. So: two parts or more go into zeros; a single one (swap) is
  // read through the inverse order into `out`; the gradient is 0 + g after a swap, else a copy.
  let out: Tensor;
  if (D === 1) {
    out = new Tensor(takeStorage(dtype as 'float32', P * Q * F), [P * Q, F], dtype);
    kernels.stridedCopy({ data: parts[0].data, offset: 0, strides: [F, Q * F, 1] }, [Q, P, F], out.data);
  } else {
    out = new Tensor(zeroedStorage(dtype, P * Q * W), [P * Q, W], dtype);
    parts.forEach((t, d) => {
      kernels.stridedAccumulate(t.data, shape, { data: out.data, offset: d * F, strides });
    });
  }
  recordOp('recurrentLayout', parts, [out], ([g], needs) =>
    parts.map((_, d) => {
      if (!g || !needs[d]) return null;
      const k = backend();
      const dPart = new Tensor(takeStorage(dtype as 'float32', P * Q * F), [P * Q, F], dtype);
      const view: StridedView = { data: g.data, offset: d * F, strides };
      if (swap)
        k.binary('add', { data: allocate(dtype, 1), offset: 0, strides: [0, 0, 0] }, view, shape, dPart.data);
      else k.stridedCopy(view, shape, dPart.data);
      return dPart;
    }),
  );
  // Its gradients are buffers allocated in backward: the engine may keep them without a copy.
  if (out._node) out._node.freshGradients = true;
  return out;
}
