import { describeValue } from '../describe-value';
import { BackendError, ConfigError } from '../errors';
import { checkOptions, optionKeys } from '../options';
import { claimSingleCopy, thisCopy } from '../single-copy';
import type { Backend } from './backend';
import { jsBackend } from './js/index';
import { loadWasmBackend, loadWasmBackendAsync, type WasmBackendLoad } from './wasm/loader';
import { isWasmSource, type WasmSource } from './wasm/wasm-source';

// Before any state is made: a second copy of the package throws here (see NOTE(one-copy)).
claimSingleCopy('@seqlab/tensor', thisCopy());

// NOTE(backend-start-up): importing @seqlab/tensor compiles nothing. The built-in backends are js
// everywhere and wasm where WebAssembly SIMD128 compiles (Node >= 16.4 and every current
// browser); wasm is the default, SEQLAB_BACKEND (Node) or `setBackend` override it. The wasm
// kernels are compiled once, by whichever comes first:
// - `await ready()` (or `ready('wasm')`): `WebAssembly.compile` and `WebAssembly.instantiate`,
//   asynchronously, the way a browser's main thread must compile a module over 4 KB (ours is about
//   48 KB). The ES module build that bundlers give a browser fetches kernels.wasm in `ready()`
//   and compiles it while it downloads (`WebAssembly.compileStreaming`, NOTE(wasm-bytes));
//   `ready({ wasm })` takes the application's URL or bytes instead.
// - the first op, `getBackend()` or `setBackend('wasm')`: synchronously, where the bytes are at
//   hand and the runtime allows it (Node, a Worker). Where it does not (a browser build before
//   `ready()`), the default runs the js kernels until `ready()`, with a warning, and
//   `setBackend('wasm')` throws and names `ready('wasm')`.
// A Content-Security-Policy that refuses WebAssembly (NOTE(wasm-csp)) is never a quiet switch to
// js: a default warns once (console.warn, a BackendError's message naming the directive to add)
// and runs js; an explicit choice of wasm throws or rejects with that BackendError.
const backends = new Map<string, Backend>([['js', jsBackend]]);
const hasWebAssembly = typeof WebAssembly === 'object';
/** How compiling the built-in wasm kernels ended (null: not tried, or may still be tried). */
let wasmLoad: WasmBackendLoad | null = null;
let wasmLoading: Promise<WasmBackendLoad> | null = null;

const WASM_DEFAULT = 'default: WebAssembly SIMD is available (float64 work runs in js)';

// Backends that live in a package of their own and register themselves when the application
// loads them: SEQLAB_BACKEND may name one before it is registered. Until it is, using a kernel
// throws (never a silent fall back to another backend).
const OPTIONAL: Readonly<Record<string, string>> = {
  native:
    "It registers when the application calls `registerNative()` from '@seqlab/native' (the seqlab CLI does)",
};

/** Whether the built-in wasm backend may still be used (not registered yet, and not failed). */
function wasmPossible(): boolean {
  return hasWebAssembly && !backends.has('wasm') && !(wasmLoad !== null && !wasmLoad.ok);
}

/** The names `setBackend` accepts: the registered backends and wasm until it failed to compile. */
function names(): string[] {
  const first = ['js', ...(backends.has('wasm') || wasmPossible() ? ['wasm'] : [])];
  return [...first, ...[...backends.keys()].filter((name) => !first.includes(name))];
}

/**
 * Records how compiling the wasm kernels ended, and registers the backend when it compiled; prints
 * the warning of kernels that compiled the slower way (a server's wrong Content-Type), once.
 */
function settleWasm(load: WasmBackendLoad): WasmBackendLoad {
  if (!load.ok && load.retryAsync) return load;
  if (wasmLoad === null && load.ok && load.warning !== undefined) console.warn(load.warning);
  wasmLoad ??= load;
  if (wasmLoad.ok && !backends.has('wasm')) backends.set('wasm', wasmLoad.backend);
  return wasmLoad;
}

const compileWasmSync = (): WasmBackendLoad => wasmLoad ?? settleWasm(loadWasmBackend());

/** Compiles the kernels once, from `source` (the build's own when undefined); later sources are not used. */
async function compileWasm(source: WasmSource | undefined): Promise<WasmBackendLoad> {
  if (wasmLoad) return wasmLoad;
  wasmLoading ??= loadWasmBackendAsync(source);
  return settleWasm(await wasmLoading);
}

/** The BackendError for wasm kernels that did not compile (NOTE(wasm-csp)). */
function wasmError(op: string, load: Extract<WasmBackendLoad, { ok: false }>): BackendError {
  if (load.blockedByCsp) {
    // Its words come with the load, from the wasm backend's chunk (NOTE(wasm-lazy)).
    return new BackendError(op, load.expected as string, `one that refuses it (${load.reason})`, load.hint);
  }
  if (load.retryAsync) {
    return new BackendError(
      op,
      'the wasm kernels compiled',
      `a synchronous call before they were (${load.reason})`,
      "Call `await ready('wasm')`, which compiles them asynchronously, as a browser's main thread must",
    );
  }
  return new BackendError(op, 'the wasm kernels to compile', `'wasm' (${load.reason})`, load.hint);
}

