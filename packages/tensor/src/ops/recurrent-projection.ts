// The input projection xProj = x W_ihᵀ + Σ biases of a recurrent layer's direction, made inside
// the fused recurrence's autograd node (recurrentLayer gives each direction's `input` to it) so
// that its backward sees which rows of dxProj the recurrence left zero (NOTE(zero-gradient-steps))
// and runs its GEMMs on the other rows alone. The numbers are `linear`'s, forward and backward.
import { noGrad } from '../autograd/grad-mode';
import type { ProjectionGradient } from '../backend/backend';
import { backend } from '../backend/registry';
import type { FloatStorage } from '../dtype';
import { releaseStorage, takeStorage, writableStorage, zeroedStorage } from '../storage-pool';
import { empty, Tensor } from '../tensor';
import { linear } from './linear';

/** A direction's input projection: x [N, I] (time-major rows), W_ih [G·H, I], biases [G·H] added in turn. */
export interface InputProjection {
  x: Tensor;
  wIh: Tensor;
  biases: readonly Tensor[];
}

/** xProj [N, G·H] = x W_ihᵀ + Σ biases, `linear`'s numbers, recording no node (the recurrence's node covers it). */
export function projectInput(p: InputProjection): Tensor {
  return noGrad(() => linear(p.x, p.wIh, p.biases));
}

/** The projection's gradients: x's (null when not needed), W_ih's, and one per bias (the same sum). */
export interface ProjectionGrads {
  dx: Tensor | null;
  dwIh: Tensor | null;
  dBiases: (Tensor | null)[];
}

/**
 * The gradients of `projectInput` from dxProj [N, G·H] whose rows outside [r0, r1) are zero (see
 * NOTE(zero-gradient-steps)): dx = dxProj W_ih (zero outside the rows), dW_ih = dxProjᵀ x and
 * db = Σ rows of dxProj, each over rows r0 … r1 − 1 alone. With `dxInto` (x's gradient from another
 * direction over the same x) dx is added into it, rounded as the engine's sum of two gradients
 * rounds; else it is a new tensor. Summing fewer rows
 * changes the summation order of dW_ih and db against `linear`'s backward over all N rows (the
 * dropped terms are exact zeros).
 */
export function projectionBackward(
  p: InputProjection,
  dxProj: FloatStorage | ProjectionGradient,
  r0: number,
  r1: number,
  dxInto: Tensor | null,
): ProjectionGrads {
  const { x, wIh, biases } = p;
  const [GH, I] = wIh.shape;
  const N = x.shape[0];
  const rows = r1 - r0;
  const kernels = backend();
  const xd = x.data as FloatStorage;
  // Rows r0 … r1 − 1 of dxProj, as an array or where the backend left them (NOTE(fused-projection)).
  const g: ProjectionGradient = ArrayBuffer.isView(dxProj)
    ? {
        dx: (w, n, out, at) => kernels.gemm(false, false, rows, n, GH, dxProj, r0 * GH, w, 0, out, at, false),
        dw: (a, aOff, n, out) =>
          kernels.gemm(true, false, GH, n, rows, dxProj, r0 * GH, a, aOff, out, 0, false),
        db: (out) => kernels.reduce('sum', dxProj.subarray(r0 * GH, r1 * GH), [rows, GH], [true, false], out),
        free() {},
      }
    : dxProj;
  let dx: Tensor | null = dxInto;
  if (x.requiresGrad) {
    // This direction's rows of dx = dxProj W_ih: written in place into a new dx, zero outside the
    // kept rows; or, for the second direction over the same x, computed apart and then added as
    // the engine adds two gradients of one input (one rounding of the two sums, the bits of
    // separate nodes).
    dx = dxInto ?? new Tensor(writableStorage(x.dtype, N * I), x.shape, x.dtype);
    const dxd = dx.data as FloatStorage;
    if (!dxInto) dxd.fill(0, 0, r0 * I).fill(0, r1 * I);
    if (rows > 0) {
      const part = dxInto ? takeStorage(x.dtype as 'float32' | 'float64', rows * I) : dxd;
      const at = dxInto ? 0 : r0 * I;
      g.dx(wIh.data as FloatStorage, I, part, at);
      if (dxInto) {
        const strides = [I, 1];
        kernels.binary(
          'add',
          { data: dxd, offset: r0 * I, strides },
          { data: part, offset: 0, strides },
          [rows, I],
          dxd.subarray(r0 * I, r1 * I),
        );
        releaseStorage(part);
      }
    }
  }
  let dwIh: Tensor | null = null;
  if (wIh.requiresGrad) {
    if (rows === 0) dwIh = new Tensor(zeroedStorage(wIh.dtype, GH * I), wIh.shape, wIh.dtype);
    else {
      dwIh = new Tensor(writableStorage(wIh.dtype, GH * I), wIh.shape, wIh.dtype);
      g.dw(xd, r0 * I, I, dwIh.data as FloatStorage);
    }
  }
  let db: Tensor | null = null;
  if (biases.some((b) => b.requiresGrad)) {
    db = empty([GH], wIh.dtype);
    if (rows > 0) g.db(db.data as FloatStorage);
  }
  return { dx, dwIh, dBiases: biases.map((b) => (b.requiresGrad ? db : null)) };
}
