import { BackendError, type FloatStorage } from '@seqlab/tensor';
import {
  type Backend,
  type GemmFn,
  type GemmKernels,
  type GemmPackedFn,
  inferRecurrentLayer,
  jsBackend,
  jsGemmKernels,
  RECURRENT_GATES,
  type RecurrentBackwardArgs,
  type RecurrentForwardArgs,
  type RecurrentInferArgs,
  type RecurrentInferInputArgs,
} from '@seqlab/tensor/backend';
import type { NativeAddon, NativeIsa } from './addon';
import { nativeOpsKernels } from './ops';

// Every array the addon packed, with the panel width it was packed for (the addon checks it
// against the active micro-kernel's). The js kernels must never read one: their panels are 4 wide.
const packedWidth = new WeakMap<FloatStorage, number>();

/**
 * The native backend over a loaded addon: the js backend with every float32 GEMM (the Backend's
 * `gemm`), the fused recurrence, and the elementwise, reduction, softmax, strided-copy, index,
 * fill and optimizer kernels (see `nativeOpsKernels`) run by the C kernels, in place on the
 * tensors' typed arrays.
 * `recurrentForward` / `recurrentBackward` are one addon call per sequence and direction: the wasm
 * backend's C recurrence (the time loop and each cell's gate math, @seqlab/tensor's
 * src/backend/wasm/{recurrent,lstm,gru,rnn}.c) compiled into the addon, with W_hh packed once per
 * call into the native GEMM's panels and every step's product run by the native GEMM. Float64
 * work (gradcheck) runs the js kernels.
 *
 * Summation order: the C GEMM accumulates in float32 (as PyTorch's CPU GEMMs do), in blocks of
 * 256 along k, and the gate math is float32 (Cephes exp/tanh, as in the wasm backend); the js
 * backend accumulates in float64 and rounds once, so the two agree within the float32 bounds the
 * conformance suite derives, not bit for bit.
 */
export function createNativeBackend(addon: NativeAddon): NativeBackend {
  const kernels = nativeGemmKernels(addon);
  return {
    ...jsBackend,
    name: 'native',
    ...nativeOpsKernels(addon),
    gemm: kernels.gemm,
    ...nativeRecurrentKernels(addon),
    // Asked of the addon in use (an A/B script swaps in an older build's functions, which ignore
    // outBatchStride): without it, recurrentLayer transposes the output as before.
    get recurrentBatchFirst() {
      return addon.recurrentInfo().batchFirstOut === true;
    },
    // Likewise outStride: without it, recurrentLayer copies the directions side by side as before.
    get recurrentOutStride() {
      return addon.recurrentInfo().outStride === true;
    },
    addBias: nativeAddBias(addon),
    gemmBias: nativeGemmBias(addon),
    uninitializedStorage,
    // recurrentLayer forward-only on the two inference kernels above (this backend's, as used).
    layerInference(list, options) {
      return inferRecurrentLayer(this, list, options);
    },
    isa: () => addon.gemmInfo().isa,
    threads: () => addon.threads(),
  };
}

/**
 * The native backend, with what it runs on for reports (`seqlab bench`, `seqlab doctor`): the GEMM's
 * instruction set (`avx512`, `avx2`, `scalar`) and the pool's thread count, read when asked (both
 * can change: `setIsa`, `setNativeThreads`).
 */
export interface NativeBackend extends Backend {
  isa(): NativeIsa;
  threads(): number;
}

/** Below this many bytes a zero-filled array costs next to nothing (and small ones live on V8's heap). */
const UNINITIALIZED_MIN_BYTES = 16 * 1024;

/**
 * `uninitializedStorage`: Node's `Buffer.allocUnsafeSlow` memory (its own ArrayBuffer, never a
 * slice of Node's shared pool), which skips the zero fill of `new Float32Array(n)`; small arrays
 * are allocated as usual. Only for storage a kernel writes whole before anyone reads it.
 */
export function uninitializedStorage(dtype: 'float32' | 'float64', n: number): Float32Array | Float64Array {
  const bytes = dtype === 'float64' ? 8 : 4;
  if (n * bytes < UNINITIALIZED_MIN_BYTES)
    return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const { buffer } = Buffer.allocUnsafeSlow(n * bytes);
  return dtype === 'float64' ? new Float64Array(buffer, 0, n) : new Float32Array(buffer, 0, n);
}

/** Whether every float buffer of the arguments is float32 (the op gives them one dtype). */
function allFloat32(
  a: RecurrentForwardArgs | RecurrentBackwardArgs | RecurrentInferArgs | RecurrentInferInputArgs,
): boolean {
  for (const value of Object.values(a)) {
    if (value instanceof Float64Array) return false;
  }
  return 'xBiases' in a ? a.xBiases.every((b) => b instanceof Float32Array) : true;
}

/**
 * The fused recurrence over the addon for float32 arguments; float64 runs the js kernels. The
 * `…Many` forms (both directions of a bidirectional layer) are one addon call, which runs the
 * calls at once on a pool of two threads or more.
 */
export function nativeRecurrentKernels(
  addon: NativeAddon,
): Pick<
  Backend,
  | 'recurrentForward'
  | 'recurrentBackward'
  | 'recurrentForwardMany'
  | 'recurrentBackwardMany'
  | 'recurrentInferMany'
  | 'recurrentInferInputMany'
