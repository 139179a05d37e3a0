import { availableParallelism } from 'node:os';
import { ConfigError } from '@seqlab/tensor';
import { registerBackend } from '@seqlab/tensor/backend';
import type { NativeIsa } from './addon';
import { createNativeBackend } from './backend';
import { loadNative } from './load';

/** Options of `registerNative`. */
export interface RegisterNativeOptions {
  /**
   * Threads of the pool, the calling thread included. Default: SEQLAB_THREADS when set, else the
   * cores available to this process (`os.availableParallelism()`).
   */
  threads?: number;
  /**
   * Make `native` the active backend unless SEQLAB_BACKEND or `setBackend` chose one (default
   * true). With false it is only registered, for `setBackend('native')`.
   */
  default?: boolean;
  /**
   * Have the process's malloc keep the memory typed arrays free, for the next ones (default false):
   * arrays up to 32 MiB come from the heap and up to 1 GiB of freed memory stays mapped, instead
   * of fresh pages that the kernel faults in and zeroes on first touch. V8 frees a step's arrays in
   * bursts, at a collection, and glibc hands those megabytes back to the kernel, so the next
   * steps' arrays fault their pages in again. It changes the whole process's allocator (glibc's
   * `mallopt`; no effect with another C library),
   * and the resident size stays at its high-water mark: an application's choice, which the
   * `seqlab` CLI makes.
   */
  retainFreedMemory?: boolean;
}

/** What the native backend runs on, or why it is not available. */
export type NativeStatus =
  | {
      ok: true;
      /** The GEMM micro-kernel's instruction set, and why no faster one was taken. */
      isa: NativeIsa;
      isaReason: string;
      /** Threads of the pool, the calling thread included. */
      threads: number;
      /** The addon file that was loaded. */
      path: string;
    }
  | { ok: false; reason: string };

function checkThreads(op: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1024) {
    throw new ConfigError(
      op,
      'an integer from 1 to 1024',
      typeof value === 'string' ? `'${value}'` : String(value),
    );
  }
  return value;
}

/** The pool size: the option, else SEQLAB_THREADS, else the available cores. */
export function resolveThreads(option: number | undefined, env = process.env.SEQLAB_THREADS): number {
  if (option !== undefined) return checkThreads('registerNative: threads', option);
  if (env !== undefined && env !== '') {
    const parsed = /^\d+$/.test(env.trim()) ? Number(env) : env;
    return checkThreads('SEQLAB_THREADS', parsed);
  }
  return availableParallelism();
}

/** The status of the native backend without registering it (for `seqlab doctor`). */
export function nativeStatus(): NativeStatus {
  const load = loadNative();
  if (!load.ok) return load;
  const info = load.addon.gemmInfo();
  return { ok: true, isa: info.isa, isaReason: info.reason, threads: load.addon.threads(), path: load.path };
}

/** Resizes the native thread pool (the calling thread included). Throws a ConfigError when the addon is not loaded or `n` is not an integer from 1 to 1024. */
export function setNativeThreads(n: number): void {
  const load = loadNative();
  if (!load.ok) throw new ConfigError('setNativeThreads', 'the native addon to be loaded', load.reason);
  load.addon.setThreads(checkThreads('setNativeThreads', n));
}

/**
 * Loads the addon and registers the `native` backend with @seqlab/tensor, sizing its thread pool
 * first; unless told otherwise it becomes the active backend (SEQLAB_BACKEND and `setBackend`
 * still win). Never throws for a missing or broken addon: it returns `{ ok: false, reason }` and
 * seqlab keeps running on wasm or js. Throws a ConfigError for a bad `threads` or SEQLAB_THREADS.
 */
export function registerNative(options: RegisterNativeOptions = {}): NativeStatus {
  const threads = resolveThreads(options.threads);
  const load = loadNative();
  if (!load.ok) return load;
  load.addon.setThreads(threads);
  if (options.retainFreedMemory) load.addon.retainFreedMemory();
  const status = nativeStatus();
  if (!status.ok) return status;
  registerBackend(
    createNativeBackend(load.addon),
    options.default === false
      ? {}
      : { default: `the native addon loaded (${status.isa}, ${status.threads} threads)` },
  );
  return status;
}
