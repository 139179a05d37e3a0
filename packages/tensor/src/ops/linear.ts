import { backend } from '../backend/registry';
import { assertTensor } from '../check-tensor';
import { assertFloating, type FloatStorage } from '../dtype';
import { DTypeError, formatShape, ShapeError } from '../errors';
import { writableStorage } from '../storage-pool';
import { Tensor } from '../tensor';
import { record } from './record';

/**
 * y = x Wᵀ + b (torch.nn.functional.linear): x [*, in], weight [out, in], bias [out] -> y [*, out].
 * One GEMM reads the weight as stored (no transposed copy), and the bias is added in the same
 * pass over y, so a layer costs one output buffer; the backward is two GEMMs and one column sum.
 *
 * `bias` may also be a list of [out] vectors, added one after the other with a rounding after
 * each, exactly as `x Wᵀ + b1 + b2` rounds (the recurrent layers' b_ih then b_hh).
 *
 * @example
 * ```ts
 * linear(randn([32, 512]), randn([2, 512]), zeros([2])).shape; // [32, 2]
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | readonly Tensor[] | null): Tensor {
  // x [*, in], weight [out, in], bias [out] -> [*, out]
  const op = 'linear';
  assertTensor(op, input, 'input');
  assertTensor(op, weight, 'weight');
  const biases = bias == null ? [] : Array.isArray(bias) ? (bias as readonly Tensor[]) : [bias as Tensor];
  for (const b of biases) assertTensor(op, b, 'bias');
  assertFloating(op, input.dtype);
  for (const t of [weight, ...biases]) {
    if (t.dtype !== input.dtype)
      throw new DTypeError(op, `weight and bias ${input.dtype} as the input`, t.dtype);
  }
  if (weight.ndim !== 2) throw new ShapeError(op, 'weight of shape [out, in]', formatShape(weight.shape));
  const [outF, inF] = weight.shape;
  if (input.ndim === 0 || input.shape[input.ndim - 1] !== inF) {
    throw new ShapeError(op, `input of shape [*, ${inF}]`, formatShape(input.shape));
  }
  for (const b of biases) {
    if (b.ndim !== 1 || b.shape[0] !== outF)
      throw new ShapeError(op, `bias of shape [${outF}]`, formatShape(b.shape));
  }
  const rows = input.numel / inF || 0;
  const shape = [...input.shape.slice(0, -1), outF];
  // The GEMM writes every element (accumulate false): storage from the pool, not zeroed.
  const out = new Tensor(writableStorage(input.dtype, rows * outF), shape, input.dtype);
  const y = out.data as FloatStorage;
  const x = input.data as FloatStorage;
  const w = weight.data as FloatStorage;
  const kernels = backend();
  // The bias adds in the GEMM's call when the backend has them (the same bits).
  if (kernels.gemmBias && biases.length > 0 && biases.every((b) => b.data instanceof y.constructor))
    kernels.gemmBias(
      rows,
      outF,
      inF,
      x,
      w,
      y,
      biases.map((b) => b.data as FloatStorage),
    );
  else {
    kernels.gemm(false, true, rows, outF, inF, x, 0, w, 0, y, 0, false);
    addBiases(y, rows, outF, biases);
  }
  return record('linear', op, [input, weight, ...biases], out, { rows, in: inF, out: outF });
}

/**
 * y[r, :] += b for each bias in turn, rounded to y's dtype after each add as separate adds would
 * round: the backend's `addBias` when it has one, else in JavaScript (two float32 biases in one
 * pass, the first sum rounded with Math.fround).
 */
function addBiases(y: FloatStorage, rows: number, n: number, biases: readonly Tensor[]): void {
  const kernels = backend();
  if (kernels.addBias && biases.every((b) => b.data instanceof y.constructor)) {
    for (const b of biases) kernels.addBias(y, rows, n, b.data as FloatStorage);
    return;
  }
  let k = 0;
  if (biases.length >= 2 && y instanceof Float32Array) {
    const v = biases[0].data as Float32Array;
    const w = biases[1].data as Float32Array;
    const round = Math.fround;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) y[o + j] = round(y[o + j] + v[j]) + w[j];
    }
    k = 2;
  }
  for (; k < biases.length; k++) {
    const v = biases[k].data as FloatStorage;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) y[o + j] += v[j];
    }
  }
}
