import { FormatError, type SeqlabError } from '@seqlab/tensor';

/**
 * How hard a fuzz test (`*.fuzz.test.ts`, properties written with fast-check) runs. In `pnpm test`
 * it is a small sample with a fixed seed, so failures reproduce and nothing is timed. Under
 * `pnpm fuzz` (`SEQLAB_FUZZ=1`) it is at least 10,000 cases from a fresh seed, each case held to a
 * wall-time bound, with the heap retained by a case checked too when node runs with `--expose-gc`.
 */
export interface FuzzSettings {
  /** Cases per property (fast-check's `numRuns`). `SEQLAB_FUZZ_RUNS` overrides it. */
  numRuns: number;
  /** fast-check's `seed`: fixed in the test suite, random under `pnpm fuzz` (fast-check prints it on failure). */
  seed: number | undefined;
  /** The two as fast-check's parameters: `fc.assert(property, fuzz.params)`. */
  params: {
    /** Cases per property. */
    numRuns: number;
    /** The seed; absent under `pnpm fuzz`, so fast-check draws one. */
    seed?: number;
  };
  /** Per-case wall-time bound in milliseconds, or null (the test suite never asserts timings). */
  timeLimitMs: number | null;
  /** Measure retained heap growth (with `gc()`) every this many cases, or null. */
  heapEvery: number | null;
  /** A vitest timeout for one property, in milliseconds. */
  testTimeout: number;
}

/** The test suite's seed: any fixed number keeps the sample reproducible. */
const SAMPLE_SEED = 20261204;

/**
 * The settings for this process: a 200-case seeded sample, or `pnpm fuzz`'s 10,000 timed cases.
 *
 * @example
 * ```ts
 * const fuzz = fuzzSettings();
 * test('parseSafetensors', { timeout: fuzz.testTimeout }, () => {
 *   fc.assert(fc.property(files, (bytes) => { checkCase(fuzz, () => parseSafetensors(bytes), { inputSize: bytes.length }); }), fuzz.params);
 * });
 * ```
 */
export function fuzzSettings(sampleRuns = 200): FuzzSettings {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const fuzzing = env.SEQLAB_FUZZ === '1';
  const override = Number(env.SEQLAB_FUZZ_RUNS);
  const numRuns = Number.isInteger(override) && override > 0 ? override : fuzzing ? 10_000 : sampleRuns;
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  const seed = fuzzing ? undefined : SAMPLE_SEED;
  if (fuzzing && !hasGc)
    console.warn('fuzz: no gc() (run node with --expose-gc, as pnpm fuzz does): heap checks are off');
  return {
    numRuns,
    seed,
    params: seed === undefined ? { numRuns } : { numRuns, seed },
    timeLimitMs: fuzzing ? 2_000 : null,
    heapEvery: fuzzing && hasGc ? 100 : null,
    testTimeout: fuzzing ? 3_600_000 : 60_000,
  };
}

/** What one fuzz case may do. */
export interface CaseBounds<T> {
  /** The error classes the parser documents (default: FormatError). Anything else fails the case. */
  errors?: readonly (abstract new (
    ...args: never[]
  ) => SeqlabError)[];
  /** The size of the input in bytes (or UTF-16 units), from which the allocation bounds derive. */
  inputSize: number;
  /**
   * The bytes the result holds (e.g. the tensors' byteLength), checked against `maxResultBytes`.
   * Leave it out when the result has no size worth bounding.
   */
  resultBytes?: (result: T) => number;
  /** The bound for `resultBytes` (default: 4 × inputSize + 4096). */
  maxResultBytes?: number;
  /** The bound on heap retained by the case under `pnpm fuzz` (default: 64 × inputSize + 8 MiB). */
  maxRetainedBytes?: number;
}

/** Counts cases so heap checks run every `heapEvery` cases. */
let caseCount = 0;

/**
 * Runs one fuzz case: `run` must return or throw one of the documented error classes, leave
 * `Object.prototype` as it was, hold no more than the bounds allow, and (under `pnpm fuzz`) finish
 * within the time bound. Throws an Error describing the violation, which fails the property.
 * Returns the result, or undefined when `run` threw a documented error.
 */
export function checkCase<T>(settings: FuzzSettings, run: () => T, bounds: CaseBounds<T>): T | undefined {
  const before = prototypeKeys();
  const heap = startHeap(settings);
  const start = performance.now();
  let result: T | undefined;
  try {
    result = run();
  } catch (error) {
    checkError(error, bounds);
  }
  return finish(settings, bounds, before, heap, start, result);
}

/** `checkCase` for a parser that returns a promise (the streaming readers). */
export async function checkCaseAsync<T>(
  settings: FuzzSettings,
  run: () => Promise<T>,
  bounds: CaseBounds<T>,
): Promise<T | undefined> {
  const before = prototypeKeys();
  const heap = startHeap(settings);
  const start = performance.now();
  let result: T | undefined;
  try {
    result = await run();
  } catch (error) {
    checkError(error, bounds);
  }
  return finish(settings, bounds, before, heap, start, result);
}

function checkError<T>(error: unknown, bounds: CaseBounds<T>): void {
  const allowed = bounds.errors ?? [FormatError];
  if (allowed.some((cls) => error instanceof cls)) return;
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  throw new Error(`threw ${what}, not one of ${allowed.map((c) => c.name).join(', ')}`, { cause: error });
}

function finish<T>(
  settings: FuzzSettings,
  bounds: CaseBounds<T>,
  before: string,
  heap: number | null,
  start: number,
  result: T | undefined,
): T | undefined {
  const elapsed = performance.now() - start;
  if (settings.timeLimitMs !== null && elapsed > settings.timeLimitMs) {
    throw new Error(`took ${elapsed.toFixed(0)} ms, more than the bound of ${settings.timeLimitMs} ms`);
  }
  const after = prototypeKeys();
  if (after !== before) throw new Error(`changed Object.prototype: [${before}] became [${after}]`);
  if (result !== undefined && bounds.resultBytes) {
    const bytes = bounds.resultBytes(result);
    const max = bounds.maxResultBytes ?? 4 * bounds.inputSize + 4096;
    if (bytes > max) {
      throw new Error(`returned ${bytes} bytes from a ${bounds.inputSize}-byte input, more than ${max}`);
    }
  }
  if (heap !== null) {
    const retained = heapBytes() - heap;
    const max = bounds.maxRetainedBytes ?? 64 * bounds.inputSize + 8 * 2 ** 20;
    if (retained > max) {
      throw new Error(
        `retained ${retained} heap bytes for a ${bounds.inputSize}-byte input, more than ${max}`,
      );
    }
  }
  return result;
}

/** Object.prototype's own keys (names and symbols) and its prototype, as one comparable string. */
function prototypeKeys(): string {
  const keys = Reflect.ownKeys(Object.prototype).map(String).sort();
  return `${keys.join(',')}|${Object.getPrototypeOf(Object.prototype)}`;
}

function startHeap(settings: FuzzSettings): number | null {
  caseCount++;
  if (settings.heapEvery === null || caseCount % settings.heapEvery !== 0) return null;
  return heapBytes();
}

/** Live heap and ArrayBuffer bytes after a full collection (needs node --expose-gc). */
function heapBytes(): number {
  const g = globalThis as {
    gc?: () => void;
    process?: { memoryUsage(): { heapUsed: number; arrayBuffers: number } };
  };
  g.gc?.();
  const usage = g.process?.memoryUsage();
  return usage ? usage.heapUsed + usage.arrayBuffers : 0;
}
