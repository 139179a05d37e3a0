import { ConfigError, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { backend as activeBackend, type Backend, registerBackend } from '@seqlab/tensor/backend';

/**
 * Packages that may add a backend when installed. They are loaded on demand with a guarded dynamic
 * import, so the trainer works (and builds) without them.
 */
export const OPTIONAL_BACKEND_PACKAGES = ['@seqlab/native'] as const;

/** What `loadOptionalBackends` did with one optional package. */
export interface OptionalBackendNote {
  package: string;
  /** `registered` (it added a backend), `not installed`, or why it did not load. */
  status: string;
}

const isBackend = (x: unknown): x is Backend =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { name?: unknown }).name === 'string' &&
  typeof (x as { gemm?: unknown }).gemm === 'function';

const isMissing = (e: unknown, name: string): boolean =>
  typeof e === 'object' &&
  e !== null &&
  ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes(String((e as { code?: unknown }).code)) &&
  String((e as { message?: unknown }).message).includes(name);

/**
 * Registers the backends of the optional packages that are installed (today `@seqlab/native`), so
 * `listBackends()` names them. A package registers its backend through an exported
 * `registerNative()` (@seqlab/native) / `registerNativeBackend()` / `register()` function, or exports the `Backend` object itself
 * (`nativeBackend` or the default export), which is then passed to `registerBackend`. Never
 * throws: a package that is missing or fails to load is reported in the notes.
 */
export async function loadOptionalBackends(
  packages: readonly string[] = OPTIONAL_BACKEND_PACKAGES,
  importer: (specifier: string) => Promise<Record<string, unknown>> = (specifier) => import(specifier),
): Promise<OptionalBackendNote[]> {
  const notes: OptionalBackendNote[] = [];
  for (const name of packages) {
    try {
      const before = new Set(listBackends());
      const mod = await importer(name);
      for (const key of ['registerNative', 'registerNativeBackend', 'register']) {
        const register = mod[key];
        if (typeof register === 'function') {
          await register();
          break;
        }
      }
      for (const candidate of [mod.nativeBackend, mod.default]) {
        if (isBackend(candidate) && !listBackends().includes(candidate.name)) registerBackend(candidate);
      }
      const added = listBackends().filter((b) => !before.has(b));
      notes.push({
        package: name,
        status: added.length > 0 ? `registered ${added.join(', ')}` : 'loaded, registered no new backend',
      });
    } catch (e) {
      notes.push({
        package: name,
        status: isMissing(e, name)
          ? 'not installed'
          : `failed to load: ${(e as Error)?.message ?? String(e)}`,
      });
    }
  }
  return notes;
}

/** How the active backend runs: its name, the threads it uses and the instruction set it chose. */
export interface BackendInfo {
  backend: string;
  /** Threads the backend computes on: its own `threads` if it reports one, else 1. */
  threads: number;
  /** Its own `isa` if it reports one (e.g. `avx512`), else `wasm-simd128` for wasm, `js` for js. */
  isa: string;
}

/** Reads `threads` / `isa` from a backend, as a number/string or a zero-argument function returning one. */
function field(b: object, key: 'threads' | 'isa'): unknown {
  const value = (b as Record<string, unknown>)[key];
  return typeof value === 'function' ? (value as () => unknown).call(b) : value;
}

const DEFAULT_ISA: Record<string, string> = { js: 'js', wasm: 'wasm-simd128' };

/** The active backend's (or `b`'s) `BackendInfo`. */
export function backendInfo(b: Backend = activeBackend()): BackendInfo {
  const threads = field(b, 'threads');
  const isa = field(b, 'isa');
  return {
    backend: b.name,
    threads: typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 ? threads : 1,
    isa: typeof isa === 'string' && isa !== '' ? isa : (DEFAULT_ISA[b.name] ?? 'unknown'),
  };
}

/**
 * Loads the optional backends, then selects `name` (when given). Throws a ConfigError naming the
 * available backends, and why an optional package did not load, for a name that is not there.
 */
export async function useBackend(name: string | undefined): Promise<OptionalBackendNote[]> {
  const notes = await loadOptionalBackends();
  if (name !== undefined && name !== getBackend().name) {
    if (!listBackends().includes(name)) {
      const why = notes.map((n) => `${n.package}: ${n.status}`).join('; ');
      throw new ConfigError('bench speed', `--backend one of ${listBackends().join(', ')}`, `'${name}'`, why);
    }
    setBackend(name);
  }
  return notes;
}
