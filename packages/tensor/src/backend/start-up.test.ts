// Backend start-up (NOTE(backend-start-up) in registry.ts): nothing compiles at import, `ready()`
// compiles the wasm kernels asynchronously, Node's synchronous first use still gets wasm, the
// ES module build (kernel-bytes.browser.ts) needs `ready()`, and a Content-Security-Policy that
// refuses WebAssembly is a warning or a rejection naming 'wasm-unsafe-eval', never a quiet js.
// The same in a real page (headless Chromium, main thread, Worker, CSP):
// tools/pack-smoke/browser-bundle.slow.test.ts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { isCspRefusal } from './wasm/module';

/** Chromium's words when a page's CSP has no 'wasm-unsafe-eval' (Chromium 14x; the Chromium test checks them). */
const CHROMIUM_CSP =
  "WebAssembly.compile(): Compiling or instantiating WebAssembly module violates the following Content Security policy directive because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: \"script-src 'self'\".";

/** The real WebAssembly, except that compiling (sync, async or both) throws `error`. */
function refusingWebAssembly(error: () => Error, which: { sync: boolean; async: boolean }) {
  const real = WebAssembly;
  return {
    validate: real.validate,
    Memory: real.Memory,
    Instance: real.Instance,
    instantiate: real.instantiate,
    CompileError: real.CompileError,
    compile: which.async ? () => Promise.reject(error()) : real.compile,
    Module: which.sync
      ? function Module() {
          throw error();
        }
      : real.Module,
  };
}

/**
 * A fresh copy of @seqlab/tensor (its registry in its start-up state), as the ES module build
 * (`browserBuild`: the wasm bytes come from a dynamic import) or Node's, with `webAssembly` in
 * place of the global and `SEQLAB_BACKEND` set.
 */
async function fresh(
  options: { browserBuild?: boolean; webAssembly?: object; env?: string } = {},
): Promise<typeof import('@seqlab/tensor')> {
  vi.resetModules();
  if (options.browserBuild) vi.doMock('./wasm/kernel-bytes', () => import('./wasm/kernel-bytes.browser'));
  else vi.doUnmock('./wasm/kernel-bytes');
  if (options.webAssembly) vi.stubGlobal('WebAssembly', options.webAssembly);
  vi.stubEnv('SEQLAB_BACKEND', options.env ?? '');
  return import('@seqlab/tensor');
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.doUnmock('./wasm/kernel-bytes');
  vi.restoreAllMocks();
});

/** A float32 matmul big enough for the wasm GEMM, the same numbers on every call. */
function product(t: typeof import('@seqlab/tensor')): number[] {
  const a = t.arange(0, 24).reshape([4, 6]).div(7);
  const b = t.arange(0, 30).reshape([6, 5]).div(11);
  return (t.matmul(a, b).toArray() as number[][]).flat();
}

describe('in Node (the CommonJS build, and the sources)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  /** Counts WebAssembly's compile calls in a fresh process, around `script`. */
  const counted = (script: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--conditions=@seqlab/source',
          '--import',
          'tsx',
          '-e',
          `(async () => {
            // Only our module counts (tsx and Node compile lexers of their own).
            const { KERNELS_BASE64 } = await import('./src/backend/wasm/kernels.ts');
            const ours = (bytes) => bytes.byteLength === atob(KERNELS_BASE64).length;
            const calls = { Module: 0, compile: 0 };
            const { Module, compile } = WebAssembly;
            WebAssembly.Module = function (bytes) { calls.Module += ours(bytes); return new Module(bytes); };
            WebAssembly.compile = (bytes) => { calls.compile += ours(bytes); return compile(bytes); };
            const t = await import('@seqlab/tensor');
            const seen = [{ ...calls }];
            ${script}
            console.log(JSON.stringify(seen));
          })()`,
        ],
        { cwd: root, env: { ...process.env, SEQLAB_BACKEND: '' }, encoding: 'utf8' },
      ),
    );

  test('importing compiles nothing; the first op compiles the kernels synchronously, once', () => {
    const seen = counted(`
      seen.push(t.listBackends(), { ...calls });
      t.tensor([1, 2]).add(1);
      t.tensor([1, 2]).add(1);
      seen.push({ ...calls }, t.getBackend().name);`);
    expect(seen).toEqual([
      { Module: 0, compile: 0 },
      ['js', 'wasm'],
      { Module: 0, compile: 0 },
      { Module: 1, compile: 0 },
      'wasm',
    ]);
  });

  test('await ready() compiles them asynchronously (WebAssembly.compile), and only once', () => {
    const seen = counted(`
      const [a, b] = await Promise.all([t.ready(), t.ready()]);
      t.tensor([1, 2]).add(1);
      seen.push(a, b, { ...calls });`);
    expect(seen.slice(1)).toEqual([
      { name: 'wasm', reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' },
      { name: 'wasm', reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' },
      { Module: 0, compile: 1 },
    ]);
  });
});