let warned = false;
/** Warns once that the default backend is js instead of wasm, and why (never a quiet switch). */
function warnOnce(error: BackendError): void {
  if (warned) return;
  warned = true;
  console.warn(`${error.name}: ${error.message}`);
}

/** The js default when the wasm kernels cannot run, and why; quiet only without WebAssembly SIMD. */
function jsDefault(load: Extract<WasmBackendLoad, { ok: false }>): string {
  const quiet =
    load.reason === 'no WebAssembly in this runtime' || load.reason.endsWith('no WebAssembly SIMD128');
  if (!quiet) warnOnce(wasmError('backend', load));
  return load.retryAsync
    ? 'default: the pure-TypeScript backend, until `await ready()` compiles the wasm kernels'
    : `default: the pure-TypeScript backend (no wasm: ${load.reason})`;
}

interface Choice {
  /** The backend, or null for the built-in wasm backend not compiled yet. */
  active: Backend | null;
  reason: string;
  /** A backend SEQLAB_BACKEND names that is not registered yet. */
  pending: string | null;
}

function defaultChoice(): Choice {
  if (hasWebAssembly) return { active: null, reason: WASM_DEFAULT, pending: null };
  return {
    active: jsBackend,
    reason: 'default: the pure-TypeScript backend (no wasm: no WebAssembly in this runtime)',
    pending: null,
  };
}

function initialChoice(): Choice {
  const env = typeof process === 'object' ? process.env?.SEQLAB_BACKEND : undefined;
  if (env) {
    const reason = `selected with SEQLAB_BACKEND=${env}`;
    if (env === 'js') return { active: jsBackend, reason, pending: null };
    if (env === 'wasm' && hasWebAssembly) return { active: null, reason, pending: null };
    if (Object.hasOwn(OPTIONAL, env)) return { ...defaultChoice(), pending: env };
    throw new BackendError('SEQLAB_BACKEND', `one of ${names().join(', ')}`, `'${env}'`);
  }
  return defaultChoice();
}

let { active, reason, pending } = initialChoice();
// SEQLAB_BACKEND or setBackend chose the backend: a backend registered as a default does not
// replace it.
let explicit = pending !== null || reason.startsWith('selected');
// The default fell back to js because the wasm kernels could only compile asynchronously: `ready()`
// switches to wasm.
let awaitingReady = false;

function pendingError(name: string): BackendError {
  return new BackendError('SEQLAB_BACKEND', `one of ${names().join(', ')}`, `'${name}'`, OPTIONAL[name]);
}

/** The backend that runs, compiling the wasm kernels synchronously if they are chosen and not yet. */
function resolveActive(): Backend {
  if (pending !== null) throw pendingError(pending);
  if (active !== null) return active;
  const load = compileWasmSync();
  if (load.ok) {
    active = backends.get('wasm') ?? jsBackend;
    return active;
  }
  if (explicit) throw wasmError('SEQLAB_BACKEND', load);
  active = jsBackend;
  reason = jsDefault(load);
  awaitingReady = load.retryAsync;
  return active;
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
    awaitingReady = false;
  } else if ((active?.name ?? 'wasm') === backend.name) {
    active = backend;
  }
}

/**
 * Selects the backend every op uses from now on. Throws a BackendError for an unknown name, and
 * for 'wasm' when its kernels cannot compile: refused by the page's Content-Security-Policy, or
 * not synchronously (a browser build before `ready()`: call `await ready('wasm')` there).
 */
export function setBackend(name: string): void {
  if (name === 'wasm' && hasWebAssembly && !backends.has('wasm')) {
    const load = compileWasmSync();
    if (!load.ok) throw wasmError('setBackend', load);
  }
  const backend = backends.get(name);
  if (!backend) throw new BackendError('setBackend', `one of ${names().join(', ')}`, `'${name}'`);
  active = backend;
  reason = `selected with setBackend('${name}')`;
  pending = null;
  explicit = true;
  awaitingReady = false;
}

/** Options of `ready`. */
export interface ReadyOptions {
  /** The backend to select, as `setBackend` and `ready(name)` do (default: the chosen one, wasm by default). */
  backend?: string;
  /**
   * Where the wasm kernels come from, when they are not compiled yet: the URL of a `kernels.wasm`
   * (fetched and compiled while it downloads), a `Response`, its bytes, or a `WebAssembly.Module`.
   * Default: kernels.wasm beside the ES module build (`new URL('./kernels.wasm', import.meta.url)`,
   * see the README for bundlers that do not copy it), the bytes built into Node's build. It must be
   * the `dist/kernels.wasm` of this version of @seqlab/tensor. Once the kernels compiled (a first
   * op in Node, or an earlier `ready()`), it is not used.
   */
  wasm?: WasmSource;
}

