import { ConfigError } from './errors';
import { checkSeed, Generator } from './random';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const TWO_POW_32 = 0x100000000;
/**
 * 2^-24 and 2^-53: the steps of PyTorch's float32 and float64 uniforms (pure calls: a bundler
 * drops them with the generator, which `**` would keep).
 */
const FLOAT_STEP = /* @__PURE__ */ 2 ** -24;
const DOUBLE_STEP = /* @__PURE__ */ 2 ** -53;
/** Below this many elements PyTorch draws normals one at a time; from it on, in blocks of 16. */
const FILL_MIN = 16;

/**
 * PyTorch's CPU generator, draw for draw: `new TorchGenerator(s)` (or `manualSeed(s)` on it) then
 * `rand`, `randn`, `uniform` and `randint` return what `torch.manual_seed(s)` then `torch.rand`,
 * `torch.randn`, `Tensor.uniform_` and `torch.randint` return (PyTorch 1.13, checked against its
 * output by a golden test). Made the global generator with `setDefaultGenerator`, it gives seqlab's
 * layers the initial weights PyTorch's would get: `nn.RNN`, `nn.LSTM`, `nn.GRU`, `nn.Linear` and
 * `nn.Embedding` draw their parameters in the same order and the same way.
 *
 * What it reproduces, after PyTorch (ATen's `mt19937`, `uniform_real_distribution`,
 * `normal_distribution` and `normal_fill`):
 * - the engine: 32-bit MT19937 seeded with the low 32 bits of the seed;
 * - float32 uniforms from 24 bits of one draw, float64 uniforms from 53 bits of two;
 * - normals for fewer than 16 elements one at a time (Box–Muller in float64, the second value kept
 *   for the next call), and for 16 or more all uniforms first, then Box–Muller on blocks of 16 (the
 *   last block recomputed from fresh uniforms when the size is not a multiple of 16);
 * - integers as `draw % n`.
 *
 * Uniforms and integers are PyTorch's bit for bit; float32 normals can differ from PyTorch's in
 * the last few bits (its vectorised log / sin / cos are not correctly rounded; the golden test
 * allows 4 ulp), float64 normals by libm rounding (1e-14). Dropout masks and `DataLoader` shuffles follow seqlab's own algorithms, not
 * PyTorch's `bernoulli_` and `randperm`, so only initialisation and the creation ops match.
 *
 * @example
 * ```ts
 * const g = new TorchGenerator(0);
 * rand([3], { generator: g }).toArray(); // [0.4963, 0.7682, 0.0885] as torch.manual_seed(0); torch.rand(3)
 * ```
 */
export class TorchGenerator extends Generator {
  #mt = new Uint32Array(N);
  #left = 1;
  #next = 0;
  /** Box–Muller's second value, kept for the next scalar normal (PyTorch's next_double_normal_sample). */
  #nextNormal: number | null = null;

  constructor(seed = 0) {
    super(0);
    this.manualSeed(seed);
  }

