import { BackendError } from '../errors';
import type { Backend } from './backend';
import { jsBackend } from './js/index';
import { createWasmBackend, loadWasmKernels } from './wasm/index';

// The built-in backends: js everywhere, wasm where WebAssembly SIMD128 compiles (Node >= 16.4 and
// every current browser). wasm is the default when present; SEQLAB_BACKEND (Node) overrides it.
const backends = new Map<string, Backend>([['js', jsBackend]]);
const wasm = loadWasmKernels();
if (wasm.ok) backends.set('wasm', createWasmBackend(wasm));

function initialBackend(): { active: Backend; reason: string } {
  const env = typeof process === 'object' ? process.env?.SEQLAB_BACKEND : undefined;
  if (env) {
    const chosen = backends.get(env);
    if (!chosen) {
      throw new BackendError(
        'SEQLAB_BACKEND',
        `one of ${[...backends.keys()].join(', ')}`,
        `'${env}'${env === 'wasm' && !wasm.ok ? ` (${wasm.reason})` : ''}`,
      );
    }
    return { active: chosen, reason: `selected with SEQLAB_BACKEND=${env}` };
  }
  const fast = backends.get('wasm');
  if (fast)
    return { active: fast, reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' };
  return {
    active: jsBackend,
    reason: `default: the pure-TypeScript backend (no wasm: ${wasm.ok ? 'not registered' : wasm.reason})`,
  };
}

let { active, reason } = initialBackend();

/**
 * Makes a backend available to `setBackend` under its `name`. Backends are registered explicitly
 * (never as an import side effect).
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Selects the backend every op uses from now on. Throws a BackendError for an unknown name. */
export function setBackend(name: string): void {
  const backend = backends.get(name);
  if (!backend) {
    throw new BackendError('setBackend', `one of ${[...backends.keys()].join(', ')}`, `'${name}'`);
  }
  active = backend;
  reason = `selected with setBackend('${name}')`;
}

/** The active backend. */
export function backend(): Backend {
  return active;
}

/** The active backend's name and why it was chosen, e.g. `{ name: 'js', reason: 'default: …' }`. */
export function getBackend(): { name: string; reason: string } {
  return { name: active.name, reason };
}

/** Names of the registered backends. */
export function listBackends(): string[] {
  return [...backends.keys()];
}