describe('the ES module build (what a bundler gives a browser)', () => {
  test('ops before ready() run js with one warning; ready() then switches to wasm, same numbers as Node', async () => {
    const node = await fresh();
    expect(node.getBackend().name).toBe('wasm');
    const want = product(node);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true });
    expect(t.listBackends()).toEqual(['js', 'wasm']);
    expect(t.getBackend()).toEqual({
      name: 'js',
      reason: 'default: the pure-TypeScript backend, until `await ready()` compiles the wasm kernels',
    });
    t.tensor([1]).add(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain("Call `await ready('wasm')`");
    expect(() => t.setBackend('wasm')).toThrow(
      "setBackend: expected the wasm kernels compiled, got a synchronous call before they were (this build loads the WebAssembly kernels asynchronously). Call `await ready('wasm')`",
    );
    expect(await t.ready()).toEqual({
      name: 'wasm',
      reason: 'default: WebAssembly SIMD is available (float64 work runs in js)',
    });
    expect(product(t)).toEqual(want);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test("ready('wasm') selects wasm; setBackend('wasm') works once the kernels are compiled", async () => {
    const t = await fresh({ browserBuild: true });
    expect(await t.ready('wasm')).toEqual({ name: 'wasm', reason: "selected with setBackend('wasm')" });
    t.setBackend('js');
    t.setBackend('wasm');
    expect(t.getBackend().name).toBe('wasm');
  });

  test('a main thread that refuses to compile synchronously (RangeError) still gets wasm from ready()', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sizeLimit = () =>
      new RangeError(
        'WebAssembly.Module(): Buffer size exceeds 4KB limit for sync compile, use WebAssembly.compile instead',
      );
    const t = await fresh({ webAssembly: refusingWebAssembly(sizeLimit, { sync: true, async: false }) });
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await t.ready()).name).toBe('wasm');
  });
});

describe("a Content-Security-Policy without 'wasm-unsafe-eval' (NOTE(wasm-csp))", () => {
  const csp = () =>
    refusingWebAssembly(() => new WebAssembly.CompileError(CHROMIUM_CSP), { sync: true, async: true });
  const directive =
    "expected a Content-Security-Policy that lets the page compile WebAssembly ('wasm-unsafe-eval' in script-src), got one that refuses it (compiling the WebAssembly kernels failed: WebAssembly.compile(): Compiling or instantiating";

  test('the default warns once with a BackendError naming the directive, and runs js', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true, webAssembly: csp() });
    const info = await t.ready();
    expect(info.name).toBe('js');
    expect(info.reason).toMatch(
      /^default: the pure-TypeScript backend \(no wasm: compiling the WebAssembly kernels failed: .*Content Security Policy/,
    );
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain(`BackendError: backend: ${directive}`);
    expect(warn.mock.calls[0]![0]).toContain("Add 'wasm-unsafe-eval' to the script-src directive");
    await t.ready();
    expect(t.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(t.listBackends()).toEqual(['js']);
  });

  test("ready('wasm') rejects and setBackend('wasm') throws, with that BackendError", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true, webAssembly: csp() });
    const rejected = await t.ready('wasm').catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(t.BackendError);
    expect((rejected as Error).message).toContain(`ready: ${directive}`);
    expect(() => t.setBackend('wasm')).toThrow(`setBackend: ${directive}`);
    // The default then runs js, and says so once.
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('Node build, synchronous first use: the same warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ webAssembly: csp() });
    expect(t.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain("'wasm-unsafe-eval'");
  });

  test('SEQLAB_BACKEND=wasm (an explicit choice) rejects instead of warning', async () => {
    const t = await fresh({ webAssembly: csp(), env: 'wasm' });
    await expect(t.ready()).rejects.toThrow(`ready: ${directive}`);
    expect(() => t.tensor([1]).add(1)).toThrow(t.BackendError);
  });

  test('isCspRefusal knows the browsers’ words and nothing else', () => {
    expect(isCspRefusal(new WebAssembly.CompileError(CHROMIUM_CSP))).toBe(true);
    expect(isCspRefusal(new Error('call to WebAssembly.compile() blocked by CSP'))).toBe(true);
    expect(isCspRefusal(new EvalError('Wasm code generation disallowed by embedder'))).toBe(true);
    expect(isCspRefusal(new WebAssembly.CompileError('WebAssembly.Module(): invalid opcode'))).toBe(false);
    expect(isCspRefusal(new RangeError('WebAssembly.Module(): Buffer size exceeds 4KB'))).toBe(false);
  });
});
