import { ConfigError } from './errors';

// Set by Generator's static block (they read the private state); fillUniforms calls the first.
let drawUniforms: (g: Generator, out: Float32Array | Float64Array) => void;
let stateOf: (g: Generator) => Uint32Array | null;

/**
 * A seeded pseudo-random generator (xoshiro128**, 32-bit state words; splitmix32 seeding). Every
 * random op in seqlab (init, dropout, shuffling, sampling) draws from a generator, by default the
 * global one that `manualSeed` resets, so a run is reproducible bit for bit. `TorchGenerator` is a
 * drop-in subclass that draws PyTorch's numbers instead.
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * g.uniform(); // a float in [0, 1)
 * ```
 */
export class Generator {
  #s = new Uint32Array(4);
  #spare: number | null = null;

  static {
    // The state words in locals for the whole array: the draws of `uniform()`, one per element,
    // bit for bit, at a fraction of a method call's cost each.
    stateOf = (g) =>
      g.uniform === Generator.prototype.uniform && g.nextUint32 === Generator.prototype.nextUint32
        ? g.#s
        : null;
    drawUniforms = (g, out) => {
      const s = g.#s;
      let s0 = s[0];
      let s1 = s[1];
      let s2 = s[2];
      let s3 = s[3];
      for (let i = 0; i < out.length; i++) {
        const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        out[i] = (result >>> 8) / 16777216;
      }
      s[0] = s0;
      s[1] = s1;
      s[2] = s2;
      s[3] = s3;
    };
  }

  constructor(seed = 0) {
    this.#seed(seed);
  }

  /** Resets the state from an integer seed. */
  manualSeed(seed: number): this {
    this.#seed(seed);
    return this;
  }

  #seed(seed: number): void {
    checkSeed(seed);
    // splitmix32 over the low and high 32 bits of the seed.
    let x = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
    this.#spare = null;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * Whether every `uniform()` is a multiple of 2^-24 in [0, 1), which a float32 array holds exactly
   * (dropout then draws its float32 mask in place). True for Generator's and TorchGenerator's own
   * `uniform`, false for a subclass that overrides it.
   * @internal
   */
  get uniformFitsFloat32(): boolean {
    return this.uniform === Generator.prototype.uniform;
  }

  /** A float in [0, 1) with 24 random bits (exactly representable in float32). */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** A standard normal sample (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Fills `data` with uniform samples in [low, high), as `Tensor.uniform_` (the creation ops `rand`
   * and `uniform` call this).
   */
  fillUniform(data: Float32Array | Float64Array, low: number, high: number): void {
    for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * this.uniform();
  }

  /** Fills `data` with normal samples of mean `mean` and standard deviation `std`, as `Tensor.normal_`. */
  fillNormal(data: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < data.length; i++) data[i] = mean + std * this.normal();
  }

  /** An integer uniform in [0, n) (unbiased, by rejection). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new ConfigError('Generator.int', 'an integer bound in [1, 2^32]', `${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A copy of the state, to save in a checkpoint. */
  getState(): number[] {
    return [...this.#s, this.#spare === null ? Number.NaN : this.#spare];
  }

  /** Restores a state from `getState()`. */
  setState(state: readonly number[]): void {
    if (
      state.length !== 5 ||
      state.slice(0, 4).some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new ConfigError(
        'Generator.setState',
        'the 5 numbers returned by getState()',
        JSON.stringify(state),
      );
    }
    this.#s.set(state.slice(0, 4));
    const spare = state[4];
    this.#spare = Number.isNaN(spare) ? null : spare;
  }
}

/** Throws unless `seed` is a safe integer (what every generator accepts). */
export function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new ConfigError('manualSeed', 'a safe integer seed', `${seed}`);
}

/**
 * Fills `out` with `g.uniform()`, element after element, as the loop would (internal: dropout's
 * mask). A generator whose `uniform` is Generator's own draws in one pass over its state; any other
 * (TorchGenerator, a user's subclass) is called per element. Each draw is a multiple of 2^-24 in
 * [0, 1) for Generator and TorchGenerator, so a float32 `out` holds it exactly.
 */
export function fillUniforms(g: Generator, out: Float32Array | Float64Array): void {
  if (uniformState(g)) {
    drawUniforms(g, out);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = g.uniform();
  }
}

/**
 * The state words of a generator whose `uniform()` is Generator's own (xoshiro128**: what
 * `fillUniforms` draws from in a loop), for a kernel that draws the same numbers and advances it
 * in place (the backend's `dropout`); null for one that draws otherwise (TorchGenerator).
 */
export function uniformState(g: Generator): Uint32Array | null {
  return stateOf(g);
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let globalGenerator = new Generator(0);

/** The global generator that random ops use when no `generator` option is given. */
export function defaultGenerator(): Generator {
  return globalGenerator;
}

/**
 * Makes `generator` the global one (what `manualSeed` seeds and random ops draw from when given no
 * `generator` option) and returns the one it replaces, to put back after. With a `TorchGenerator`,
 * module initialisation, `randn` and friends draw exactly PyTorch's numbers.
 *
 * @example
 * ```ts
 * const previous = setDefaultGenerator(new TorchGenerator(0)); // torch.manual_seed(0)
 * try {
 *   // the weights nn.LSTM(16, 64) gets after torch.manual_seed(0)
 *   const lstm = new LSTM({ inputSize: 16, hiddenSize: 64 });
 * } finally {
 *   setDefaultGenerator(previous);
 * }
 * ```
 */
export function setDefaultGenerator(generator: Generator): Generator {
  if (!(generator instanceof Generator))
    throw new ConfigError('setDefaultGenerator', 'a Generator', String(generator));
  const previous = globalGenerator;
  globalGenerator = generator;
  return previous;
}

/** Seeds the global generator (torch.manual_seed): every later random op becomes reproducible. */
export function manualSeed(seed: number): void {
  globalGenerator.manualSeed(seed);
}