> {
  const recurrentForward: Backend['recurrentForward'] = (a) => {
    if (allFloat32(a)) addon.recurrentForward(a);
    else jsBackend.recurrentForward(a);
  };
  const recurrentBackward: Backend['recurrentBackward'] = (a) => {
    if (allFloat32(a)) addon.recurrentBackward(a);
    else jsBackend.recurrentBackward(a);
  };
  return {
    recurrentForward,
    recurrentBackward,
    recurrentForwardMany(list) {
      if (list.every(allFloat32)) addon.recurrentForwardMany(list);
      else for (const a of list) recurrentForward(a);
    },
    recurrentBackwardMany(list) {
      if (list.every(allFloat32)) addon.recurrentBackwardMany(list);
      else for (const a of list) recurrentBackward(a);
    },
    recurrentInferMany(list) {
      if (list.every(allFloat32)) addon.recurrentInferMany(list.map((a) => ({ ...a, outSize: a.hidden })));
      else for (const a of list) inferWithJs(a);
    },
    recurrentInferInputMany(list) {
      if (list.every(allFloat32)) addon.recurrentInferMany(list.map((a) => ({ ...a, outSize: a.hidden })));
      else for (const a of list) inferWithJs(projectWithJs(a));
    },
  };
}

/**
 * `addBias` on the addon's binary add (a bias add is one of the geometries its C kernel takes: rows
 * of n contiguous floats, the bias broadcast down them), in place, split over the pool for big y;
 * float64 in JavaScript. Each element is y + b rounded once, as the js kernels round it.
 */
export function nativeAddBias(addon: NativeAddon): NonNullable<Backend['addBias']> {
  const geometry = new Int32Array([2, 0, 0, 0, 0, 1, 0, 0, 1]);
  return (y, rows, n, bias) => {
    if (y instanceof Float32Array && bias instanceof Float32Array) {
      if (rows * n === 0) return;
      geometry[1] = rows;
      geometry[2] = n;
      geometry[4] = n;
      addon.opsBinary(0, y, bias, y, geometry); // 0: add (ops.ts' BINARY)
      return;
    }
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) y[o + j] += bias[j];
    }
  };
}

/**
 * `gemmBias` on the addon's `gemm`, which adds float32 biases (up to four) to each tile of C right
 * after its product, while the tile is in cache: one pass over C instead of a GEMM and a pass per
 * bias, with the same numbers (each add rounded once, in order). Other dtypes and longer lists: the
 * GEMM, then `nativeAddBias` per bias.
 */
export function nativeGemmBias(addon: NativeAddon): NonNullable<Backend['gemmBias']> {
  const addBias = nativeAddBias(addon);
  return (m, n, k, a, b, c, biases) => {
    const f32 = a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
    // Looked up per call: an A/B script (ab-train.ts) swaps in an older build's functions, whose
    // gemm has no biases (nor gemmMaxBiases; the loader refuses such a build).
    const most = typeof addon.gemmMaxBiases === 'function' ? addon.gemmMaxBiases() : 0;
    if (f32 && biases.length <= most && biases.every((v) => v instanceof Float32Array)) {
      addon.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false, ...(biases as Float32Array[]));
      return;
    }
    if (f32) addon.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
    else jsBackend.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
    for (const v of biases) addBias(c, m, n, v);
  };
}

/** `recurrentInferInputMany`'s arguments as `recurrentInferMany`'s: xProj made by the js kernels, as `linear` makes it. */
function projectWithJs(a: RecurrentInferInputArgs): RecurrentInferArgs {
  const { x, inputSize: I, wIh, xBiases, ...rest } = a;
  const GH = RECURRENT_GATES[a.cell] * a.hidden;
  const N = I > 0 ? x.length / I : a.batchSizes.reduce((s, b) => s + b, 0);
  const xProj = x instanceof Float64Array ? new Float64Array(N * GH) : new Float32Array(N * GH);
  jsBackend.gemm(false, true, N, GH, I, x, 0, wIh, 0, xProj, 0, false);
  for (const b of xBiases) for (let r = 0; r < N; r++) for (let j = 0; j < GH; j++) xProj[r * GH + j] += b[j];
  return { ...rest, xProj };
}

/**
 * `recurrentInferMany` for float64 arguments (gradcheck-style work): the js forward into scratch
 * saved buffers, then out copied into its strided place.
 */
function inferWithJs(a: RecurrentInferArgs): void {
  // outStride and outOffset are this copy's, not the forward's (its own out, rows H apart).
  const { hidden: H, cell, outStride, outOffset, ...rest } = a;
  let N = 0;
  for (const bs of a.batchSizes) N += bs;
  const G = RECURRENT_GATES[cell];
  const F = (n: number) => new Float64Array(n);
  const out = F(N * H);
  jsBackend.recurrentForward({
    ...rest,
    hidden: H,
    cell,
    outSize: H,
    wHr: null,
    out,
    gates: F(N * G * H),
    hPrev: F(N * H),
    cells: cell === 'lstm' ? F(N * H) : null,
    cPrev: cell === 'lstm' ? F(N * H) : null,
    hFull: null,
    hhN: cell === 'gru' ? F(N * H) : null,
  });
  for (let r = 0; r < N; r++) a.out.set(out.subarray(r * H, (r + 1) * H), outOffset + r * outStride);
}

/**
 * The GEMM kernels over the addon, in the shape of `makeRecurrentKernels`' argument (the js
 * recurrent loop over the native GEMM, kept for benchmarks against the fused C recurrence). `packB` of float32 data
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