const READY_KEYS = /* @__PURE__ */ optionKeys<ReadyOptions>({ backend: true, wasm: true });

/** The backend name and the kernels' source of `ready`'s argument; a ConfigError for anything else. */
function readyArgs(arg: string | ReadyOptions | undefined): { name?: string; source?: WasmSource } {
  if (arg === undefined || typeof arg === 'string') return arg === undefined ? {} : { name: arg };
  checkOptions('ready', arg, READY_KEYS);
  const { backend: name, wasm: source } = arg;
  if (source !== undefined && !isWasmSource(source))
    throw new ConfigError(
      'ready',
      'wasm: a URL, a Response, bytes or a WebAssembly.Module',
      describeValue(source),
    );
  return { ...(name === undefined ? {} : { name }), ...(source === undefined ? {} : { source }) };
}

/**
 * Makes the backend ready to run, compiling the wasm kernels asynchronously if they are needed and
 * not compiled yet, and resolves with `getBackend()`. Call it once before the first op in a
 * browser: a page's main thread may not compile them synchronously, and the ES module build
 * fetches them here (kernels.wasm, compiled with `WebAssembly.compileStreaming` while it downloads;
 * see NOTE(backend-start-up)). In Node it is optional.
 *
 * - `ready()`: the chosen backend (the default is wasm). When the page's Content-Security-Policy
 *   refuses WebAssembly, or kernels.wasm cannot be fetched, the default warns once (console.warn,
 *   naming the directive to add or the URL) and resolves with js; when wasm was chosen explicitly
 *   (SEQLAB_BACKEND), it rejects.
 * - `ready(name)`: selects `name` as `setBackend` does; `ready('wasm')` rejects with a BackendError
 *   when the kernels cannot compile (the CSP case names the directive), never falls back to js.
 * - `ready({ backend, wasm })`: the same, with the kernels taken from `wasm` (a URL, a Response,
 *   bytes or a compiled module) instead of the build's own, see ReadyOptions.
 *
 * A server that sends kernels.wasm with another Content-Type than `application/wasm` makes
 * `compileStreaming` refuse it: the kernels are then compiled from the downloaded bytes, with a
 * warning that says so.
 *
 * @throws {ConfigError} (a rejection) for options other than ReadyOptions
 * @example
 * ```ts
 * import { ready, getBackend } from '@seqlab/tensor';
 * await ready(); // before the first op
 * getBackend(); // { name: 'wasm', reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' }
 *
 * // Vite, which does not copy the file in `vite dev` (its dependency pre-bundling):
 * import kernelsUrl from '@seqlab/tensor/kernels.wasm?url';
 * await ready({ wasm: kernelsUrl });
 * ```
 */
export async function ready(arg?: string | ReadyOptions): Promise<{
  /** The backend's name: `js`, `wasm`, `native` or one registered with `setBackend`. */
  name: string;
  /** Why it was chosen: the default and its condition, `setBackend`, or `SEQLAB_BACKEND`. */
  reason: string;
}> {
  const { name, source } = readyArgs(arg);
  if (name === 'wasm' && hasWebAssembly && !backends.has('wasm')) {
    const load = await compileWasm(source);
    if (!load.ok) throw wasmError('ready', load);
  }
  if (name !== undefined) {
    setBackend(name);
    return getBackend();
  }
  if (pending !== null) throw pendingError(pending);
  if ((active === null || awaitingReady) && wasmPossible()) {
    const load = await compileWasm(source);
    // Another call may have chosen a backend while this one waited.
    if (active === null || awaitingReady) {
      awaitingReady = false;
      if (load.ok) {
        active = backends.get('wasm') ?? jsBackend;
        if (!explicit) reason = WASM_DEFAULT;
      } else if (explicit) {
        throw wasmError('ready', load);
      } else {
        active = jsBackend;
        reason = jsDefault(load);
      }
    }
  }
  return getBackend();
}

/**
 * The active backend. Throws a BackendError while SEQLAB_BACKEND names a backend that was never
 * registered (`SEQLAB_BACKEND=native` without `registerNative()`), or names wasm and its kernels
 * do not compile.
 */
export function backend(): Backend {
  if (active !== null && pending === null) return active;
  return resolveActive();
}

/**
 * The active backend's name and why it was chosen, e.g. `{ name: 'js', reason: 'default: …' }`.
 * Throws as `backend()` does.
 */
export function getBackend(): {
  /** The backend's name: `js`, `wasm`, `native` or one registered with `setBackend`. */
  name: string;
  /** Why it was chosen: the default and its condition, `setBackend`, or `SEQLAB_BACKEND`. */
  reason: string;
} {
  return { name: resolveActive().name, reason };
}

/**
 * Names of the backends `setBackend` accepts: the registered ones, and wasm where WebAssembly
 * exists until its kernels failed to compile (listing compiles nothing).
 */
export function listBackends(): string[] {
  return names();
}
