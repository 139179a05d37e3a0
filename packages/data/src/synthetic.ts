import {
  ConfigError,
  checkOptions,
  defaultGenerator,
  Generator,
  optionKeys,
  type Tensor,
  tensor,
} from '@seqlab/tensor';

/** Options shared by the synthetic tasks. */
export interface SyntheticOptions {
  /** Seed of a fresh generator for this call. */
  seed?: number;
  /** Generator to draw from (ignored when `seed` is given). Default: the global one (`manualSeed`). */
  generator?: Generator;
  /**
   * Lay sequences out as [B, T, …] (default true, as the reference scripts, which feed
   * `batch_first=True` RNNs) or as [T, B, …] for layers left at PyTorch's `batchFirst: false`.
   */
  batchFirst?: boolean;
}
const SYNTHETIC_KEYS = optionKeys<SyntheticOptions>({ seed: true, generator: true, batchFirst: true });

/** A batch of the adding problem. */
export interface AddingProblemBatch {
  /** float32 [B, T, 2] (or [T, B, 2]): channel 0 the values, channel 1 the two markers. */
  input: Tensor;
  /** float32 [B]: the sum of each sequence's two marked values, in [0, 2). */
  target: Tensor;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997), generated exactly as the PyTorch reference
 * `adding_problem.py`'s `make_batch` (the variant of Le et al. 2015 / Arjovsky et al. 2016):
 * B × T values uniform in [0, 1), then for each sequence one marker uniform in [0, ⌊T/2⌋) and one
 * uniform in [⌊T/2⌋, T) (drawn in that order: all values, all first markers, all second markers).
 * Target = the sum of the two marked values. Predicting 1 gives MSE ≈ 2/12 ≈ 0.167, the baseline.
 *
 * Porting note: the reference returns the target as [B, 1]; this returns [B]. seqlab's generator is
 * not torch's, so the same seed gives different (equally distributed) numbers; pass
 * `{ generator: new TorchGenerator(seed) }` to get the reference's own batch for that seed.
 *
 * @example
 * ```ts
 * const { input, target } = addingProblem(64, 100, { seed: 0 }); // input [64, 100, 2], target [64]
 * ```
 */
export function addingProblem(
  batchSize: number,
  T: number,
  options: SyntheticOptions = {},
): AddingProblemBatch {
  const op = 'addingProblem';
  checkOptions(op, options, SYNTHETIC_KEYS);
  checkSize(op, 'batchSize', batchSize, 1);
  checkSize(op, 'T (sequence length)', T, 2);
  const g = pickGenerator(op, options);
  const batchFirst = options.batchFirst ?? true;
  const B = batchSize;
  const values = new Float32Array(B * T);
  for (let i = 0; i < values.length; i++) values[i] = g.uniform();
  const half = Math.floor(T / 2);
  const first = Array.from({ length: B }, () => g.int(half));
  const second = Array.from({ length: B }, () => half + g.int(T - half));
  const input = new Float32Array(B * T * 2);
  const target = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const at = (batchFirst ? b * T + t : t * B + b) * 2;
      input[at] = values[b * T + t];
      input[at + 1] = t === first[b] || t === second[b] ? 1 : 0;
    }
    target[b] = values[b * T + first[b]] + values[b * T + second[b]];
  }
  return {
    input: tensor(input, { shape: batchFirst ? [B, T, 2] : [T, B, 2] }),
    target: tensor(target, { shape: [B] }),
  };
}

/** Options of `copyTask`. */
export interface CopyTaskOptions extends SyntheticOptions {
  /** Symbols to remember (the reference's 10). */
  copyLength?: number;
  /** Alphabet size: symbols are 1 … numSymbols (the reference's 8). */
  numSymbols?: number;
}
const COPY_TASK_KEYS = optionKeys<CopyTaskOptions>({
  seed: true,
  generator: true,
  batchFirst: true,
  copyLength: true,
  numSymbols: true,
});

/** A batch of the copy task. */
export interface CopyTaskBatch {
  /** int32 [B, T + 2S] (or [T + 2S, B]): S symbols, T − 1 blanks, the delimiter, S blanks. */
  input: Tensor;
  /** int32, same shape: T + S blanks, then the S symbols. */
  target: Tensor;
  /** The delimiter id, numSymbols + 1 (blank is 0); the vocabulary has numSymbols + 2 ids. */
  delimiter: number;
}

/**
 * The copying-memory task (Hochreiter & Schmidhuber 1997; as in Arjovsky et al. 2016): read S random
 * symbols, wait T steps, and after the delimiter write the S symbols back. With S = 10 and 8 symbols,
 * always predicting blanks, then random symbols, scores a cross-entropy of S·ln 8 / (T + 2S), the
 * memoryless baseline.
 *
 * Layout for one sequence, total length T + 2S: input `s₁ … s_S, 0 × (T − 1), delimiter, 0 × S`;
 * target `0 × (T + S), s₁ … s_S`.
 *
 * @example
 * ```ts
 * const { input, target } = copyTask(32, 100, { seed: 0 }); // both int32 [32, 120]
 * ```
 */
export function copyTask(batchSize: number, T: number, options: CopyTaskOptions = {}): CopyTaskBatch {
  const op = 'copyTask';
  checkOptions(op, options, COPY_TASK_KEYS);
  checkSize(op, 'batchSize', batchSize, 1);
  checkSize(op, 'T (delay)', T, 1);
  const S = options.copyLength ?? 10;
  const K = options.numSymbols ?? 8;
  checkSize(op, 'copyLength', S, 1);
  checkSize(op, 'numSymbols', K, 1);
  const g = pickGenerator(op, options);
  const batchFirst = options.batchFirst ?? true;
  const B = batchSize;
  const L = T + 2 * S;
  const input = new Int32Array(B * L);
  const target = new Int32Array(B * L);
  const at = (b: number, t: number) => (batchFirst ? b * L + t : t * B + b);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const symbol = 1 + g.int(K);
      input[at(b, s)] = symbol;
      target[at(b, T + S + s)] = symbol;
    }
    input[at(b, S + T - 1)] = K + 1;
  }
  const shape = batchFirst ? [B, L] : [L, B];
  return { input: tensor(input, { shape }), target: tensor(target, { shape }), delimiter: K + 1 };
}

function checkSize(op: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(op, `${name} an integer ≥ ${min}`, `${value}`);
  }
}

function pickGenerator(op: string, options: SyntheticOptions): Generator {
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed))
      throw new ConfigError(op, 'seed a safe integer', `${options.seed}`);
    return new Generator(options.seed);
  }
  return options.generator ?? defaultGenerator();
}
