import { type BackwardOptions, runBackward } from './autograd/engine';
import type { Node } from './autograd/node';
import { allocate, type DType, type FloatStorage, isFloating, type Storage } from './dtype';
import { ConfigError, DTypeError, formatShape, ShapeError } from './errors';
import { formatTensor } from './format';
import * as ew from './ops/elementwise';
import * as idx from './ops/indexing';
import { matmul } from './ops/matmul';
import * as mv from './ops/movement';
import * as nn from './ops/nn';
import * as rd from './ops/reduce';
import { current, viewed } from './scope';
import { numel, type Shape, stridesOf } from './shape';
import { releaseStorage } from './storage-pool';

/** Nested JavaScript arrays of numbers, as `toArray()` returns them. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array of float32 (or float64, int32, bool) values with automatic
 * differentiation. Storage is a flat, row-major typed array; tensors are ordinary
 * garbage-collected objects. A loop that makes many large tensors can hand their storage back for
 * reuse with `tidy` or `dispose` (NOTE(tidy-scope)). Ops are available as functions
 * (`add(a, b)`) and as methods (`a.add(b)`).
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * w.grad?.toArray(); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /** Size of each dimension, outermost first. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /**
   * Flat row-major storage. Tensors made by `reshape`/`view` (and `select`/`narrow` along the first
   * dim) share it with their source. Writing to it changes the tensor in place, bypassing autograd
   * (what optimizers do to parameters).
   */
  readonly data: Storage;
  #grad: Tensor | null = null;
  /**
   * Whether `#grad` may be held outside the autograd engine: it was read through `grad` or set by
   * the caller. Only a gradient never shared goes back to the storage pool when it is dropped.
   */
  #gradShared = false;
  /** @internal The node that produced this tensor, or null for a leaf. */
  _node: Node | null = null;
  /** @internal Which output of `_node` this tensor is. */
  _outputIndex = 0;
  #requiresGrad = false;

  /** Wraps `data` (not copied) as a tensor of `shape`. Prefer `tensor()` and the creation functions. */
  constructor(data: Storage, shape: Shape, dtype: DType) {
    if (data.length !== numel(shape)) {
      throw new ShapeError(
        'Tensor',
        `${numel(shape)} elements for shape ${formatShape(shape)}`,
        `${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    current?.tensors.push(this);
  }

  /** Accumulated gradient after `backward()` (leaves, and intermediates that called `retainGrad()`). */
  get grad(): Tensor | null {
    this.#gradShared = true;
    return this.#grad;
  }

  /** Sets (or clears, with null) the gradient; later backward passes accumulate into it. */
  set grad(value: Tensor | null) {
    this.#grad = value;
    this.#gradShared = true;
  }

  /** @internal The engine's write of `.grad`: a gradient in storage nothing else holds. */
  _setGrad(grad: Tensor): void {
    this.#grad = grad;
    this.#gradShared = false;
  }

  /**
   * @internal `.grad` for a loop that keeps no reference to it once it returns (an optimizer's
   * step, gradient clipping, zeroGrad): unlike `grad`, reading it this way leaves the storage
   * recyclable by `_dropGrad`.
   */
  _peekGrad(): Tensor | null {
    return this.#grad;
  }

  /**
   * @internal `grad = null` for zeroGrad's set-to-none: when only the engine and `_peekGrad` ever
   * touched the gradient, its storage goes back to the pool, and the next backward's gradient of
   * this parameter takes it (a step then allocates no new `.grad`). A gradient the caller read or
   * set is left alone: they may hold it, and it keeps its values (PyTorch's set_to_none).
   */
  _dropGrad(): void {
    const grad = this.#grad;
    this.#grad = null;
    if (grad && !this.#gradShared && isFloating(grad.dtype)) releaseStorage(grad.data as FloatStorage);
  }

  /** Whether gradients flow to this tensor. Settable on leaves; only floating tensors can require grad. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  /**
   * Turns gradient tracking on or off for a leaf. A tensor that is not float32 or float64 is a
   * `DTypeError`; switching it off on a tensor an op produced is a `ShapeError` (use `detach()`).
   */
  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new DTypeError(
        'Tensor.requiresGrad',
        'a float32 or float64 tensor',
        this.dtype,
        'Only floating tensors have gradients',
      );
    }
    if (!value && this._node) {
      throw new ShapeError(
        'Tensor.requiresGrad',
        'a leaf tensor',
        `the output of ${this._node.op}`,
        'Use detach() instead',
      );
    }
    this.#requiresGrad = value;
  }

  /** @internal Makes this tensor an output of `node`. */
  _attach(node: Node, index: number): void {
    this._node = node;
    this._outputIndex = index;
    this.#requiresGrad = true;
  }

  /** True when the tensor was not produced by a recorded op. */
  get isLeaf(): boolean {
    return this._node === null;
  }

  /** Name of the op that produced this tensor (`null` for leaves), for diagnostics. */
  get gradFn(): string | null {
    return this._node ? this._node.op : null;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return numel(this.shape);
  }

  /** Size of one dimension (negative counts from the end), or the whole shape. */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    if (dim === undefined) return this.shape;
    return this.shape[mv.dimIndex('Tensor.size', dim, this.ndim)];
  }

  /** Row-major strides of the (always contiguous) storage, in elements. */
  stride(): number[] {
    return stridesOf(this.shape);
  }

  /** The values as nested arrays (a number for a 0-d tensor; 0/1 for bool). */
  toArray(): NestedArray {
    const data = this.data;
    const shape = this.shape;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const size = shape[dim];
      const inner = stride / size;
      const out: NestedArray[] = new Array(size);
      for (let i = 0; i < size; i++) {
        out[i] = dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * inner, inner);
      }
      return out;
    };
    return build(0, 0, data.length);
  }

  /** A copy of the values as a flat Float32Array, row-major. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.data);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) {
      throw new ShapeError('Tensor.item', 'a tensor with one element', `shape ${formatShape(this.shape)}`);
    }
    return this.data[0];
  }

  /**
   * Computes gradients of this tensor w.r.t. every leaf that requires grad. Scalars need no `grad`.
   * Nodes that free their saved state after backward (the recurrent layers') can be backpropagated
   * through once unless `{ retainGraph: true }` is passed, as PyTorch's `retain_graph`.
   */
  backward(grad?: Tensor, options?: BackwardOptions): void {
    runBackward(this, grad, options);
  }

  /** Keeps this intermediate tensor's gradient in `.grad` after `backward()` (dL/dh_t for diagnostics). */
  retainGrad(): this {
    const node = this._node;
    if (!node) {
      if (!this.#requiresGrad) {
        throw new ShapeError('Tensor.retainGrad', 'a tensor that requires grad', 'one that does not');
      }
      return this;
    }
    node.retained ??= new Array(node.numOutputs);
    node.retained[this._outputIndex] = this;
    return this;
  }

  /** A tensor sharing this one's storage, cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    viewed.add(this.data.buffer);
    return new Tensor(this.data, this.shape, this.dtype);
  }

  /** A copy with its own storage; gradients flow through it. */
  clone(): Tensor {
    return mv.clone(this);
  }

  /** Converts to `dtype` (a copy; differentiable between floating types). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }

  /** Converts to float32. */
  float(): Tensor {
    return ew.cast(this, 'float32');
  }

  /** Converts to float64. */
  double(): Tensor {
    return ew.cast(this, 'float64');
  }

  /** Converts to int32 (truncating toward zero). */
  int(): Tensor {
    return ew.cast(this, 'int32');
  }

  /**
   * The values as PyTorch prints them, with the shape and dtype (see `formatTensor`):
   * `tensor([[1.0000, 2.5000]], shape=[1, 2], dtype=float32, requiresGrad=true)`. Tensors of more
   * than 1000 elements show their first and last 3 items per dim.
   */
  toString(): string {
    return formatTensor({
      data: this.data,
      shape: this.shape,
      dtype: this.dtype,
      requiresGrad: this.#requiresGrad,
      gradFn: this.gradFn,
    });
  }

  /** What `console.log` and Node's `util.inspect` print: `toString()` (no `node:util` import). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * A string where JavaScript wants one (`${x}`, `String(x)`), and an error where it wants a number
   * or uses an operator (`x * 2`, `x + y`, `x < 0`, `Number(x)`), which would otherwise give NaN or
   * a string without a word.
   *
   * Porting note: PyTorch overloads the operators; JavaScript cannot, so arithmetic is methods.
   */
  [Symbol.toPrimitive](hint: 'string' | 'number' | 'default'): string {
    if (hint === 'string') return this.toString();
    throw new ConfigError(
      'Tensor',
      'a method call for arithmetic (x.mul(2), x.add(y))',
      'the tensor used as a primitive (the *, +, - or < operator, or Number(x))',
      'JavaScript has no operator overloading: use x.mul(y), x.add(y), x.lt(y), or x.item() for the number of a one-element tensor',
    );
  }

  // Elementwise
  /** `this + other` elementwise (the function {@link ew.add | add}). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. PyTorch's `alpha` argument is a `ConfigError`: write `x.add(y.mul(alpha))`. */
  add(other: Tensor | number): Tensor;
  add(other: Tensor | number, ...extra: unknown[]): Tensor {
    return (ew.add as (...args: unknown[]) => Tensor)(this, other, ...extra);
  }
  /** `this − other` elementwise ({@link ew.sub | sub}). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. PyTorch's `alpha` argument is a `ConfigError`. */
  sub(other: Tensor | number): Tensor;
  sub(other: Tensor | number, ...extra: unknown[]): Tensor {
    return (ew.sub as (...args: unknown[]) => Tensor)(this, other, ...extra);
  }
  /** `this · other` elementwise, not the matrix product ({@link ew.mul | mul}; that is `matmul`). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  mul(other: Tensor | number): Tensor {
    return ew.mul(this, other);
  }
  /** `this / other` elementwise, true division: int32 and bool inputs give float32 ({@link ew.div | div}). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  div(other: Tensor | number): Tensor {
    return ew.div(this, other);
  }
  /** `this` to the power `exponent`, elementwise ({@link ew.pow | pow}). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. An int32 tensor with a negative exponent is a `DTypeError`. */
  pow(exponent: Tensor | number): Tensor {
    return ew.pow(this, exponent);
  }
  /** The larger of `this` and `other` at each position ({@link ew.maximum | maximum}, torch.maximum). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  maximum(other: Tensor | number): Tensor {
    return ew.maximum(this, other);
  }
  /** The smaller of `this` and `other` at each position ({@link ew.minimum | minimum}, torch.minimum). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  minimum(other: Tensor | number): Tensor {
    return ew.minimum(this, other);
  }
  /** −x elementwise, same shape ({@link ew.neg | neg}). */
  neg(): Tensor {
    return ew.neg(this);
  }
  /** eˣ elementwise, same shape ({@link ew.exp | exp}). */
  exp(): Tensor {
    return ew.exp(this);
  }
  /** Natural logarithm elementwise, same shape ({@link ew.log | log}); log 0 is −Infinity and a negative input NaN, as PyTorch's. */
  log(): Tensor {
    return ew.log(this);
  }
  /** √x elementwise, same shape ({@link ew.sqrt | sqrt}). */
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  /** |x| elementwise, same shape ({@link ew.abs | abs}; gradient sign(x), 0 at 0). */
  abs(): Tensor {
    return ew.abs(this);
  }
  /** tanh(x) elementwise, same shape ({@link ew.tanh | tanh}): the RNN's nonlinearity. */
  tanh(): Tensor {
    return ew.tanh(this);
  }
  /** σ(x) = 1 / (1 + e⁻ˣ) elementwise, same shape ({@link ew.sigmoid | sigmoid}): the LSTM and GRU gates. */
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  /** max(x, 0) elementwise, same shape ({@link ew.relu | relu}). */
  relu(): Tensor {
    return ew.relu(this);
  }
  /** −1, 0 or 1 by the sign of each element, same shape ({@link ew.sign | sign}; gradient 0). */
  sign(): Tensor {
    return ew.sign(this);
  }
  /** Each element clamped into [min, max], same shape ({@link ew.clamp | clamp}); either bound may be null. Both null, or a NaN bound, is a `ConfigError`. */
  clamp(min: number | null, max: number | null = null): Tensor {
    return ew.clamp(this, min, max);
  }
  /** `this == other` elementwise as a bool tensor ({@link ew.eq | eq}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  eq(other: Tensor | number): Tensor {
    return ew.eq(this, other);
  }
  /** `this != other` elementwise as a bool tensor ({@link ew.ne | ne}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  ne(other: Tensor | number): Tensor {
    return ew.ne(this, other);
  }
  /** `this < other` elementwise as a bool tensor ({@link ew.lt | lt}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  lt(other: Tensor | number): Tensor {
    return ew.lt(this, other);
  }
  /** `this ≤ other` elementwise as a bool tensor ({@link ew.le | le}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  le(other: Tensor | number): Tensor {
    return ew.le(this, other);
  }
  /** `this > other` elementwise as a bool tensor ({@link ew.gt | gt}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  gt(other: Tensor | number): Tensor {
    return ew.gt(this, other);
  }
  /** `this ≥ other` elementwise as a bool tensor ({@link ew.ge | ge}; no gradient). Shapes broadcast as in PyTorch (`[B, T, H]` with `[H]`); a `ShapeError` names both shapes when they do not. */
  ge(other: Tensor | number): Tensor {
    return ew.ge(this, other);
  }
  /** A copy with `value` where `mask` is true ({@link ew.maskedFill | maskedFill}, torch's `masked_fill`, out of place). `mask` is bool (else a `DTypeError`) and broadcasts to this tensor's shape (else a `ShapeError`); the gradient is 0 at the filled positions. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return ew.maskedFill(this, mask, value);
  }

  // Linear algebra
  /** The matrix product, as torch.matmul ({@link matmul}): `[N, K] @ [K, M] -> [N, M]`, batched over leading dims (`[B, N, K] @ [K, M] -> [B, N, M]`), and 1-D operands as vectors. Operands are floating and of one dtype (else a `DTypeError`); inner sizes that differ are a `ShapeError` naming both shapes. */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  // Reductions
  /** Sum over `dim` (one dim, several, or every element when omitted: a 0-d tensor), keeping the reduced dims as size 1 when `keepDim` ({@link rd.sum | sum}). `[B, T, H].sum(1) -> [B, H]`. */
  sum(dim?: number | readonly number[], keepDim = false): Tensor {
    return rd.sum(this, dim, keepDim);
  }
  /** Mean over `dim` (or every element), as sum / count ({@link rd.mean | mean}). `[B, T, H].mean(1) -> [B, H]`: the mean-of-embeddings baseline. */
  mean(dim?: number | readonly number[], keepDim = false): Tensor {
    return rd.mean(this, dim, keepDim);
  }
  /** The maximum of every element (0-d), or the maximum values along `dim` ({@link rd.max | max}; the gradient goes to the first maximum). Unlike torch.max, returns the values only: `argmax` gives the indices. An empty tensor is a `ShapeError`. */
  max(dim?: number, keepDim = false): Tensor {
    return rd.max(this, dim, keepDim);
  }
  /** The minimum of every element (0-d), or the minimum values along `dim` ({@link rd.min | min}; the gradient goes to the first minimum). An empty tensor is a `ShapeError`. */
  min(dim?: number, keepDim = false): Tensor {
    return rd.min(this, dim, keepDim);
  }
  /** Index of the first maximum over the flattened tensor, or along `dim`, as int32 ({@link rd.argmax | argmax}; no gradient). `logits [B, C].argmax(1) -> [B]`, the predicted classes. */
  argmax(dim?: number, keepDim = false): Tensor {
    return rd.argmax(this, dim, keepDim);
  }
  /** Index of the first minimum over the flattened tensor, or along `dim`, as int32 ({@link rd.argmin | argmin}; no gradient). */
  argmin(dim?: number, keepDim = false): Tensor {
    return rd.argmin(this, dim, keepDim);
  }
  /** log Σ exp(x) over `dim`, computed stably (shifted by the maximum) ({@link rd.logsumexp | logsumexp}). */
  logsumexp(dim: number | readonly number[], keepDim = false): Tensor {
    return rd.logsumexp(this, dim, keepDim);
  }

  // Shape and movement
  /** The same values in `shape` (one list, or PyTorch's separate sizes: `x.reshape(2, -1)`). */
  reshape(shape: readonly number[]): Tensor;
  reshape(...shape: number[]): Tensor;
  reshape(...sizes: (number | readonly number[])[]): Tensor {
    return mv.reshape(this, sizesOf('Tensor.reshape', sizes));
  }
  /** `reshape` (storage is always contiguous): `x.view([B, -1])` or PyTorch's `x.view(B, -1)`. */
  view(shape: readonly number[]): Tensor;
  view(...shape: number[]): Tensor;
  view(...sizes: (number | readonly number[])[]): Tensor {
    return mv.reshape(this, sizesOf('Tensor.view', sizes));
  }
  /** Dims `startDim`…`endDim` merged into one (`[B, T, H].flatten(1) -> [B, T·H]`), sharing storage ({@link mv.flatten | flatten}). `startDim` after `endDim` is a `ConfigError`. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return mv.flatten(this, startDim, endDim);
  }
  /** The two dims swapped (`[T, B, H].transpose(0, 1) -> [B, T, H]`), as a copy: storage is always contiguous ({@link mv.transpose | transpose}). */
  transpose(dim0: number, dim1: number): Tensor {
    return mv.transpose(this, dim0, dim1);
  }
  /** The dims reordered: output dim i is input dim `dims[i]` ({@link mv.permute | permute}). Takes one list or PyTorch's separate dims (`x.permute(1, 0, 2)`); `dims` that are not a permutation of 0…ndim−1 are a `ShapeError`. */
  permute(dims: readonly number[]): Tensor;
  permute(...dims: number[]): Tensor;
  permute(...dims: (number | readonly number[])[]): Tensor {
    return mv.permute(this, sizesOf('Tensor.permute', dims));
  }
  /** Size-1 dims removed: all of them, or only `dim` (a `dim` of another size is left alone, as PyTorch's) ({@link mv.squeeze | squeeze}). */
  squeeze(dim?: number): Tensor {
    return mv.squeeze(this, dim);
  }
  /** A size-1 dim inserted at `dim`, in [−ndim−1, ndim] (`[B, H].unsqueeze(0) -> [1, B, H]`) ({@link mv.unsqueeze | unsqueeze}). */
  unsqueeze(dim: number): Tensor {
    return mv.unsqueeze(this, dim);
  }
  /** Size-1 dims (and new leading dims) broadcast to `shape`; −1 keeps a size ({@link mv.expand | expand}). Takes one list or PyTorch's separate sizes; expanding a dim that is not 1 to another size is a `ShapeError`. */
  expand(shape: readonly number[]): Tensor;
  expand(...shape: number[]): Tensor;
  expand(...sizes: (number | readonly number[])[]): Tensor {
    return mv.expand(this, sizesOf('Tensor.expand', sizes));
  }
  /** The `length` entries from `start` along `dim` (negative `start` counts from the end) ({@link mv.narrow | narrow}); a range past the end is a `ShapeError`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return mv.narrow(this, dim, start, length);
  }
  /** Python's `x[start:end:step]` along `dim`: negative indices wrap, out-of-range ends clamp, `step` > 0 (else a `ConfigError`) ({@link mv.slice | slice}). */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return mv.slice(this, dim, start, end, step);
  }
  /** The sub-tensor at `index` along `dim`, with that dim removed: the last time step of `output [B, T, H]` is `output.select(1, -1)` (`[B, H]`) ({@link mv.select | select}). An index out of range is a `ShapeError`. */
  select(dim: number, index: number): Tensor {
    return mv.select(this, dim, index);
  }
  /** Pieces along `dim`: of `splitSizeOrSections` each (the last may be smaller), or of the listed sizes, which must add up to the dim's size (else a `ShapeError`) ({@link mv.split | split}). */
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return mv.split(this, splitSizeOrSections, dim);
  }
  /** `chunks` pieces along `dim` of size ceil(n / chunks), fewer when n is small, as torch.chunk ({@link mv.chunk | chunk}): an LSTM's `[B, 4H]` gates are `gates.chunk(4, 1)`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return mv.chunk(this, chunks, dim);
  }
  /** The order of the elements reversed along `dims` ({@link mv.flip | flip}): a reverse-direction RNN reads `x.flip(0)`. */
  flip(dims: number | readonly number[]): Tensor {
    return mv.flip(this, dims);
  }

  // Indexing
  /** The entries `index` (int32, 0-d or 1-D) along `dim` ({@link idx.indexSelect | indexSelect}); the embedding lookup is `weight.indexSelect(0, ids)`. An index out of range is a `ShapeError` naming it. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  }
  /** torch.gather: `out[i][j][k] = this[i][index[i][j][k]][k]` for dim 1 ({@link idx.gather | gather}); `index` (int32) has this tensor's rank and sizes no larger outside `dim`, else a `ShapeError`. */
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  /** A copy with `src` added at the positions `index` gives along `dim`, torch's `scatter_add` out of place ({@link idx.scatterAdd | scatterAdd}); the inverse of `gather` for gradients. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.scatterAdd(this, dim, index, src);
  }

  // Neural-network functions
  /** exp(x) / Σ exp(x) along `dim`, computed stably ({@link nn.softmax | softmax}): `logits [B, C].softmax(1)` gives class probabilities that sum to 1 per row. */
  softmax(dim: number): Tensor {
    return nn.softmax(this, dim);
  }
  /** log(softmax(x)) along `dim`, computed stably as x − logsumexp(x) ({@link nn.logSoftmax | logSoftmax}); what `nllLoss` expects. */
  logSoftmax(dim: number): Tensor {
    return nn.logSoftmax(this, dim);
  }
}

/** @internal A new tensor of `shape` and `dtype` with zeroed storage. */
export function empty(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(allocate(dtype, numel(shape)), shape, dtype);
}

/**
 * The sizes (or dims) of view/reshape/permute/expand: one list, or PyTorch's separate numbers
 * (`x.view(2, -1)`). A mix is refused rather than half read.
 */
function sizesOf(op: string, args: readonly (number | readonly number[])[]): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  if (args.every((a) => typeof a === 'number')) return args as readonly number[];
  throw new ConfigError(
    op,
    'sizes as numbers or one list of numbers',
    args.map((a) => (Array.isArray(a) ? `[${a.join(', ')}]` : String(a))).join(' and '),
  );
}
