import { BackendError } from '../errors';
import type { Backend } from './backend';
import { jsBackend } from './js/index';

const backends = new Map<string, Backend>([['js', jsBackend]]);
let active: Backend = jsBackend;
let reason = 'default: the pure-TypeScript backend runs everywhere';

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
