import { BackendError, type FloatStorage } from '@seqlab/tensor';
import {
  type Backend,
  type GemmFn,
  type GemmKernels,
  type GemmPackedFn,
  jsBackend,
  jsGemmKernels,
  makeRecurrentKernels,
} from '@seqlab/tensor/backend';
import type { NativeAddon } from './addon';

// Every array the addon packed, with the panel width it was packed for (the addon checks it
// against the active micro-kernel's). The js kernels must never read one: their panels are 4 wide.
const packedWidth = new WeakMap<FloatStorage, number>();

/**
 * The native backend over a loaded addon: the js backend with every float32 GEMM (the Backend's
 * `gemm`, and the fused recurrent kernels' input/weight products and per-step products) run by
 * the C kernels, in place on the tensors' typed arrays. The recurrent time loop and its gate math
 * are the js backend's for now (`makeRecurrentKernels` over these GEMMs); W_hh is packed once per
 * sequence by `packB` into the micro-kernel's panel layout and stays in that typed array across
 * the steps. Float64 work (gradcheck) runs the js kernels.
 *
 * Summation order: the C GEMM accumulates in float32 (as PyTorch's CPU GEMMs do), in blocks of
 * 256 along k; the js backend accumulates in float64 and rounds once, so the two agree within
 * the float32 dot-product bound, not bit for bit.
 */
export function createNativeBackend(addon: NativeAddon): Backend {
  const kernels = nativeGemmKernels(addon);
  return { ...jsBackend, name: 'native', gemm: kernels.gemm, ...makeRecurrentKernels(kernels) };
}

/**
 * The GEMM kernels over the addon, as `makeRecurrentKernels` takes them. `packB` of float32 data
 * returns the addon's panels (the micro-kernel's width, 64-byte aligned), which only this
 * `gemmPacked` reads; float64 data takes the js kernels end to end.
 */
export function nativeGemmKernels(addon: NativeAddon): GemmKernels {
  const packB: GemmKernels['packB'] = (transB, k, n, b, bOff) => {
    if (!(b instanceof Float32Array)) return jsGemmKernels.packB(transB, k, n, b, bOff);
    const packed = addon.packB(transB, k, n, b, bOff);
    packedWidth.set(packed, addon.gemmInfo().nr);
    return packed;
  };

  const gemmPacked: GemmPackedFn = (m, n, k, A, base, packed, c, cOff, accumulate) => {
    const width = packedWidth.get(packed);
    if (width === undefined) {
      jsGemmKernels.gemmPacked(m, n, k, A, base, packed, c, cOff, accumulate);
      return;
    }
    if (!(A instanceof Float32Array && c instanceof Float32Array)) {
      throw new BackendError(
        'native gemmPacked',
        'float32 A and C with a float32 packed B',
        `${A.constructor.name} and ${c.constructor.name}`,
      );
    }
    addon.gemmPacked(m, n, k, A, base, packed as Float32Array, c, cOff, accumulate, width);
  };

  const gemm: GemmFn = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
    if (a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) {
      addon.gemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    } else {
      jsBackend.gemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  };

  return { gemm, gemmPacked, packB };
}
