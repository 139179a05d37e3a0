import { BackendError } from '../errors';
import { claimSingleCopy, thisCopy } from '../single-copy';
import type { Backend } from './backend';
import { jsBackend } from './js/index';
import { createWasmBackend, loadWasmKernels } from './wasm/index';

// Before any state is made: a second copy of the package throws here (see NOTE(one-copy)).
claimSingleCopy('@seqlab/tensor', thisCopy());

// The built-in backends: js everywhere, wasm where WebAssembly SIMD128 compiles (Node >= 16.4 and
// every current browser). wasm is the default when present; SEQLAB_BACKEND (Node) overrides it.
const backends = new Map<string, Backend>([['js', jsBackend]]);
const wasm = loadWasmKernels();
if (wasm.ok) backends.set('wasm', createWasmBackend(wasm));

// Backends that live in a package of their own and register themselves when the application
// loads them: SEQLAB_BACKEND may name one before it is registered. Until it is, using a kernel
// throws (never a silent fall back to another backend).
const OPTIONAL: Readonly<Record<string, string>> = {
  native:
    "It registers when the application calls `registerNative()` from '@seqlab/native' (the seqlab CLI does)",
};

function defaultBackend(): { active: Backend; reason: string } {
  const fast = backends.get('wasm');
  if (fast)
    return { active: fast, reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' };
  return {
    active: jsBackend,
    reason: `default: the pure-TypeScript backend (no wasm: ${wasm.ok ? 'not registered' : wasm.reason})`,
  };
}

function initialBackend(): { active: Backend; reason: string; pending: string | null } {
  const env = typeof process === 'object' ? process.env?.SEQLAB_BACKEND : undefined;
  if (env) {
    const chosen = backends.get(env);
    if (chosen) return { active: chosen, reason: `selected with SEQLAB_BACKEND=${env}`, pending: null };
    if (Object.hasOwn(OPTIONAL, env)) return { ...defaultBackend(), pending: env };
    throw new BackendError(
      'SEQLAB_BACKEND',
      `one of ${[...backends.keys()].join(', ')}`,
      `'${env}'${env === 'wasm' && !wasm.ok ? ` (${wasm.reason})` : ''}`,
    );
  }
  return { ...defaultBackend(), pending: null };
}

let { active, reason, pending } = initialBackend();
// SEQLAB_BACKEND or setBackend chose the backend: a backend registered as a default does not
// replace it.
let explicit = pending !== null || reason.startsWith('selected');

function pendingError(name: string): BackendError {
  return new BackendError(
    'SEQLAB_BACKEND',
    `one of ${[...backends.keys()].join(', ')}`,
    `'${name}'`,
    OPTIONAL[name],
  );
}

/** Options of `registerBackend`. */
export interface RegisterBackendOptions {
  /**
   * Make the backend the active one, with this reason (`getBackend().reason` becomes `default: `
   * followed by it), unless SEQLAB_BACKEND or `setBackend` chose a backend. For a faster backend
   * that the application loaded, e.g. `'the native addon loaded (avx512, 2 threads)'`.
   */
  default?: string;
}

/**
 * Makes a backend available to `setBackend` under its `name`. Backends are registered explicitly
 * (never as an import side effect). Registering a name again replaces that backend, also when it
 * is the active one. A backend named by SEQLAB_BACKEND before it was registered becomes active
 * now.
 */
export function registerBackend(backend: Backend, options: RegisterBackendOptions = {}): void {
  backends.set(backend.name, backend);
  if (pending === backend.name) {
    active = backend;
    reason = `selected with SEQLAB_BACKEND=${pending}`;
    pending = null;
  } else if (options.default !== undefined && !explicit) {
    active = backend;
    reason = `default: ${options.default}`;
  } else if (active.name === backend.name) {
    active = backend;
  }
}

/** Selects the backend every op uses from now on. Throws a BackendError for an unknown name. */
export function setBackend(name: string): void {
  const backend = backends.get(name);
  if (!backend) {
    throw new BackendError('setBackend', `one of ${[...backends.keys()].join(', ')}`, `'${name}'`);
  }
  active = backend;
  reason = `selected with setBackend('${name}')`;
  pending = null;
  explicit = true;
}

/**
 * The active backend. Throws a BackendError while SEQLAB_BACKEND names a backend that was never
 * registered (`SEQLAB_BACKEND=native` without `registerNative()`).
 */
export function backend(): Backend {
  if (pending !== null) throw pendingError(pending);
  return active;
}

/**
 * The active backend's name and why it was chosen, e.g. `{ name: 'js', reason: 'default: …' }`.
 * Throws as `backend()` does.
 */
export function getBackend(): { name: string; reason: string } {
  if (pending !== null) throw pendingError(pending);
  return { name: active.name, reason };
}

/** Names of the registered backends. */
export function listBackends(): string[] {
  return [...backends.keys()];
}