  /** Resets the engine as torch.manual_seed(seed) does (the low 32 bits seed MT19937). */
  override manualSeed(seed: number): this {
    checkSeed(seed);
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let j = 1; j < N; j++) {
      const prev = mt[j - 1];
      mt[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
    this.#left = 1;
    this.#next = 0;
    this.#nextNormal = null;
    return this;
  }

  /** The next 32 bits of the engine (torch's `random()`). */
  override nextUint32(): number {
    if (--this.#left === 0) this.#twist();
    let y = this.#mt[this.#next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** @internal */
  override get uniformFitsFloat32(): boolean {
    return this.uniform === TorchGenerator.prototype.uniform;
  }

  /** A float32 uniform in [0, 1): the low 24 bits of one draw. */
  override uniform(): number {
    return (this.nextUint32() & 0xffffff) * FLOAT_STEP;
  }

  /** A float64 uniform in [0, 1): the low 53 bits of two draws (torch's `random64()`). */
  uniform64(): number {
    const high = this.nextUint32();
    const low = this.nextUint32();
    return ((high & 0x1fffff) * TWO_POW_32 + low) * DOUBLE_STEP;
  }

  /** A standard normal as PyTorch draws one element (float64 Box–Muller, the sine kept for next time). */
  override normal(): number {
    if (this.#nextNormal !== null) {
      const v = this.#nextNormal;
      this.#nextNormal = null;
      return v;
    }
    const u1 = this.uniform64();
    const u2 = this.uniform64();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.#nextNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An integer in [0, n): PyTorch's `draw % n` (slightly biased for large n, as PyTorch's). */
  override int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new ConfigError('TorchGenerator.int', 'an integer bound in [1, 2^32]', `${n}`);
    }
    if (n === TWO_POW_32) {
      this.nextUint32(); // PyTorch draws 64 bits for ranges of 2^32 and more; the high word drops out
      return this.nextUint32();
    }
    return this.nextUint32() % n;
  }

  /** Tensor.uniform_: float32 from 24-bit draws in float32 arithmetic, float64 from 53-bit draws. */
  override fillUniform(data: Float32Array | Float64Array, low: number, high: number): void {
    if (data instanceof Float32Array) {
      const from = Math.fround(low);
      const span = Math.fround(Math.fround(high) - from);
      // x · span + from in one rounding: PyTorch's kernel is compiled with FMA contraction.
      for (let i = 0; i < data.length; i++) data[i] = this.uniform() * span + from;
    } else {
      const span = high - low;
      for (let i = 0; i < data.length; i++) data[i] = fusedMultiplyAdd(this.uniform64(), span, low);
    }
  }

  /** Tensor.normal_: one at a time below 16 elements, PyTorch's block-of-16 fill from 16 on. */
  override fillNormal(data: Float32Array | Float64Array, mean = 0, std = 1): void {
    if (data.length < FILL_MIN) {
      for (let i = 0; i < data.length; i++) data[i] = fusedMultiplyAdd(this.normal(), std, mean);
      return;
    }
    const single = data instanceof Float32Array;
    const draw = single ? () => this.uniform() : () => this.uniform64();
    for (let i = 0; i < data.length; i++) data[i] = draw();
    for (let i = 0; i + FILL_MIN <= data.length; i += FILL_MIN) boxMuller16(data, i, mean, std, single);
    const tail = data.length % FILL_MIN;
    if (tail !== 0) {
      const start = data.length - FILL_MIN;
      for (let i = start; i < data.length; i++) data[i] = draw();
      boxMuller16(data, start, mean, std, single);
    }
  }

  /** The engine's 624 words, then the position, the draws left and the kept normal (NaN if none). */
  override getState(): number[] {
    return [...this.#mt, this.#next, this.#left, this.#nextNormal ?? Number.NaN];
  }

  /** Restores a state from `getState()`. */
  override setState(state: readonly number[]): void {
    const words = state.slice(0, N);
    const [next, left] = [state[N], state[N + 1]];
    if (
      state.length !== N + 3 ||
      words.some((v) => !Number.isInteger(v) || v < 0 || v >= TWO_POW_32) ||
      !Number.isInteger(next) ||
      !Number.isInteger(left) ||
      next < 0 ||
      left < 1 ||
      next + left > N + 1
    ) {
      throw new ConfigError(
        'TorchGenerator.setState',
        `the ${N + 3} numbers returned by getState()`,
        `${state.length} numbers`,
      );
    }
    this.#mt.set(words);
    this.#next = next;
    this.#left = left;
    const kept = state[N + 2];
    this.#nextNormal = Number.isNaN(kept) ? null : kept;
  }

  #twist(): void {
    const mt = this.#mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & UPPER) | (mt[(k + 1) % N] & LOWER);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (mt[(k + 1) % N] & 1 ? MATRIX_A : 0);
    }
    this.#left = N;
    this.#next = 0;
  }
}

/** Veltkamp's splitter for float64: 2^27 + 1. */
const SPLITTER = 134217729;

/**
 * a · b + c with one rounding, as the FMA instruction PyTorch's compiled kernels use (JavaScript
 * has no Math.fma): the exact product and sum as float64 pairs (Dekker's two-product, Knuth's
 * two-sum), then added up. Correctly rounded but for rare double-rounding ties.
 */
function fusedMultiplyAdd(a: number, b: number, c: number): number {
  const p = a * b;
  const ca = SPLITTER * a;
  const aHi = ca - (ca - a);
  const aLo = a - aHi;
  const cb = SPLITTER * b;
  const bHi = cb - (cb - b);
  const bLo = b - bHi;
  const pErr = aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo;
  const s = p + c;
  const v = s - p;
  const sErr = p - (s - v) + (c - v);
  return s + (sErr + pErr);
}

/** 2π in float32, as PyTorch's vectorised fill holds it. */
const TWO_PI_F32 = /* @__PURE__ */ (() => Math.fround(2 * Math.PI))();

/**
 * PyTorch's normal_fill_16: uniforms at [i, i+16) become normals, the first 8 paired with the last 8
 * (u1 = 1 − x[j] for the radius, u2 = x[j+8] for the angle). For float32 data as its AVX2 kernel:
 * float32 arithmetic, the angle from float32 2π, and `n · std + mean` fused; for float64 data as its
 * scalar one, in float64 (the compiler fuses its multiply-adds too).
 */
function boxMuller16(
  data: Float32Array | Float64Array,
  i: number,
  mean: number,
  std: number,
  single: boolean,
): void {
  const f = single ? Math.fround : (x: number) => x;
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[i + j]);
    const u2 = data[i + j + 8];
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = single ? Math.fround(TWO_PI_F32 * u2) : 2 * Math.PI * u2;
    // n · std + mean fused (float32: exact in float64, rounded once on the store).
    data[i + j] = fusedMultiplyAdd(f(radius * f(Math.cos(theta))), std, mean);
    data[i + j + 8] = fusedMultiplyAdd(f(radius * f(Math.sin(theta))), std, mean);
  }
}
